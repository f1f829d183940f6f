// Conformance: the pod sandbox RPCs (Run/Stop/Remove/Status/List), checked against api.proto's
// documented semantics and what critest's "PodSandbox" specs look at.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { status as Code } from '@grpc/grpc-js';
import { ContainerState, PodSandboxState } from '../../src/gen/runtime/v1/api_pb.js';
import {
  CGROUP_PARENT_FOR_CRITEST,
  createIn,
  critestName,
  ctrStatus,
  dropPod,
  inRange,
  ipamFiles,
  isCode,
  isGrpcError,
  nowNs,
  podStatus,
  runIn,
  runPod,
  sleeper,
  startEnv,
  stopEnv,
  waitState,
  type CtrEnv,
} from './env.js';

let env: CtrEnv;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await stopEnv(env);
});

const rt = () => env.d.clients.runtime;
const listIds = async (filter?: Parameters<ReturnType<typeof rt>['listPodSandbox']>[0]['filter']) =>
  (await rt().listPodSandbox({ filter })).items.map((p) => p.id).sort();

void test('RunPodSandbox: the sandbox is READY on success; status echoes metadata, labels, annotations; created_at is plausible; the IP is in the pod range', async () => {
  const t0 = nowNs();
  const labels = { app: 'conf', 'io.kubernetes.pod.name': 'status-pod' };
  const annotations = { 'kubernetes.io/config.seen': '2024-01-02T03:04:05.123456789Z', 'critter.test/json': '{"a":[1,2,{"b":null}]}', 'critter.test/empty': '', 'critter.test/unicode': 'h\u00e9llo \u2603 \ud83d\udc3f' };
  const pod = await runPod(env, { name: 'status-pod', uid: 'uid-status', attempt: 3, labels, annotations });
  const t1 = nowNs();
  const s = await podStatus(env, pod.id);
  assert.equal(s.id, pod.id);
  assert.equal(s.state, PodSandboxState.SANDBOX_READY);
  assert.deepEqual(
    { name: s.metadata?.name, uid: s.metadata?.uid, namespace: s.metadata?.namespace, attempt: s.metadata?.attempt },
    { name: 'status-pod', uid: 'uid-status', namespace: 'critter-test', attempt: 3 },
  );
  assert.ok(s.createdAt > 0n, 'created_at must be > 0');
  assert.ok(s.createdAt >= t0 - 1_000_000_000n && s.createdAt <= t1 + 1_000_000_000n, `created_at ${s.createdAt} within the call (${t0}..${t1})`);
  assert.deepEqual(s.labels, labels);
  assert.deepEqual(s.annotations, annotations, 'annotations MUST NOT be altered by the runtime');
  assert.ok(s.network !== undefined && inRange(s.network.ip, env.net), `pod IP ${s.network?.ip} in ${env.net.subnet}`);
  const handlers = (await rt().status({})).runtimeHandlers.map((h) => h.name);
  assert.ok(s.runtimeHandler === '' || handlers.includes(s.runtimeHandler), `runtime_handler ${s.runtimeHandler} is the default or a listed one`);

  // The list item agrees with the status.
  const items = (await rt().listPodSandbox({ filter: { id: pod.id } })).items;
  assert.equal(items.length, 1);
  const it = items[0]!;
  assert.equal(it.id, pod.id);
  assert.equal(it.state, PodSandboxState.SANDBOX_READY);
  assert.equal(it.createdAt, s.createdAt);
  assert.deepEqual(it.metadata, s.metadata);
  assert.deepEqual(it.labels, labels);
  assert.deepEqual(it.annotations, annotations);
  assert.equal(it.runtimeHandler, s.runtimeHandler);
  await dropPod(env, pod.id);
});

void test('PodSandboxStatus: info is empty unless verbose; verbose info values are JSON', async () => {
  const pod = await runPod(env);
  const plain = await rt().podSandboxStatus({ podSandboxId: pod.id });
  assert.deepEqual(plain.info, {}, 'info should only be returned non-empty when verbose is true');
  const verbose = await rt().podSandboxStatus({ podSandboxId: pod.id, verbose: true });
  assert.ok(Object.keys(verbose.info).length > 0);
  for (const [k, v] of Object.entries(verbose.info)) assert.doesNotThrow(() => JSON.parse(v) as unknown, `info[${k}] is JSON`);
  await dropPod(env, pod.id);
});

void test('RunPodSandbox: the kubelet\'s default handler (empty string) works; an unknown handler is rejected', async () => {
  const pod = await runPod(env, {}, {}, '');
  assert.equal((await podStatus(env, pod.id)).state, PodSandboxState.SANDBOX_READY);
  await dropPod(env, pod.id);
  await assert.rejects(runPod(env, {}, {}, 'no-such-handler'), isGrpcError);
  assert.deepEqual(await listIds(), [], 'a rejected pod leaves nothing listed');
});

void test(
  'RunPodSandbox: a critest-style pod (mixed-case name, no hostname, no log directory, attempt 2) runs READY',
  async () => {
    const name = critestName('PodSandbox-for-create-test-');
    const r = await rt().runPodSandbox({
      config: {
        metadata: { name, uid: `cri-test-uid${randomUUID()}`, namespace: `cri-test-namespace${randomUUID()}`, attempt: 2 },
        linux: { cgroupParent: CGROUP_PARENT_FOR_CRITEST },
      },
    });
    env.net.podIds.add(r.podSandboxId);
    const s = await podStatus(env, r.podSandboxId);
    assert.equal(s.state, PodSandboxState.SANDBOX_READY);
    assert.equal(s.metadata?.name, name);
    assert.equal(s.metadata?.attempt, 2);
    assert.deepEqual(await listIds({ id: r.podSandboxId }), [r.podSandboxId]);
    await dropPod(env, r.podSandboxId);
  },
);

void test('RunPodSandbox: a minimal config (no hostname, log directory, DNS, ports or security context) runs READY', async () => {
  const r = await rt().runPodSandbox({
    config: {
      metadata: { name: `minimal-${randomUUID()}`, uid: `cri-test-uid${randomUUID()}`, namespace: `cri-test-namespace${randomUUID()}`, attempt: 2 },
      linux: { cgroupParent: CGROUP_PARENT_FOR_CRITEST },
    },
  });
  env.net.podIds.add(r.podSandboxId);
  const s = await podStatus(env, r.podSandboxId);
  assert.equal(s.state, PodSandboxState.SANDBOX_READY);
  assert.ok(inRange(s.network!.ip, env.net));
  const c = await runIn(env, { id: r.podSandboxId, config: { metadata: s.metadata } }, sleeper(env, { logPath: '' }));
  assert.equal((await waitState(env, c, ContainerState.CONTAINER_RUNNING)).state, ContainerState.CONTAINER_RUNNING);
  await dropPod(env, r.podSandboxId);
});

void test('StopPodSandbox: NOTREADY afterwards, IP reclaimed; idempotent, also for an unknown id', async () => {
  const pod = await runPod(env);
  const ip = (await podStatus(env, pod.id)).network!.ip;
  assert.ok(ipamFiles(env.net).includes(ip), `IPAM holds ${ip} while the pod runs`);
  await rt().stopPodSandbox({ podSandboxId: pod.id });
  const s = await podStatus(env, pod.id);
  assert.equal(s.state, PodSandboxState.SANDBOX_NOTREADY);
  assert.ok(!ipamFiles(env.net).includes(ip), `IPAM released ${ip}`);
  assert.deepEqual(await listIds({ id: pod.id }), [pod.id], 'a stopped sandbox is still listed');
  await rt().stopPodSandbox({ podSandboxId: pod.id });
  await rt().stopPodSandbox({ podSandboxId: pod.id });
  assert.equal((await podStatus(env, pod.id)).state, PodSandboxState.SANDBOX_NOTREADY);
  await rt().stopPodSandbox({ podSandboxId: 'a'.repeat(64) });
  await rt().removePodSandbox({ podSandboxId: pod.id });
});

void test('StopPodSandbox: running containers of the sandbox are forcibly terminated', async () => {
  const pod = await runPod(env);
  // Ignores SIGTERM: only a forcible kill ends it.
  const stubborn = await runIn(env, pod, sleeper(env, { command: ['sh', '-c', 'trap "" TERM; while true; do sleep 0.2; done'] }));
  const polite = await runIn(env, pod, sleeper(env));
  const t0 = Date.now();
  await rt().stopPodSandbox({ podSandboxId: pod.id });
  assert.ok(Date.now() - t0 < 30_000);
  for (const id of [stubborn, polite]) {
    const s = await ctrStatus(env, id);
    assert.equal(s.state, ContainerState.CONTAINER_EXITED, `container ${id.slice(0, 12)} exited`);
    assert.ok(s.finishedAt > 0n);
  }
  await rt().removePodSandbox({ podSandboxId: pod.id });
});

void test('RemovePodSandbox: gone from ListPodSandbox and PodSandboxStatus errors; idempotent, also for an unknown id', async () => {
  const pod = await runPod(env);
  await rt().stopPodSandbox({ podSandboxId: pod.id });
  await rt().removePodSandbox({ podSandboxId: pod.id });
  assert.deepEqual(await listIds({ id: pod.id }), []);
  assert.ok(!(await listIds()).includes(pod.id));
  await assert.rejects(rt().podSandboxStatus({ podSandboxId: pod.id }), isGrpcError, 'status of a removed sandbox is an error');
  await rt().removePodSandbox({ podSandboxId: pod.id });
  await rt().stopPodSandbox({ podSandboxId: pod.id });
  await rt().removePodSandbox({ podSandboxId: 'b'.repeat(64) });
});

void test('RemovePodSandbox on a READY pod with running containers terminates and removes them', async () => {
  const pod = await runPod(env);
  const a = await runIn(env, pod, sleeper(env, { name: 'a' }));
  const b = await createIn(env, pod, sleeper(env, { name: 'b' }));
  await waitState(env, a, ContainerState.CONTAINER_RUNNING);
  await rt().removePodSandbox({ podSandboxId: pod.id });
  assert.deepEqual(await listIds({ id: pod.id }), []);
  assert.deepEqual((await rt().listContainers({ filter: { podSandboxId: pod.id } })).containers, []);
  const all = (await rt().listContainers({})).containers.map((c) => c.id);
  assert.ok(!all.includes(a) && !all.includes(b), 'the containers are gone');
  await assert.rejects(ctrStatus(env, a), isGrpcError);
});

void test('PodSandboxStatus of an unknown sandbox is an error (NOT_FOUND)', async () => {
  await assert.rejects(rt().podSandboxStatus({ podSandboxId: 'c'.repeat(64) }), isCode(Code.NOT_FOUND));
});

void test('ListPodSandbox filters by id, state and labels, ANDed together', async () => {
  const a = await runPod(env, { labels: { app: 'a', env: 'conf' } });
  const b = await runPod(env, { labels: { app: 'b', env: 'conf' } });
  await rt().stopPodSandbox({ podSandboxId: b.id });
  const both = [a.id, b.id].sort();
  assert.deepEqual(await listIds(), both);
  assert.deepEqual(await listIds({}), both, 'an empty filter selects everything');
  assert.deepEqual(await listIds({ id: a.id }), [a.id]);
  assert.deepEqual(await listIds({ id: b.id }), [b.id]);
  assert.deepEqual(await listIds({ state: { state: PodSandboxState.SANDBOX_READY } }), [a.id]);
  assert.deepEqual(await listIds({ state: { state: PodSandboxState.SANDBOX_NOTREADY } }), [b.id]);
  assert.deepEqual(await listIds({ labelSelector: { env: 'conf' } }), both);
  assert.deepEqual(await listIds({ labelSelector: { env: 'conf', app: 'b' } }), [b.id]);
  assert.deepEqual(await listIds({ labelSelector: { app: 'nope' } }), []);
  assert.deepEqual(await listIds({ labelSelector: { env: 'conf', app: 'a', extra: 'x' } }), [], 'every selector label must match');
  assert.deepEqual(await listIds({ id: a.id, state: { state: PodSandboxState.SANDBOX_NOTREADY } }), []);
  assert.deepEqual(await listIds({ id: b.id, labelSelector: { app: 'a' } }), []);
  assert.deepEqual(await listIds({ state: { state: PodSandboxState.SANDBOX_READY }, labelSelector: { app: 'a' } }), [a.id]);
  for (const p of [a, b]) await dropPod(env, p.id);
});

void test('Pod sandboxes of the same name but another attempt coexist; each keeps its own metadata', async () => {
  const uid = `uid-${randomUUID()}`;
  const first = await runPod(env, { name: 'attempts', uid, attempt: 0 });
  await rt().stopPodSandbox({ podSandboxId: first.id });
  const second = await runPod(env, { name: 'attempts', uid, attempt: 1 });
  assert.notEqual(first.id, second.id);
  assert.equal((await podStatus(env, first.id)).metadata?.attempt, 0);
  assert.equal((await podStatus(env, second.id)).metadata?.attempt, 1);
  assert.equal((await podStatus(env, first.id)).state, PodSandboxState.SANDBOX_NOTREADY);
  assert.equal((await podStatus(env, second.id)).state, PodSandboxState.SANDBOX_READY);
  for (const p of [first, second]) await dropPod(env, p.id);
});
