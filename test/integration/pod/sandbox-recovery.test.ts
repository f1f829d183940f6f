// Pod sandboxes across critterd crashes, and RunPodSandbox failures that must leave nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status as Code, type ServiceError } from '@grpc/grpc-js';
import { PodSandboxState } from '../../../src/gen/runtime/v1/api_pb.js';
import { natRules } from '../../fixtures/cni/test-network.js';
import { mountsUnder, processesUnder } from '../../harness/leaks.js';
import { startCritterd, type CritterdHandle } from '../../harness/daemon.js';
import { bridgePorts, configFor, ipamFiles, podConfig, startEnv, stopEnv, type Env } from './sandbox-helpers.js';

async function kill9(d: CritterdHandle): Promise<void> {
  d.clients.close();
  d.process.kill('SIGKILL');
  await d.exited;
}

const records = (env: Env): string[] => {
  const dir = join(env.dir, 'root', 'sandboxes');
  return existsSync(dir) ? readdirSync(dir) : [];
};
const stateDirs = (env: Env): string[] => {
  const dir = join(env.dir, 'state', 'sandboxes');
  return existsSync(dir) ? readdirSync(dir) : [];
};

void test('after SIGKILL and a restart, pods are listed with their state and StopPodSandbox tears the network down from the CNI cache', async () => {
  const env = await startEnv();
  let d = env.d;
  try {
    const a = (await d.clients.runtime.runPodSandbox({ config: podConfig({ ports: [{ hostPort: 23456, containerPort: 80, hostIp: env.net.gateway }] }) })).podSandboxId;
    const b = (await d.clients.runtime.runPodSandbox({ config: podConfig({ sharedPid: true }) })).podSandboxId;
    env.net.podIds.add(a).add(b);
    await d.clients.runtime.stopPodSandbox({ podSandboxId: b });
    const c = (await d.clients.runtime.runPodSandbox({ config: podConfig({ sharedPid: true }) })).podSandboxId;
    env.net.podIds.add(c);
    await kill9(d);
    d = await startCritterd({ dir: env.dir, config: configFor(env.net) });
    const state = Object.fromEntries((await d.clients.runtime.listPodSandbox({})).items.map((p) => [p.id, p.state]));
    assert.deepEqual(state, { [a]: PodSandboxState.SANDBOX_READY, [b]: PodSandboxState.SANDBOX_NOTREADY, [c]: PodSandboxState.SANDBOX_READY });
    assert.equal(bridgePorts(env.net.bridge).length, 2);

    // The conflist is gone: DEL can only come from the cache.
    unlinkSync(env.net.conflist);
    await d.clients.runtime.stopPodSandbox({ podSandboxId: a });
    assert.equal(bridgePorts(env.net.bridge).length, 1);
    assert.equal(natRules().includes(a), false);
    assert.equal(ipamFiles(env.net).length, 1);
    await d.clients.runtime.stopPodSandbox({ podSandboxId: c });
    assert.deepEqual(ipamFiles(env.net), []);
  } finally {
    await stopEnv(env, d);
  }
});

void test('a RunPodSandbox failing in CNI (a missing plugin) leaves nothing behind', async () => {
  const env = await startEnv({ netOptions: { extraPlugins: [{ type: 'no-such-plugin' }] } });
  try {
    await assert.rejects(
      env.d.clients.runtime.runPodSandbox({ config: podConfig({ sharedPid: true }) }),
      (e: unknown) => (e as ServiceError).code === Code.FAILED_PRECONDITION && /no-such-plugin/.test((e as ServiceError).details),
    );
    assert.deepEqual((await env.d.clients.runtime.listPodSandbox({})).items, []);
    assert.deepEqual(records(env), []);
    assert.deepEqual(stateDirs(env), []);
    assert.deepEqual(mountsUnder(join(env.dir, 'state', 'sandboxes')), []);
    assert.deepEqual(bridgePorts(env.net.bridge), []);
    // The name is free again.
    const config = podConfig({ name: 'again', uid: 'u-again' });
    await assert.rejects(env.d.clients.runtime.runPodSandbox({ config }), (e: unknown) => (e as ServiceError).code === Code.FAILED_PRECONDITION);
  } finally {
    await stopEnv(env);
  }
});

void test('a sandbox half-made when critterd died is undone at the next start', async () => {
  const env = await startEnv();
  const bin = join(env.dir, 'bin');
  mkdirSync(bin);
  symlinkSync('/usr/bin/sleep', join(bin, 'sleepy'));
  writeFileSync(join(bin, 'slow'), `#!/bin/sh\n[ "$CNI_COMMAND" = ADD ] && exec ${join(bin, 'sleepy')} 60\nexit 0\n`);
  chmodSync(join(bin, 'slow'), 0o755);
  const conf = JSON.parse((await import('node:fs')).readFileSync(env.net.conflist, 'utf8')) as { plugins: unknown[] };
  conf.plugins.push({ type: 'slow' });
  writeFileSync(env.net.conflist, JSON.stringify(conf));
  const config = `[network]\ncni_conf_dir = "${env.net.confDir}"\ncni_bin_dirs = ["${bin}", "/usr/lib/cni"]\n`;
  await env.d.stop({ keepDir: true });
  let d = await startCritterd({ dir: env.dir, config });
  try {
    const pending = d.clients.runtime.runPodSandbox({ config: podConfig() }).catch(() => undefined);
    // Wait for the slow plugin: the bridge plugin has run by then (veth + IP taken).
    for (let i = 0; i < 200 && !processesUnder(bin).some((p) => p.cmdline.includes('sleepy')); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(bridgePorts(env.net.bridge).length, 1);
    assert.equal(records(env).length, 1);
    await kill9(d);
    await pending;
    for (const p of processesUnder(bin)) process.kill(p.pid, 'SIGKILL');
    d = await startCritterd({ dir: env.dir, config });
    assert.deepEqual((await d.clients.runtime.listPodSandbox({})).items, []);
    assert.deepEqual(records(env), []);
    assert.deepEqual(stateDirs(env), []);
    assert.deepEqual(mountsUnder(join(env.dir, 'state', 'sandboxes')), []);
    assert.deepEqual(bridgePorts(env.net.bridge), [], 'the partial CNI ADD was undone');
    assert.deepEqual(ipamFiles(env.net), []);
  } finally {
    await stopEnv(env, d);
  }
});

void test('the kubelet retrying after its deadline passed gets the sandbox the first call went on to make', async () => {
  const env = await startEnv();
  const bin = join(env.dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'slowish'), '#!/bin/sh\n[ "$CNI_COMMAND" = ADD ] && sleep 2\ncat >/dev/null\n[ "$CNI_COMMAND" = ADD ] && printf \'{"cniVersion":"1.0.0"}\'\nexit 0\n');
  chmodSync(join(bin, 'slowish'), 0o755);
  // First in the chain, so the bridge's result is what the pod gets.
  const conf = JSON.parse((await import('node:fs')).readFileSync(env.net.conflist, 'utf8')) as { plugins: unknown[] };
  conf.plugins.unshift({ type: 'slowish' });
  writeFileSync(env.net.conflist, JSON.stringify(conf));
  await env.d.stop({ keepDir: true });
  const d = await startCritterd({ dir: env.dir, config: `[network]\ncni_conf_dir = "${env.net.confDir}"\ncni_bin_dirs = ["${bin}", "/usr/lib/cni"]\n` });
  try {
    const config = podConfig({ name: 'slow', uid: 'u-slow' });
    await assert.rejects(
      d.clients.runtime.runPodSandbox({ config }, { deadline: new Date(Date.now() + 500) }),
      (e: unknown) => (e as ServiceError).code === Code.DEADLINE_EXCEEDED,
    );
    const retry = await d.clients.runtime.runPodSandbox({ config });
    env.net.podIds.add(retry.podSandboxId);
    const pods = (await d.clients.runtime.listPodSandbox({})).items;
    assert.deepEqual(pods.map((p) => p.id), [retry.podSandboxId], 'one sandbox: the one the first call made');
    assert.equal(pods[0]!.state, PodSandboxState.SANDBOX_READY);
    assert.equal(bridgePorts(env.net.bridge).length, 1);
  } finally {
    await stopEnv(env, d);
  }
});
