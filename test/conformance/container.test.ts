// Conformance: the container RPCs (Create/Start/Stop/Remove/Status/List, ExecSync,
// UpdateContainerResources, ReopenContainerLog) and the CRI log format, checked against
// api.proto's documented semantics and what critest's "Container" specs look at.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status as Code } from '@grpc/grpc-js';
import { ContainerState } from '../../src/gen/runtime/v1/api_pb.js';
import {
  cgroupLimit,
  createIn,
  critestName,
  ctrConfig,
  ctrStatus,
  dropPod,
  exec,
  isCode,
  isGrpcError,
  nowNs,
  readCriLog,
  runIn,
  runPod,
  shIn,
  sleeper,
  startEnv,
  stopEnv,
  until,
  waitState,
  type CtrEnv,
  type Pod,
} from './env.js';

let env: CtrEnv;
let pod: Pod;
before(async () => {
  env = await startEnv();
  pod = await runPod(env, { name: 'containers' });
});
after(async () => {
  await stopEnv(env);
});

const rt = () => env.d.clients.runtime;
const CAMEL = /^[A-Z][A-Za-z]*$/;
const listIds = async (filter?: Parameters<ReturnType<typeof rt>['listContainers']>[0]['filter']) =>
  (await rt().listContainers({ filter })).containers.map((c) => c.id).sort();

void test('container lifecycle: CREATED -> RUNNING -> EXITED -> removed, with ordered created/started/finished timestamps', async () => {
  const t0 = nowNs();
  const id = await createIn(env, pod, sleeper(env, { name: 'lifecycle' }));
  let s = await ctrStatus(env, id);
  assert.equal(s.id, id);
  assert.equal(s.state, ContainerState.CONTAINER_CREATED);
  assert.equal(s.metadata?.name, 'lifecycle');
  assert.ok(s.createdAt >= t0 - 1_000_000_000n && s.createdAt <= nowNs() + 1_000_000_000n, 'created_at is plausible');
  assert.equal(s.startedAt, 0n, 'not started yet');
  assert.equal(s.finishedAt, 0n, 'not finished yet');
  assert.deepEqual(await listIds({ id }), [id], 'a created container is listed');

  await rt().startContainer({ containerId: id });
  s = await waitState(env, id, ContainerState.CONTAINER_RUNNING);
  assert.ok(s.startedAt >= s.createdAt, 'started_at >= created_at');
  assert.equal(s.finishedAt, 0n);

  await rt().stopContainer({ containerId: id, timeout: 10n });
  s = await ctrStatus(env, id);
  assert.equal(s.state, ContainerState.CONTAINER_EXITED, 'StopContainer returns once the container has exited');
  assert.ok(s.finishedAt >= s.startedAt, 'finished_at >= started_at');
  assert.equal(s.exitCode, 0, 'its TERM trap exits 0');
  await rt().stopContainer({ containerId: id, timeout: 10n });
  assert.equal((await ctrStatus(env, id)).finishedAt, s.finishedAt, 'stopping again is a no-op');

  await rt().removeContainer({ containerId: id });
  assert.deepEqual(await listIds({ id }), []);
  await assert.rejects(ctrStatus(env, id), isGrpcError, 'ContainerStatus of a removed container is an error');
  await rt().removeContainer({ containerId: id });
  await rt().stopContainer({ containerId: id, timeout: 0n });
});

void test('a container that exits on its own is EXITED with its exit code and a CamelCase reason', async () => {
  const ok = await runIn(env, pod, ctrConfig(env.images.busybox, { command: ['true'] }));
  const bad = await runIn(env, pod, ctrConfig(env.images.busybox, { command: ['sh', '-c', 'exit 7'] }));
  const so = await waitState(env, ok, ContainerState.CONTAINER_EXITED);
  const sb = await waitState(env, bad, ContainerState.CONTAINER_EXITED);
  assert.equal(so.exitCode, 0);
  assert.equal(sb.exitCode, 7);
  for (const s of [so, sb]) {
    assert.match(s.reason, CAMEL, `reason ${JSON.stringify(s.reason)}`);
    assert.ok(s.finishedAt >= s.startedAt && s.startedAt >= s.createdAt && s.startedAt > 0n);
  }
  assert.notEqual(so.reason, sb.reason, 'success and failure are told apart');
  for (const id of [ok, bad]) await rt().removeContainer({ containerId: id });
});

void test('StopContainer: the runtime forcibly kills the container after the grace period (timeout 0 = at once)', async () => {
  const stubborn = () => ctrConfig(env.images.busybox, { command: ['sh', '-c', 'trap "" TERM; while true; do sleep 0.2; done'] });
  const a = await runIn(env, pod, stubborn());
  await waitState(env, a, ContainerState.CONTAINER_RUNNING);
  let t0 = Date.now();
  await rt().stopContainer({ containerId: a, timeout: 0n });
  assert.ok(Date.now() - t0 < 5000, `timeout 0 kills at once (${Date.now() - t0} ms)`);
  assert.equal((await ctrStatus(env, a)).state, ContainerState.CONTAINER_EXITED);
  assert.equal((await ctrStatus(env, a)).exitCode, 137, 'SIGKILL');

  const b = await runIn(env, pod, stubborn());
  await until('the trap to be set', async () => (await exec(env, b, ['ps', '-o', 'args'])).stdout.includes('sleep'));
  t0 = Date.now();
  await rt().stopContainer({ containerId: b, timeout: 2n });
  const took = Date.now() - t0;
  assert.ok(took >= 1500 && took < 10_000, `killed after the 2 s grace period (${took} ms)`);
  assert.equal((await ctrStatus(env, b)).state, ContainerState.CONTAINER_EXITED);
  for (const id of [a, b]) await rt().removeContainer({ containerId: id });
});

void test('RemoveContainer on a RUNNING container forcibly removes it', async () => {
  const id = await runIn(env, pod, sleeper(env));
  await waitState(env, id, ContainerState.CONTAINER_RUNNING);
  await rt().removeContainer({ containerId: id });
  assert.deepEqual(await listIds({ id }), []);
  await assert.rejects(ctrStatus(env, id), isGrpcError);
});

void test('RemoveContainer after StopContainer of a running container; a CREATED container can be removed too', async () => {
  const running = await runIn(env, pod, sleeper(env));
  await rt().stopContainer({ containerId: running, timeout: 5n });
  await rt().removeContainer({ containerId: running });
  const created = await createIn(env, pod, sleeper(env));
  await rt().removeContainer({ containerId: created });
  assert.deepEqual((await listIds()).filter((i) => i === running || i === created), []);
});

void test('ListContainers filters by id, pod sandbox id, state and labels, ANDed together; items carry the container\'s facts', async () => {
  const other = await runPod(env);
  const a = await runIn(env, pod, sleeper(env, { labels: { app: 'list', role: 'a' }, annotations: { 'critter.test/x': 'a b  c\n' } }));
  const b = await createIn(env, pod, sleeper(env, { labels: { app: 'list', role: 'b' } }));
  const c = await runIn(env, other, sleeper(env, { labels: { app: 'list', role: 'c' } }));
  await waitState(env, a, ContainerState.CONTAINER_RUNNING);
  await waitState(env, c, ContainerState.CONTAINER_RUNNING);
  await rt().stopContainer({ containerId: c, timeout: 5n });
  const sel = { app: 'list' };
  assert.deepEqual(await listIds({ labelSelector: sel }), [a, b, c].sort());
  assert.deepEqual(await listIds({ id: a }), [a]);
  assert.deepEqual(await listIds({ podSandboxId: other.id }), [c]);
  assert.deepEqual(await listIds({ podSandboxId: pod.id, labelSelector: sel }), [a, b].sort());
  assert.deepEqual(await listIds({ state: { state: ContainerState.CONTAINER_RUNNING }, labelSelector: sel }), [a]);
  assert.deepEqual(await listIds({ state: { state: ContainerState.CONTAINER_CREATED }, labelSelector: sel }), [b]);
  assert.deepEqual(await listIds({ state: { state: ContainerState.CONTAINER_EXITED }, labelSelector: sel }), [c]);
  assert.deepEqual(await listIds({ labelSelector: { app: 'list', role: 'b' } }), [b]);
  assert.deepEqual(await listIds({ labelSelector: { app: 'list', role: 'zzz' } }), []);
  assert.deepEqual(await listIds({ id: a, podSandboxId: other.id }), []);
  assert.deepEqual(await listIds({ id: c, state: { state: ContainerState.CONTAINER_RUNNING } }), []);

  const item = (await rt().listContainers({ filter: { id: a } })).containers[0]!;
  const s = await ctrStatus(env, a);
  assert.equal(item.podSandboxId, pod.id);
  assert.deepEqual(item.metadata, s.metadata);
  assert.equal(item.state, ContainerState.CONTAINER_RUNNING);
  assert.equal(item.createdAt, s.createdAt);
  assert.deepEqual(item.labels, { app: 'list', role: 'a' });
  assert.deepEqual(item.annotations, { 'critter.test/x': 'a b  c\n' }, 'annotations MUST NOT be altered');
  assert.deepEqual(s.annotations, { 'critter.test/x': 'a b  c\n' });
  assert.equal(item.image?.image, s.image?.image);
  assert.equal(item.imageRef, s.imageRef);
  assert.equal(item.imageId, s.imageId);
  await rt().removeContainer({ containerId: b });
  await rt().removeContainer({ containerId: a });
  await dropPod(env, other.id);
  assert.deepEqual(await listIds({ labelSelector: sel }), []);
});

void test('image identity: ContainerStatus.image_id and Container.image_id equal ImageStatus.id; image_ref is a digested reference', async () => {
  const id = await createIn(env, pod, sleeper(env));
  const s = await ctrStatus(env, id);
  const img = (await env.d.clients.image.imageStatus({ image: { image: env.images.busybox } })).image!;
  assert.equal(s.imageId, img.id);
  assert.equal((await rt().listContainers({ filter: { id } })).containers[0]?.imageId, img.id);
  assert.match(s.imageRef, /@sha256:[0-9a-f]{64}$/);
  assert.ok(img.repoDigests.includes(s.imageRef), `${s.imageRef} among ${img.repoDigests.join(',')}`);
  await rt().removeContainer({ containerId: id });
});

void test('command, args, env and working dir of the CRI config are what the process gets', async () => {
  const id = await runIn(
    env,
    pod,
    ctrConfig(env.images.busybox, {
      command: ['sh', '-c'],
      args: ['echo "argv=$0 $1|FOO=$FOO|SPACED=$SPACED|pwd=$(pwd)"; sleep 1000', 'zero', 'one'],
      envs: [
        { key: 'FOO', value: 'bar' },
        { key: 'SPACED', value: 'a b=c' },
      ],
      workingDir: '/tmp',
    }),
  );
  const log = (await ctrStatus(env, id)).logPath;
  const line = await until('the output', () => readCriLog(log).split('\n').find((l) => l.startsWith('argv=')));
  assert.equal(line, 'argv=zero one|FOO=bar|SPACED=a b=c|pwd=/tmp');
  const envOut = await shIn(env, id, 'env');
  assert.match(envOut, /^FOO=bar$/m);
  assert.match(envOut, /^PATH=/m, 'the image\'s env is kept');
  await rt().removeContainer({ containerId: id });
});

void test('image defaults: no command runs the image entrypoint+cmd; args alone replace the cmd; CRI env overrides the image\'s; workdir from the image', async () => {
  const plain = await runIn(env, pod, ctrConfig(env.images.configured));
  const withArgs = await runIn(env, pod, ctrConfig(env.images.configured, { args: ['echo "args:$GREETING:$(pwd)"'], envs: [{ key: 'GREETING', value: 'hi' }] }));
  const withCmd = await runIn(env, pod, ctrConfig(env.images.configured, { command: ['sh', '-c', 'echo "cmd:$WITH_EQUALS"'] }));
  for (const id of [plain, withArgs, withCmd]) await waitState(env, id, ContainerState.CONTAINER_EXITED);
  assert.equal(readCriLog((await ctrStatus(env, plain)).logPath), 'hello from /work/dir\n');
  assert.equal(readCriLog((await ctrStatus(env, withArgs)).logPath), 'args:hi:/work/dir\n');
  assert.equal(readCriLog((await ctrStatus(env, withCmd)).logPath), 'cmd:a=b\n', 'command replaces the entrypoint and drops the image cmd');
  for (const id of [plain, withArgs, withCmd]) await rt().removeContainer({ containerId: id });
});

void test('logs: a CRI-format file at log_directory/log_path with stdout/stderr stream tags, F/P tags and RFC 3339 timestamps', async () => {
  const long = 'x'.repeat(20_000);
  const id = await runIn(
    env,
    pod,
    ctrConfig(env.images.busybox, {
      name: 'logger',
      logPath: 'logger/0.log',
      command: ['sh', '-c', `echo out1; echo err1 >&2; echo out2; printf partial; sleep 0.3; echo ' done'; echo ${long}`],
    }),
  );
  const s = await waitState(env, id, ContainerState.CONTAINER_EXITED);
  const expected = join(pod.config.logDirectory!, 'logger/0.log');
  assert.equal(s.logPath, expected, 'ContainerStatus.log_path is log_directory joined with log_path');
  assert.ok(existsSync(expected));
  const raw = readFileSync(expected, 'utf8');
  const lines = raw.split('\n').filter(Boolean);
  const re = /^(\S+) (stdout|stderr) ([PF]) (.*)$/;
  for (const l of lines) {
    const m = re.exec(l);
    assert.ok(m, `CRI log line: ${JSON.stringify(l.slice(0, 80))}`);
    assert.match(m[1]!, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/, 'RFC 3339 timestamp');
  }
  assert.equal(readCriLog(expected, 'stdout'), `out1\nout2\npartial done\n${long}\n`);
  assert.equal(readCriLog(expected, 'stderr'), 'err1\n');
  const times = lines.map((l) => Date.parse(l.split(' ')[0]!));
  assert.deepEqual([...times].sort((x, y) => x - y), times, 'timestamps never go back');
  await rt().removeContainer({ containerId: id });
});

void test('ReopenContainerLog: after the kubelet renames the log, a new file is created and receives the new lines', async () => {
  const id = await runIn(env, pod, ctrConfig(env.images.busybox, { command: ['sh', '-c', 'i=0; while true; do echo line$i; i=$((i+1)); sleep 0.1; done'] }));
  const log = (await ctrStatus(env, id)).logPath;
  await until('first lines', () => readCriLog(log).includes('line2'));
  renameSync(log, `${log}.1`);
  await rt().reopenContainerLog({ containerId: id });
  await until('lines in the new file', () => /line\d+/.test(readCriLog(log)));
  const oldLen = readFileSync(`${log}.1`, 'utf8').length;
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(readFileSync(`${log}.1`, 'utf8').length, oldLen, 'the old file no longer grows');
  await rt().removeContainer({ containerId: id });
});

void test(
  'ReopenContainerLog: the new log file exists as soon as the RPC returns (critest checks right away)',
  async () => {
    const id = await runIn(env, pod, ctrConfig(env.images.busybox, { command: ['sh', '-c', 'while true; do echo tick; sleep 0.05; done'] }));
    const log = (await ctrStatus(env, id)).logPath;
    await until('first lines', () => readCriLog(log).includes('tick'));
    try {
      for (let i = 0; i < 5; i++) {
        renameSync(log, `${log}.${i}`);
        await rt().reopenContainerLog({ containerId: id });
        assert.ok(existsSync(log), `round ${i}: the new log file exists once ReopenContainerLog returns`);
        await until('a line in the new file', () => readCriLog(log).includes('tick'));
      }
    } finally {
      await rt().removeContainer({ containerId: id });
    }
  },
);

void test('ExecSync: stdout, stderr and exit code of the command; a non-zero exit is not an RPC error', async () => {
  const id = await runIn(env, pod, sleeper(env));
  assert.deepEqual(await exec(env, id, ['echo', 'hello']), { stdout: 'hello\n', stderr: '', exitCode: 0 });
  assert.deepEqual(await exec(env, id, ['sh', '-c', 'echo o; echo e >&2; exit 3']), { stdout: 'o\n', stderr: 'e\n', exitCode: 3 });
  const big = await exec(env, id, ['sh', '-c', 'head -c 300000 /dev/zero | tr "\\0" a']);
  assert.equal(big.stdout.length, 300_000, 'large output is returned whole (below the 16 MB cap)');
  await rt().removeContainer({ containerId: id });
});

void test('ExecSync with a timeout fails and the timed-out process is gone', async () => {
  const id = await runIn(env, pod, sleeper(env));
  const t0 = Date.now();
  await assert.rejects(exec(env, id, ['sleep', '47'], 1n), isGrpcError);
  assert.ok(Date.now() - t0 < 10_000);
  const ps = await exec(env, id, ['sh', '-c', 'ps -o args | grep "^sleep 47" || true']);
  assert.equal(ps.stdout.trim(), '', 'no "sleep 47" left');
  assert.equal(ps.stderr, '');
  await rt().removeContainer({ containerId: id });
});

void test('ExecSync on a stopped or never-started container fails', async () => {
  const id = await runIn(env, pod, sleeper(env));
  await rt().stopContainer({ containerId: id, timeout: 5n });
  await assert.rejects(exec(env, id, ['true']), isGrpcError);
  const created = await createIn(env, pod, sleeper(env));
  await assert.rejects(exec(env, created, ['true']), isGrpcError);
  await assert.rejects(exec(env, 'd'.repeat(64), ['true']), isCode(Code.NOT_FOUND));
  for (const c of [id, created]) await rt().removeContainer({ containerId: c });
});

void test('UpdateContainerResources: new limits reach the container\'s cgroup (seen inside too) and its status', async () => {
  const id = await runIn(env, pod, sleeper(env, { linux: { resources: { memoryLimitInBytes: 64n << 20n }, securityContext: {} } }));
  await rt().updateContainerResources({ containerId: id, linux: { memoryLimitInBytes: 80n << 20n, cpuPeriod: 100_000n, cpuQuota: 20_000n } });
  assert.equal(cgroupLimit(id, 'memory'), String(80 << 20));
  assert.equal(cgroupLimit(id, 'cpuQuota'), '20000');
  const inside = await shIn(env, id, 'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes');
  assert.equal(inside, String(80 << 20));
  const s = await ctrStatus(env, id);
  assert.equal(s.resources?.linux?.memoryLimitInBytes, 80n << 20n);
  assert.equal(s.resources?.linux?.cpuQuota, 20_000n);
  await assert.rejects(rt().updateContainerResources({ containerId: 'e'.repeat(64), linux: {} }), isGrpcError);
  await rt().removeContainer({ containerId: id });
});

void test('mounts: a host path is mounted (read-write or read-only); a symlinked host path is followed', async () => {
  const real = join(env.dir, 'conf-vol');
  mkdirSync(real, { recursive: true });
  writeFileSync(join(real, 'flag'), 'from host\n');
  const link = `${real}-link`;
  rmSync(link, { force: true });
  symlinkSync(real, link);
  const id = await runIn(
    env,
    pod,
    sleeper(env, {
      mounts: [
        { hostPath: real, containerPath: '/vol' },
        { hostPath: link, containerPath: '/via-link', readonly: true },
      ],
    }),
  );
  assert.equal(await shIn(env, id, 'cat /vol/flag'), 'from host');
  assert.equal(await shIn(env, id, 'cat /via-link/flag'), 'from host');
  assert.notEqual((await exec(env, id, ['touch', '/via-link/new'])).exitCode, 0, 'readonly mount refuses writes');
  await rt().removeContainer({ containerId: id });
});

// api.proto asks runtimes to report a missing host path; containerd and CRI-O both create it
// as a directory instead, and Kubernetes hostPath volumes with no type rely on that (the kubelet
// checks nothing before mounting them). critter follows the runtimes the kubelet is run with.
void test('mounts: a host path that does not exist is created as a directory, as containerd and CRI-O do', async () => {
  const hostPath = join(env.dir, `does-not-exist-${Date.now()}`);
  const c = await createIn(env, pod, sleeper(env, { mounts: [{ hostPath, containerPath: '/m' }] }));
  try {
    await rt().startContainer({ containerId: c });
    assert.equal(ContainerState[(await ctrStatus(env, c)).state], 'CONTAINER_RUNNING');
    assert.ok(statSync(hostPath).isDirectory(), 'the host path exists now, as a directory');
    assert.equal(await shIn(env, c, 'echo hi > /m/f && cat /m/f'), 'hi');
    assert.equal(readFileSync(join(hostPath, 'f'), 'utf8'), 'hi\n', 'the mount is the host path');
  } finally {
    await rt().removeContainer({ containerId: c });
  }
});

void test('(name, attempt) is unique within a sandbox; the next attempt of the same name is a new container', async () => {
  const first = await createIn(env, pod, sleeper(env, { name: 'retry' }));
  // A different container under a taken (name, attempt) is refused; an identical retry may
  // only ever yield the same container.
  await assert.rejects(createIn(env, pod, ctrConfig(env.images.busybox, { name: 'retry', command: ['true'] })), isGrpcError);
  const retry = await createIn(env, pod, sleeper(env, { name: 'retry' })).catch((e: unknown) => (isGrpcError(e) ? first : Promise.reject(e)));
  assert.equal(retry, first);
  assert.equal((await listIds()).filter((i) => i === first).length, 1);
  const second = await createIn(env, pod, sleeper(env, { metadata: { name: 'retry', attempt: 1 }, logPath: 'retry/1.log' }));
  assert.notEqual(first, second);
  assert.equal((await ctrStatus(env, second)).metadata?.attempt, 1);
  for (const id of [first, second]) await rt().removeContainer({ containerId: id });
});

void test(
  'CreateContainer: critest-style container names (capitals, e.g. "container-for-execSync-test-<uuid>") are accepted',
  async () => {
    const name = critestName('container-for-execSync-test-');
    const id = await runIn(env, pod, sleeper(env, { metadata: { name, attempt: 2 } }));
    assert.equal((await ctrStatus(env, id)).metadata?.name, name);
    assert.deepEqual(await exec(env, id, ['echo', 'hello']), { stdout: 'hello\n', stderr: '', exitCode: 0 });
    await rt().removeContainer({ containerId: id });
  },
);

void test('ContainerStatus of an unknown container is an error; StartContainer of a missing one too', async () => {
  await assert.rejects(ctrStatus(env, 'f'.repeat(64)), isCode(Code.NOT_FOUND));
  await assert.rejects(rt().startContainer({ containerId: 'f'.repeat(64) }), isGrpcError);
});
