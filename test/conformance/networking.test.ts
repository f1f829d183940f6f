// Conformance: pod networking as containers see it (DNS config, hostname, pod IP, port
// mappings, the shared network namespace of a pod, host network), checked against api.proto
// and what critest's "Networking" and "Multiple Containers" specs look at.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { connect } from 'node:net';
import { hostname } from 'node:os';
import { ContainerState } from '../../src/gen/runtime/v1/api_pb.js';
import { ctrConfig, dropPod, exec, inRange, podStatus, runIn, runPod, shIn, sleeper, startEnv, stopEnv, until, waitState, type CtrEnv } from './env.js';

let env: CtrEnv;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await stopEnv(env);
});

const rt = () => env.d.clients.runtime;
const server = (port: number, reply: string) =>
  ctrConfig(env.images.busybox, { command: ['sh', '-c', `trap "exit 0" TERM; while true; do echo ${reply} | nc -l -p ${port}; done`] });

/** One line from a TCP server, or a rejection. */
function readLine(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    let data = '';
    s.setTimeout(3000, () => s.destroy(new Error('timeout')));
    s.on('data', (b) => (data += b.toString()));
    s.on('end', () => resolve(data.trim()));
    s.on('error', reject);
  });
}

void test('DNS config of the pod is the container\'s /etc/resolv.conf (servers, searches, options)', async () => {
  const pod = await runPod(env, { dns: { servers: ['10.96.0.10', '10.96.0.11'], searches: ['conf.svc.cluster.local', 'svc.cluster.local'], options: ['ndots:5', 'timeout:2'] } });
  const id = await runIn(env, pod, sleeper(env));
  const r = await exec(env, id, ['cat', '/etc/resolv.conf']);
  assert.equal(r.exitCode, 0);
  assert.equal(r.stderr, '');
  const lines = r.stdout.split('\n').map((l) => l.trim().split(/\s+/));
  const nameservers = lines.filter((l) => l[0] === 'nameserver').map((l) => l[1]);
  assert.deepEqual(nameservers, ['10.96.0.10', '10.96.0.11']);
  assert.deepEqual(lines.find((l) => l[0] === 'search')?.slice(1), ['conf.svc.cluster.local', 'svc.cluster.local']);
  const options = lines.filter((l) => l[0] === 'options').flatMap((l) => l.slice(1));
  assert.ok(options.includes('ndots:5') && options.includes('timeout:2'), options.join(' '));
  await dropPod(env, pod.id);
});

void test('the pod\'s hostname is the container\'s hostname', async () => {
  const pod = await runPod(env, { hostname: 'test-hostname' });
  const id = await runIn(env, pod, sleeper(env));
  const r = await exec(env, id, ['hostname']);
  assert.equal(r.stdout.trim(), 'test-hostname');
  assert.equal(r.stderr, '');
  assert.equal(await shIn(env, id, 'cat /proc/sys/kernel/hostname'), 'test-hostname');
  await dropPod(env, pod.id);
});

void test('the pod IP in PodSandboxStatus is the address of the container\'s interface', async () => {
  const pod = await runPod(env);
  const ip = (await podStatus(env, pod.id)).network!.ip;
  assert.ok(inRange(ip, env.net), `${ip} in ${env.net.subnet}`);
  const id = await runIn(env, pod, sleeper(env));
  const addrs = await shIn(env, id, 'ip -o -4 addr show');
  assert.match(addrs, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/`), addrs);
  await dropPod(env, pod.id);
});

void test('port mapping with host port and container port: the host port reaches the container', async () => {
  const hostPort = randomInt(20000, 40000);
  const pod = await runPod(env, { ports: [{ hostPort, containerPort: 8080, hostIp: '' }] });
  await runIn(env, pod, server(8080, 'via-host-port'));
  // A host address (the bridge's) rather than 127.0.0.1: the test network keeps portmap's SNAT off.
  assert.equal(await until('the server through the host port', () => readLine(env.net.gateway, hostPort).catch(() => undefined)), 'via-host-port');
  await dropPod(env, pod.id);
});

void test('port mapping with only a container port: the container is reached at pod IP:container port', async () => {
  const pod = await runPod(env, { ports: [{ hostPort: 0, containerPort: 8081, hostIp: '' }] });
  await runIn(env, pod, server(8081, 'via-pod-ip'));
  const ip = (await podStatus(env, pod.id)).network!.ip;
  assert.equal(await until('the server at the pod IP', () => readLine(ip, 8081).catch(() => undefined)), 'via-pod-ip');
  await dropPod(env, pod.id);
});

void test('containers of one pod share its network namespace: one reaches the other over localhost', async () => {
  const pod = await runPod(env);
  const srv = await runIn(env, pod, server(9090, 'over-localhost'));
  const client = await runIn(env, pod, sleeper(env));
  await waitState(env, srv, ContainerState.CONTAINER_RUNNING);
  const got = await until('the server over localhost', async () => {
    const r = await exec(env, client, ['sh', '-c', 'nc 127.0.0.1 9090 </dev/null']);
    return r.stdout.trim() === 'over-localhost' ? r.stdout.trim() : undefined;
  });
  assert.equal(got, 'over-localhost');
  assert.equal(await shIn(env, srv, 'ip -o link | wc -l'), await shIn(env, client, 'ip -o link | wc -l'));
  // Both list the same pod containers, running.
  const ids = (await rt().listContainers({ filter: { podSandboxId: pod.id, state: { state: ContainerState.CONTAINER_RUNNING } } })).containers.map((c) => c.id);
  assert.deepEqual(ids.sort(), [srv, client].sort());
  await dropPod(env, pod.id);
});

void test('two pods reach each other at their pod IPs', async () => {
  const a = await runPod(env);
  const b = await runPod(env);
  await runIn(env, b, server(7070, 'from-b'));
  const client = await runIn(env, a, sleeper(env));
  const ipB = (await podStatus(env, b.id)).network!.ip;
  assert.notEqual((await podStatus(env, a.id)).network!.ip, ipB, 'distinct IPs');
  const got = await until('pod b from pod a', async () => {
    const r = await exec(env, client, ['sh', '-c', `nc ${ipB} 7070 </dev/null`]);
    return r.stdout.trim() === 'from-b' ? 'from-b' : undefined;
  });
  assert.equal(got, 'from-b');
  for (const p of [a, b]) await dropPod(env, p.id);
});

void test('a host-network pod\'s container sees the node\'s interfaces and hostname', async () => {
  const pod = await runPod(env, { hostNetwork: true, hostname: '' });
  const id = await runIn(env, pod, sleeper(env));
  const links = await shIn(env, id, 'ip -o link');
  assert.ok(links.includes(env.net.bridge), `the host's test bridge ${env.net.bridge} is visible:\n${links}`);
  assert.equal(await shIn(env, id, 'hostname'), hostname());
  await dropPod(env, pod.id);
});
