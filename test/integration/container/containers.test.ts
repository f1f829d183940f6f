// Containers through a real critterd, on runc and on crun: a real registry for the images, the
// real CNI plugins on a throwaway bridge, conmon. One daemon for the file; one pod per handler
// for most tests. Everything is removed at the end and checked for leftovers (processes,
// mounts, cgroups, iptables rules).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { status as Code } from '@grpc/grpc-js';
import { ContainerState, PodSandboxState } from '../../../src/gen/runtime/v1/api_pb.js';
import {
  HANDLERS,
  cgroupLimit,
  code,
  createCtr,
  ctrConfig,
  exec,
  readCriLog,
  runCtr,
  runPod,
  startCtrEnv,
  status,
  stopCtrEnv,
  until,
  waitExited,
  type CtrEnv,
} from './helpers.js';

let env: CtrEnv;
before(async () => {
  env = await startCtrEnv();
});
after(async () => {
  await stopCtrEnv(env);
});

const rt = () => env.d.clients.runtime;
const SLEEP = ['sh', '-c', 'sleep 1000'];

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

for (const h of HANDLERS) {
  void describe(`containers on ${h}`, () => {
    let pod: string;
    before(async () => {
      pod = await runPod(env, h);
    });

    void test('create, start, status, stop, remove; logs in CRI format where the kubelet looks', async () => {
      const cfg = ctrConfig(env.images.busybox, {
        name: 'main',
        command: ['sh', '-c', 'echo out; echo err >&2; sleep 1000'],
        labels: { app: 'demo', tier: 'x' },
        annotations: { 'critter.test/a': 'b' },
        linux: { resources: { memoryLimitInBytes: 64n << 20n, cpuShares: 512n }, securityContext: {} },
      });
      const id = await createCtr(env, pod, cfg);
      assert.match(id, /^[0-9a-f]{64}$/);
      let s = await status(env, id);
      assert.equal(s.state, ContainerState.CONTAINER_CREATED);
      assert.ok(s.createdAt > 0n);
      assert.equal(s.startedAt, 0n);
      await rt().startContainer({ containerId: id });
      await assert.rejects(rt().startContainer({ containerId: id }), code(Code.FAILED_PRECONDITION));
      s = await status(env, id);
      assert.equal(s.state, ContainerState.CONTAINER_RUNNING);
      assert.ok(s.startedAt >= s.createdAt);
      assert.equal(s.image?.image, env.images.busybox);
      assert.equal(s.image?.userSpecifiedImage, env.images.busybox);
      assert.match(s.imageRef, /@sha256:[0-9a-f]{64}$/);
      assert.match(s.imageId, /^sha256:[0-9a-f]{64}$/);
      assert.deepEqual(s.labels, { app: 'demo', tier: 'x' });
      assert.deepEqual(s.annotations, { 'critter.test/a': 'b' });
      assert.equal(s.resources?.linux?.memoryLimitInBytes, 64n << 20n);
      assert.equal(s.resources?.linux?.cpuShares, 512n);
      assert.equal(s.user?.linux?.uid, 0n);
      assert.ok(s.logPath.startsWith(`${env.logDir}/`) && s.logPath.endsWith('/main/0.log'), s.logPath);
      await until('output in the log', () => readCriLog(s.logPath).includes('out') && readCriLog(s.logPath, 'stderr').includes('err'));
      const v = await rt().containerStatus({ containerId: id, verbose: true });
      const info = JSON.parse(v.info.info!) as { pid: number; sandboxID: string; runtimeSpec: { process: { args: string[] } }; snapshotKey: string };
      assert.equal(info.sandboxID, pod);
      assert.ok(info.pid > 0 && existsSync(`/proc/${info.pid}`));
      assert.deepEqual(info.runtimeSpec.process.args, cfg.command);
      assert.equal(info.snapshotKey, id);
      assert.equal(cgroupLimit(id, 'memory'), String(64 << 20));

      // List and its filters.
      const all = (await rt().listContainers({})).containers.map((c) => c.id);
      assert.ok(all.includes(id));
      const filters: Parameters<ReturnType<typeof rt>['listContainers']>[0]['filter'][] = [
        { id },
        { id: id.slice(0, 12) },
        { podSandboxId: pod, labelSelector: { app: 'demo' } },
        { state: { state: ContainerState.CONTAINER_RUNNING }, labelSelector: { tier: 'x' } },
      ];
      for (const filter of filters) {
        const l = (await rt().listContainers({ filter })).containers;
        assert.deepEqual(l.map((c) => c.id), [id], JSON.stringify(filter, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x)));
        assert.equal(l[0]!.podSandboxId, pod);
        assert.equal(l[0]!.metadata?.name, 'main');
      }
      assert.equal((await rt().listContainers({ filter: { state: { state: ContainerState.CONTAINER_EXITED }, labelSelector: { app: 'demo' } } })).containers.length, 0);

      // The name is held while the container exists, whatever its state.
      const clash = ctrConfig(env.images.busybox, { name: 'main', command: ['true'] });
      await assert.rejects(createCtr(env, pod, clash), (e: Error) => code(Code.ALREADY_EXISTS)(e) && e.message.includes(id));

      await rt().stopContainer({ containerId: id, timeout: 2n });
      s = await status(env, id);
      assert.equal(s.state, ContainerState.CONTAINER_EXITED);
      assert.equal(s.exitCode, 137, 'sh as pid 1 ignores SIGTERM: killed after the timeout');
      assert.equal(s.reason, 'Error');
      assert.ok(s.finishedAt >= s.startedAt);
      await rt().stopContainer({ containerId: id, timeout: 2n });
      await assert.rejects(createCtr(env, pod, clash), code(Code.ALREADY_EXISTS));
      await rt().removeContainer({ containerId: id });
      await rt().removeContainer({ containerId: id });
      assert.ok(existsSync(s.logPath), 'the log stays for the kubelet to remove');
      await assert.rejects(status(env, id), code(Code.NOT_FOUND));
      // The name is free again.
      const again = await createCtr(env, pod, clash);
      await rt().removeContainer({ containerId: again });
    });

    void test('entrypoint, cmd, env and workdir from the image; Completed and Error', async () => {
      const a = await runCtr(env, pod, ctrConfig(env.images.configured, { envs: [{ key: 'GREETING', value: 'howdy' }] }));
      const sa = await waitExited(env, a);
      assert.equal(sa.exitCode, 0);
      assert.equal(sa.reason, 'Completed');
      assert.equal(readCriLog(sa.logPath), 'howdy from /work/dir\n');
      const b = await runCtr(env, pod, ctrConfig(env.images.busybox, { command: ['sh', '-c', 'exit 3'] }));
      const sb = await waitExited(env, b);
      assert.equal(sb.exitCode, 3);
      assert.equal(sb.reason, 'Error');
      for (const id of [a, b]) await rt().removeContainer({ containerId: id });
    });

    void test('users from the image and the security context, seen through ExecSync', async () => {
      const cases: [string, Parameters<typeof ctrConfig>[1], RegExp][] = [
        [env.images.uid, {}, /^uid=1000\(critter\) gid=1000\(critter\) groups=10\(wheel\),29\(audio\),44\(video\),1000\(critter\),1001\(extra\)$/],
        [env.images.username, {}, /^uid=1000\(critter\) gid=1000\(critter\)/],
        [env.images.userGroup, {}, /^uid=1000\(critter\) gid=10\(wheel\)/],
        [env.images.busybox, { linux: { securityContext: { runAsUser: { value: 65534n } } } }, /^uid=65534\(nobody\) gid=65534\(nogroup\)/],
      ];
      for (const [image, o, want] of cases) {
        const id = await runCtr(env, pod, ctrConfig(image, { command: SLEEP, ...o }));
        const r = await exec(env, id, ['id']);
        assert.equal(r.exitCode, 0);
        assert.match(r.stdout.trim(), want, image);
        const s = await status(env, id);
        assert.match(`uid=${s.user?.linux?.uid}`, new RegExp(`^uid=${/uid=(\d+)/.exec(r.stdout)![1]}$`));
        await rt().removeContainer({ containerId: id });
      }
    });

    void test('ExecSync: stdout, stderr and exit code; a timeout is DEADLINE_EXCEEDED and the command is killed', async () => {
      const id = await runCtr(env, pod, ctrConfig(env.images.busybox, { command: SLEEP }));
      const r = await exec(env, id, ['sh', '-c', 'echo to-out; echo to-err >&2; exit 5']);
      assert.deepEqual(r, { stdout: 'to-out\n', stderr: 'to-err\n', exitCode: 5 });
      const t0 = Date.now();
      await assert.rejects(exec(env, id, ['sleep', '37'], 1n), code(Code.DEADLINE_EXCEEDED));
      assert.ok(Date.now() - t0 < 8000);
      const ps = await exec(env, id, ['ps', '-o', 'args']);
      assert.ok(!ps.stdout.includes('sleep 37'), ps.stdout);
      await assert.rejects(rt().execSync({ containerId: id, cmd: [] }), code(Code.INVALID_ARGUMENT));
      await rt().stopContainer({ containerId: id, timeout: 0n });
      await assert.rejects(exec(env, id, ['true']), code(Code.FAILED_PRECONDITION));
      await rt().removeContainer({ containerId: id });
    });

    void test('STOPSIGNAL of the image is sent first; the trap decides the exit code', async () => {
      const id = await runCtr(env, pod, ctrConfig(env.images.stopSignal));
      await until('the trap to be set', async () => (await exec(env, id, ['ps', '-o', 'args'])).stdout.includes('sleep'));
      const t0 = Date.now();
      await rt().stopContainer({ containerId: id, timeout: 20n });
      assert.ok(Date.now() - t0 < 10_000, 'stopped by the signal, not the timeout');
      const s = await status(env, id);
      assert.equal(s.exitCode, 42);
      await rt().removeContainer({ containerId: id });
    });

    void test('an OOM-killed container is reported as OOMKilled with 137', async () => {
      const id = await runCtr(
        env,
        pod,
        ctrConfig(env.images.busybox, {
          command: ['sh', '-c', 'x=aaaaaaaa; while true; do x=$x$x; done'],
          linux: { resources: { memoryLimitInBytes: 16n << 20n }, securityContext: {} },
        }),
      );
      const s = await waitExited(env, id, 30_000);
      assert.equal(s.reason, 'OOMKilled');
      assert.equal(s.exitCode, 137);
      await rt().removeContainer({ containerId: id });
    });

    void test('UpdateContainerResources reaches the cgroup and the status', async () => {
      const id = await runCtr(env, pod, ctrConfig(env.images.busybox, { command: SLEEP, linux: { resources: { memoryLimitInBytes: 64n << 20n }, securityContext: {} } }));
      await rt().updateContainerResources({ containerId: id, linux: { memoryLimitInBytes: 96n << 20n, cpuQuota: 50_000n, cpuPeriod: 100_000n } });
      assert.equal(cgroupLimit(id, 'memory'), String(96 << 20));
      assert.equal(cgroupLimit(id, 'cpuQuota'), '50000');
      const s = await status(env, id);
      assert.equal(s.resources?.linux?.memoryLimitInBytes, 96n << 20n);
      assert.equal(s.resources?.linux?.cpuQuota, 50_000n);
      await assert.rejects(rt().updateContainerResources({ containerId: 'f'.repeat(64), linux: {} }), code(Code.NOT_FOUND));
      await rt().removeContainer({ containerId: id });
    });

    void test('ReopenContainerLog: after a rename, new lines land in a new file', async () => {
      const id = await runCtr(env, pod, ctrConfig(env.images.busybox, { command: ['sh', '-c', 'i=0; while true; do echo line$i; i=$((i+1)); sleep 0.1; done'] }));
      const log = (await status(env, id)).logPath;
      await until('first lines', () => readCriLog(log).includes('line1'));
      renameSync(log, `${log}.1`);
      await rt().reopenContainerLog({ containerId: id });
      await until('lines in the new file', () => /line\d+/.test(readCriLog(log)));
      const firstNew = Number(/line(\d+)/.exec(readCriLog(log))![1]);
      assert.ok(firstNew > 1);
      await rt().stopContainer({ containerId: id, timeout: 0n });
      await assert.rejects(rt().reopenContainerLog({ containerId: id }), code(Code.FAILED_PRECONDITION));
      await rt().removeContainer({ containerId: id });
    });

    void test('read-only rootfs, rw and ro bind mounts of host dirs', async () => {
      const rw = join(env.dir, `rw-${h}`);
      const ro = join(env.dir, `ro-${h}`);
      mkdirSync(rw);
      mkdirSync(ro);
      writeFileSync(join(ro, 'f'), 'from host\n');
      const id = await runCtr(
        env,
        pod,
        ctrConfig(env.images.busybox, {
          command: SLEEP,
          mounts: [
            { containerPath: '/rw', hostPath: rw },
            { containerPath: '/ro', hostPath: ro, readonly: true },
          ],
          linux: { securityContext: { readonlyRootfs: true } },
        }),
      );
      assert.notEqual((await exec(env, id, ['touch', '/x'])).exitCode, 0);
      assert.equal((await exec(env, id, ['sh', '-c', 'echo hi > /rw/f'])).exitCode, 0);
      assert.equal(readFileSync(join(rw, 'f'), 'utf8'), 'hi\n');
      assert.equal((await exec(env, id, ['cat', '/ro/f'])).stdout, 'from host\n');
      assert.notEqual((await exec(env, id, ['touch', '/ro/g'])).exitCode, 0);
      const s = await status(env, id);
      assert.deepEqual(
        s.mounts.map((m) => [m.containerPath, m.hostPath, m.readonly]),
        [
          ['/rw', rw, false],
          ['/ro', ro, true],
        ],
      );
      await rt().removeContainer({ containerId: id });
    });

    void test('identical concurrent CreateContainer calls make one container', async () => {
      const cfg = ctrConfig(env.images.busybox, { command: SLEEP });
      const ids = await Promise.all([createCtr(env, pod, cfg), createCtr(env, pod, cfg), createCtr(env, pod, cfg)]);
      assert.equal(new Set(ids).size, 1);
      const mine = (await rt().listContainers({ filter: { podSandboxId: pod } })).containers.filter((c) => c.metadata?.name === cfg.metadata!.name);
      assert.equal(mine.length, 1);
      await rt().removeContainer({ containerId: ids[0]! });
    });

    void test('missing ids and bad requests', async () => {
      const missing = 'e'.repeat(64);
      await assert.rejects(status(env, missing), code(Code.NOT_FOUND));
      await assert.rejects(rt().startContainer({ containerId: missing }), code(Code.NOT_FOUND));
      await assert.rejects(exec(env, missing, ['true']), code(Code.NOT_FOUND));
      await assert.rejects(rt().reopenContainerLog({ containerId: missing }), code(Code.NOT_FOUND));
      await rt().stopContainer({ containerId: missing, timeout: 0n });
      await rt().removeContainer({ containerId: missing });
      await assert.rejects(createCtr(env, 'd'.repeat(64), ctrConfig(env.images.busybox)), code(Code.NOT_FOUND));
      await assert.rejects(createCtr(env, pod, ctrConfig(`${env.reg.host}/nothere:latest`)), (e: Error) => code(Code.NOT_FOUND)(e) && /pull it first/.test(e.message));
      await assert.rejects(createCtr(env, pod, ctrConfig(env.images.busybox, { name: 'bad/name' })), code(Code.INVALID_ARGUMENT));
      await assert.rejects(createCtr(env, pod, { ...ctrConfig(env.images.busybox), image: { image: '' } }), code(Code.INVALID_ARGUMENT));
    });

    void test('two containers of a pod talk over localhost; a port mapping reaches one from the host', async () => {
      const hostPort = randomInt(20000, 40000);
      const p = await runPod(env, h, { ports: [{ hostPort, containerPort: 8080, hostIp: env.net.gateway }] });
      const server = await runCtr(env, p, ctrConfig(env.images.busybox, { name: 'server', command: ['sh', '-c', 'while true; do echo hello | nc -l -p 8080; done'] }));
      const client = await runCtr(env, p, ctrConfig(env.images.busybox, { name: 'client', command: SLEEP }));
      const got = await until('the server to answer over localhost', async () => {
        const r = await exec(env, client, ['sh', '-c', 'nc 127.0.0.1 8080 </dev/null']);
        return r.stdout.trim() === 'hello' ? r.stdout : undefined;
      });
      assert.equal(got.trim(), 'hello');
      assert.equal(await until('the server from the host', () => readLine(env.net.gateway, hostPort).catch(() => undefined)), 'hello');
      // StopPodSandbox stops the pod's containers; RemovePodSandbox removes them.
      await rt().stopPodSandbox({ podSandboxId: p });
      for (const id of [server, client]) assert.equal((await status(env, id)).state, ContainerState.CONTAINER_EXITED);
      assert.equal((await rt().podSandboxStatus({ podSandboxId: p })).status?.state, PodSandboxState.SANDBOX_NOTREADY);
      await assert.rejects(createCtr(env, p, ctrConfig(env.images.busybox)), code(Code.FAILED_PRECONDITION));
      await rt().removePodSandbox({ podSandboxId: p });
      assert.equal((await rt().listContainers({ filter: { podSandboxId: p } })).containers.length, 0);
    });
  });
}
