// Pod sandboxes through a real critterd: real namespaces, the real CNI plugins on a throwaway
// bridge, conmon + runc for the pause process. Every pod is removed and checked for leftovers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { status as Code, type ServiceError } from '@grpc/grpc-js';
import { PodSandboxState } from '../../../src/gen/runtime/v1/api_pb.js';
import { natRules } from '../../fixtures/cni/test-network.js';
import {
  bridgePorts,
  inNetns,
  inRange,
  ipamFiles,
  mountOptions,
  podConfig,
  sh,
  startEnv,
  stopEnv,
  type Env,
  type VerboseInfo,
} from './sandbox-helpers.js';
import { fetchGreeting, listenInPod } from '../../fixtures/cni/pod-listener.js';

let env: Env;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await stopEnv(env);
});

const rt = () => env.d.clients.runtime;
const code = (c: Code) => (e: unknown) => (e as ServiceError).code === c;

async function run(o: Parameters<typeof podConfig>[0] = {}): Promise<string> {
  const r = await rt().runPodSandbox({ config: podConfig(o) });
  env.net.podIds.add(r.podSandboxId);
  return r.podSandboxId;
}

async function verbose(id: string): Promise<VerboseInfo> {
  const s = await rt().podSandboxStatus({ podSandboxId: id, verbose: true });
  return JSON.parse(s.info.info!) as VerboseInfo;
}

void test('a pod: ready with an IP, its netns, hostname, resolv.conf, hosts, shm and sysctls; stop and remove leave nothing', async () => {
  const hostStart = readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim();
  const id = await run({
    name: 'web',
    hostname: 'web-0',
    labels: { app: 'web', tier: 'front' },
    // eth0 exists only after CNI ADD, so its sysctl is set after it.
    sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0', 'kernel.shmmni': '2048', 'net.ipv4.conf.eth0.rp_filter': '2' },
    dns: { servers: ['10.96.0.10'], searches: ['critter-test.svc.cluster.local', 'svc.cluster.local'], options: ['ndots:5'] },
  });
  assert.match(id, /^[0-9a-f]{64}$/);
  const st = (await rt().podSandboxStatus({ podSandboxId: id })).status!;
  assert.equal(st.state, PodSandboxState.SANDBOX_READY);
  assert.equal(st.metadata?.name, 'web');
  assert.equal(st.runtimeHandler, 'runc');
  assert.ok(inRange(st.network!.ip, env.net), `${st.network!.ip} in ${env.net.subnet}`);
  assert.ok(st.createdAt > BigInt(Date.now() - 60_000) * 1_000_000n);
  assert.deepEqual(st.labels, { app: 'web', tier: 'front' });

  const info = await verbose(id);
  assert.equal(info.infraless, true, 'no process without a shared PID namespace');
  const netns = info.netNamespacePath;
  assert.equal(netns, join(env.d.state, 'sandboxes', id, 'ns', 'net'));
  const eth0 = inNetns(netns, ['ip', '-o', '-4', 'addr', 'show', 'eth0']);
  assert.match(eth0.out, new RegExp(`inet ${st.network!.ip.replace(/\./g, '\\.')}/24`));
  assert.match(inNetns(netns, ['ip', '-o', 'link', 'show', 'lo']).out, /<LOOPBACK,UP,LOWER_UP>/);

  assert.equal(readFileSync(info.files.hostname, 'utf8'), 'web-0\n');
  assert.equal(sh('nsenter', [`--uts=${info.utsNamespacePath}`, '--', 'hostname']).out.trim(), 'web-0');
  assert.equal(readFileSync(info.files.resolvConf, 'utf8'), 'search critter-test.svc.cluster.local svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n');
  assert.match(readFileSync(info.files.hosts, 'utf8'), /^127\.0\.0\.1\tlocalhost$/m);
  assert.match(readFileSync(info.files.hosts, 'utf8'), new RegExp(`^${st.network!.ip.replace(/\./g, '\\.')}\\tweb-0$`, 'm'));
  assert.equal((statSync(info.files.hosts).mode & 0o777).toString(8), '644');

  const shm = mountOptions(info.shmPath);
  assert.equal(shm?.fsType, 'tmpfs');
  assert.match(shm!.superOptions, /size=65536k/);
  assert.equal((statSync(info.shmPath).mode & 0o7777).toString(8), '1777');

  assert.equal(inNetns(netns, ['cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start']).out.trim(), '0');
  assert.equal(inNetns(netns, ['cat', '/proc/sys/net/ipv4/conf/eth0/rp_filter']).out.trim(), '2');
  assert.equal(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim(), hostStart, 'the host keeps its value');
  assert.equal(sh('nsenter', [`--ipc=${info.ipcNamespacePath}`, '--', 'cat', '/proc/sys/kernel/shmmni']).out.trim(), '2048');

  // Stop: NOTREADY, the network is gone (veth, IP, namespace), twice is fine.
  await rt().stopPodSandbox({ podSandboxId: id });
  const stopped = (await rt().podSandboxStatus({ podSandboxId: id })).status!;
  assert.equal(stopped.state, PodSandboxState.SANDBOX_NOTREADY);
  assert.equal(stopped.network?.ip, '');
  assert.deepEqual(bridgePorts(env.net.bridge), []);
  assert.deepEqual(ipamFiles(env.net), []);
  assert.equal(existsSync(netns), false);
  assert.equal(mountOptions(info.shmPath), undefined, 'shm unmounted');
  await rt().stopPodSandbox({ podSandboxId: id });

  await rt().removePodSandbox({ podSandboxId: id });
  assert.equal(existsSync(join(env.d.state, 'sandboxes', id)), false, 'state dir gone');
  assert.equal(existsSync(join(env.d.root, 'sandboxes', `${id}.json`)), false, 'record gone');
  await assert.rejects(rt().podSandboxStatus({ podSandboxId: id }), code(Code.NOT_FOUND));
  await rt().removePodSandbox({ podSandboxId: id });
  await rt().stopPodSandbox({ podSandboxId: 'f'.repeat(64) });
  await rt().removePodSandbox({ podSandboxId: 'f'.repeat(64) });
});

void test('a host-network pod has no network namespace and gets the node\'s files', async () => {
  const id = await run({ hostNetwork: true, hostname: '' });
  const st = (await rt().podSandboxStatus({ podSandboxId: id })).status!;
  assert.equal(st.state, PodSandboxState.SANDBOX_READY);
  assert.equal(st.network?.ip, '');
  const info = await verbose(id);
  assert.equal(info.netNamespacePath, '');
  assert.equal(info.utsNamespacePath, '');
  assert.notEqual(info.ipcNamespacePath, '');
  assert.equal(readFileSync(info.files.hosts, 'utf8'), readFileSync('/etc/hosts', 'utf8'));
  assert.equal(readFileSync(info.files.resolvConf, 'utf8'), readFileSync('/etc/resolv.conf', 'utf8'));
  assert.equal(readFileSync(info.files.hostname, 'utf8').trim(), sh('hostname', []).out.trim());
  await assert.rejects(
    rt().runPodSandbox({ config: podConfig({ hostNetwork: true, sysctls: { 'net.ipv4.ip_forward': '1' } }) }),
    (e: unknown) => code(Code.INVALID_ARGUMENT)(e) && /host network/.test((e as ServiceError).details),
  );
  await rt().removePodSandbox({ podSandboxId: id });
});

void test('a shared-PID pod runs the pause process in a new PID namespace inside the pod\'s network namespace', async () => {
  const id = await run({ sharedPid: true });
  const info = await verbose(id);
  assert.equal(info.infraless, false);
  assert.ok(info.pid > 0);
  const nsInode = (link: string): number => Number(/\[(\d+)\]/.exec(link)?.[1]);
  assert.equal(nsInode(readlinkSync(`/proc/${info.pid}/ns/net`)), statSync(info.netNamespacePath).ino, 'pause is in the pod netns');
  assert.equal(nsInode(readlinkSync(`/proc/${info.pid}/ns/ipc`)), statSync(info.ipcNamespacePath).ino);
  assert.equal(nsInode(readlinkSync(`/proc/${info.pid}/ns/uts`)), statSync(info.utsNamespacePath).ino);
  assert.notEqual(readlinkSync(`/proc/${info.pid}/ns/pid`), readlinkSync('/proc/self/ns/pid'), 'in a PID namespace of its own');
  assert.match(readFileSync(`/proc/${info.pid}/status`, 'utf8'), /^NSpid:\s+\d+\s+1$/m, 'as its PID 1');
  await rt().stopPodSandbox({ podSandboxId: id });
  assert.equal(existsSync(`/proc/${info.pid}`), false, 'pause is gone after stop');
  await rt().removePodSandbox({ podSandboxId: id });
});


void test('two pods reach each other, a host port reaches a pod, and stop removes the port mapping', async () => {
  const hostPort = randomInt(20000, 40000);
  const a = await run({ ports: [{ hostPort, containerPort: 8080, hostIp: env.net.gateway }] });
  const b = await run();
  const ipA = (await rt().podSandboxStatus({ podSandboxId: a })).status!.network!.ip;
  const ipB = (await rt().podSandboxStatus({ podSandboxId: b })).status!.network!.ip;
  const nsA = (await verbose(a)).netNamespacePath;
  const nsB = (await verbose(b)).netNamespacePath;
  const ping = inNetns(nsA, ['/usr/bin/busybox', 'ping', '-c1', '-W2', ipB]);
  assert.equal(ping.code, 0, ping.out + ping.err);
  assert.equal(inNetns(nsB, ['/usr/bin/busybox', 'ping', '-c1', '-W2', ipA]).code, 0);
  assert.match(natRules(), new RegExp(`--dport ${hostPort} -j DNAT --to-destination ${ipA.replace(/\./g, '\\.')}:8080`));
  const l = await listenInPod(nsA, 8080);
  try {
    assert.equal(await fetchGreeting(env.net.gateway, hostPort), 'hello from pod');
  } finally {
    l.stop();
  }
  await rt().stopPodSandbox({ podSandboxId: a });
  assert.equal(natRules().includes(a), false, 'portmap rules gone');
  await rt().removePodSandbox({ podSandboxId: a });
  await rt().removePodSandbox({ podSandboxId: b });
  assert.deepEqual(bridgePorts(env.net.bridge), []);
});

void test('names: a second pod of the same name is ALREADY_EXISTS until the first is removed; identical retries get the same id', async () => {
  const config = podConfig({ name: 'dup', uid: 'uid-dup' });
  // The kubelet retrying after a timeout: both calls in flight at once.
  const [r1, r2] = await Promise.all([rt().runPodSandbox({ config }), rt().runPodSandbox({ config })]);
  assert.equal(r1.podSandboxId, r2.podSandboxId);
  env.net.podIds.add(r1.podSandboxId);
  const listed = await rt().listPodSandbox({ filter: { labelSelector: {} } });
  assert.equal(listed.items.filter((p) => p.metadata?.name === 'dup').length, 1, 'one sandbox, no twin');
  // Retried again once it is ready: still the same sandbox.
  assert.equal((await rt().runPodSandbox({ config })).podSandboxId, r1.podSandboxId);
  // Same name, different request: refused.
  await assert.rejects(
    rt().runPodSandbox({ config: { ...config, hostname: 'other' } }),
    (e: unknown) => code(Code.ALREADY_EXISTS)(e) && /dup_critter-test_uid-dup_0/.test((e as ServiceError).details),
  );
  // A stopped sandbox still holds the name.
  await rt().stopPodSandbox({ podSandboxId: r1.podSandboxId });
  await assert.rejects(rt().runPodSandbox({ config }), code(Code.ALREADY_EXISTS));
  await rt().removePodSandbox({ podSandboxId: r1.podSandboxId });
  const again = await run({ name: 'dup', uid: 'uid-dup' });
  assert.notEqual(again, r1.podSandboxId);
  await rt().removePodSandbox({ podSandboxId: again });
});

void test('bad requests: unknown handler, missing metadata, non-namespaced sysctl', async () => {
  await assert.rejects(
    rt().runPodSandbox({ config: podConfig(), runtimeHandler: 'kata' }),
    (e: unknown) => code(Code.INVALID_ARGUMENT)(e) && /unknown runtime handler "kata".*runc, crun/.test((e as ServiceError).details),
  );
  await assert.rejects(rt().runPodSandbox({ config: { hostname: 'x' } }), code(Code.INVALID_ARGUMENT));
  await assert.rejects(rt().runPodSandbox({ config: podConfig({ sysctls: { 'kernel.panic': '1' } }) }), code(Code.INVALID_ARGUMENT));
  await assert.rejects(rt().podSandboxStatus({ podSandboxId: 'nope' }), code(Code.NOT_FOUND));
  assert.deepEqual((await rt().listPodSandbox({})).items, []);
});

void test('ListPodSandbox filters by id (or unique prefix), state and labels', async () => {
  const a = await run({ labels: { app: 'a', env: 'test' } });
  const b = await run({ labels: { app: 'b', env: 'test' } });
  await rt().stopPodSandbox({ podSandboxId: b });
  const ids = async (filter: Parameters<ReturnType<typeof rt>['listPodSandbox']>[0]['filter']) =>
    (await rt().listPodSandbox({ filter })).items.map((p) => p.id).sort();
  assert.deepEqual(await ids(undefined), [a, b].sort());
  assert.deepEqual(await ids({ id: a }), [a]);
  assert.deepEqual(await ids({ id: a.slice(0, 12) }), a.slice(0, 12) === b.slice(0, 12) ? [] : [a]);
  assert.deepEqual(await ids({ id: 'ffff' + a }), []);
  assert.deepEqual(await ids({ state: { state: PodSandboxState.SANDBOX_READY } }), [a]);
  assert.deepEqual(await ids({ state: { state: PodSandboxState.SANDBOX_NOTREADY } }), [b]);
  assert.deepEqual(await ids({ labelSelector: { env: 'test' } }), [a, b].sort());
  assert.deepEqual(await ids({ labelSelector: { env: 'test', app: 'b' } }), [b]);
  assert.deepEqual(await ids({ labelSelector: { app: 'c' } }), []);
  assert.deepEqual(await ids({ id: a, state: { state: PodSandboxState.SANDBOX_NOTREADY } }), []);
  await rt().removePodSandbox({ podSandboxId: a });
  await rt().removePodSandbox({ podSandboxId: b });
});
