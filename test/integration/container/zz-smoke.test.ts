import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCtrEnv, stopCtrEnv, runPod, runCtr, ctrConfig, waitExited, status, readCriLog, exec, type CtrEnv } from '/work/main/test/integration/container/helpers.js';

let env: CtrEnv;
before(async () => { env = await startCtrEnv(); });
after(async () => { await stopCtrEnv(env); });

test('smoke', async () => {
  for (const h of ['runc', 'crun'] as const) {
    const pod = await runPod(env, h);
    const id = await runCtr(env, pod, ctrConfig(env.images.busybox, { command: ['sh', '-c', 'echo hi; sleep 100'] }));
    const s = await status(env, id);
    console.log(h, s.state, s.logPath, s.reason);
    const e = await exec(env, id, ['id']);
    console.log(e);
    await env.d.clients.runtime.stopContainer({ containerId: id, timeout: 1n });
    const x = await waitExited(env, id);
    console.log(x.exitCode, x.reason, readCriLog(x.logPath));
    await env.d.clients.runtime.removeContainer({ containerId: id });
  }
});
