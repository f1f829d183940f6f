// critterd killed with SIGKILL and started again on the same root: running containers are
// still running (same process), one that exited while no daemon ran is reported with its exit
// code, and a container whose creation was interrupted is undone completely.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ContainerState } from '../../../src/gen/runtime/v1/api_pb.js';
import { startCritterd } from '../../harness/daemon.js';
import { mountsUnder } from '../../harness/leaks.js';
import {
  HANDLERS,
  configWithRegistry,
  createCtr,
  ctrConfig,
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

async function killAndRestart(): Promise<void> {
  env.d.clients.close();
  env.d.process.kill('SIGKILL');
  await env.d.exited;
}

async function restart(): Promise<void> {
  env.d = await startCritterd({ dir: env.dir, config: configWithRegistry(env.net, env.certs) });
}

const pidOf = async (id: string): Promise<number> => {
  const v = await env.d.clients.runtime.containerStatus({ containerId: id, verbose: true });
  return (JSON.parse(v.info.info!) as { pid: number }).pid;
};

void test('SIGKILL and restart: running ones keep running, exits while down are reported, half-created ones are undone', async () => {
  const live: { running: string; exiting: string; half: string; handler: string; pid: number; halfRootfs: string }[] = [];
  for (const h of HANDLERS) {
    const pod = await runPod(env, h);
    const running = await runCtr(env, pod, ctrConfig(env.images.busybox, { command: ['sleep', '1000'] }));
    const exiting = await runCtr(env, pod, ctrConfig(env.images.busybox, { command: ['sh', '-c', 'sleep 2; exit 7'] }));
    const halfCfg = ctrConfig(env.images.busybox, { name: 'half', command: ['sleep', '1000'] });
    const half = await createCtr(env, pod, halfCfg);
    const v = JSON.parse((await env.d.clients.runtime.containerStatus({ containerId: half, verbose: true })).info.info!) as { rootfs: string };
    live.push({ running, exiting, half, handler: h, pid: await pidOf(running), halfRootfs: v.rootfs });
  }
  await killAndRestart();
  // As if critterd had died between conmon's create and the record saying so.
  for (const c of live) {
    const file = join(env.d.root, 'containers', `${c.half}.json`);
    const rec = JSON.parse(readFileSync(file, 'utf8')) as { phase: string };
    rec.phase = 'creating';
    writeFileSync(file, JSON.stringify(rec));
  }
  await new Promise((r) => setTimeout(r, 2500));
  const restartedAt = BigInt(Date.now()) * 1_000_000n;
  await restart();

  for (const c of live) {
    const ids = (await env.d.clients.runtime.listContainers({})).containers.map((x) => x.id);
    assert.ok(ids.includes(c.running) && ids.includes(c.exiting), c.handler);
    assert.ok(!ids.includes(c.half), `${c.handler}: the half-created container is gone`);
    const r = await status(env, c.running);
    assert.equal(r.state, ContainerState.CONTAINER_RUNNING, c.handler);
    assert.equal(await pidOf(c.running), c.pid, `${c.handler}: the same process`);
    const e = await waitExited(env, c.exiting, 5000);
    assert.equal(e.exitCode, 7, c.handler);
    assert.equal(e.reason, 'Error');
    assert.ok(e.finishedAt < restartedAt, `${c.handler}: it ended while critterd was down`);
    assert.deepEqual(mountsUnder(c.halfRootfs), [], `${c.handler}: rootfs of the half-created container unmounted`);
    assert.ok(!existsSync(join(env.d.root, 'snapshots', 'active', c.half)), `${c.handler}: its writable layer removed`);
    const st = spawnSync(c.handler === 'runc' ? '/usr/sbin/runc' : '/usr/bin/crun', ['--root', join(env.d.state, 'runtime', c.handler), 'state', c.half]);
    assert.notEqual(st.status, 0, `${c.handler}: the runtime no longer knows it`);
    // Its name is free again, and the running one's exit is still watched.
    const again = await createCtr(env, (await env.d.clients.runtime.listContainers({ filter: { id: c.running } })).containers[0]!.podSandboxId, ctrConfig(env.images.busybox, { name: 'half', command: ['true'] }));
    await env.d.clients.runtime.removeContainer({ containerId: again });
    process.kill(c.pid, 'SIGKILL');
    const k = await until('the exit of the running one', async () => {
      const s = await status(env, c.running);
      return s.state === ContainerState.CONTAINER_EXITED ? s : undefined;
    });
    assert.equal(k.exitCode, 137);
  }
});
