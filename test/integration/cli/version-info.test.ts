// The critter client against critter's socket and against a real containerd's.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { CRITTER, startCritterd, type CritterdHandle } from '../../harness/daemon.js';
import { containerdAvailable, startContainerd } from '../../harness/containerd.js';

const critter = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [CRITTER, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });

let d: CritterdHandle;
before(async () => {
  d = await startCritterd();
});
after(async () => {
  await d.stop();
});

test('critter version and info against critterd', () => {
  const v = critter(['--runtime-endpoint', `unix://${d.socket}`, 'version']);
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout, /^Version:\s+0\.1\.0\nRuntimeName:\s+critter\nRuntimeVersion:\s+\S+\nRuntimeApiVersion:\s+v1\n$/);
  const i = critter(['-r', d.socket, 'info']);
  assert.equal(i.status, 0, i.stderr);
  const info = JSON.parse(i.stdout) as { status: { conditions: { type: string; status: boolean }[] }; config: { root: string } };
  assert.deepEqual(info.status.conditions.map((c) => c.type), ['RuntimeReady', 'NetworkReady']);
  assert.equal(info.status.conditions[0]!.status, true);
  // NetworkReady depends on the node's CNI config (set-up installs one); it must be a boolean.
  assert.equal(typeof info.status.conditions[1]!.status, 'boolean');
  assert.equal(info.config.root, d.root);
});

test('the endpoint comes from $CONTAINER_RUNTIME_ENDPOINT when no flag is given', () => {
  const v = critter(['version'], { CONTAINER_RUNTIME_ENDPOINT: `unix://${d.socket}` });
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout, /RuntimeName:\s+critter/);
});

test('an endpoint with nobody behind it is a clear error, not a hang', () => {
  const v = critter(['-r', '/nonexistent/critter.sock', '--timeout', '1s', 'version']);
  assert.equal(v.status, 1);
  assert.match(v.stderr, /cannot connect to the CRI at \/nonexistent\/critter.sock/);
});

test('critter version and info against a real containerd', { skip: !containerdAvailable() && 'containerd is not installed (scripts/setup.sh installs it)' }, async () => {
  const c = await startContainerd();
  try {
    const v = critter(['-r', `unix://${c.socket}`, 'version']);
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stdout, /RuntimeName:\s+containerd\n/);
    assert.match(v.stdout, /RuntimeApiVersion:\s+v1\n/);
    const i = critter(['-r', c.socket, 'info']);
    assert.equal(i.status, 0, i.stderr);
    const info = JSON.parse(i.stdout) as { status: { conditions: { type: string }[] } };
    assert.ok(info.status.conditions.some((x) => x.type === 'RuntimeReady'));
  } finally {
    await c.stop();
  }
});
