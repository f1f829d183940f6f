// critterd as a process: socket, permissions, locking, stale sockets, signals, bad config.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CRITTERD, newTestDir, startCritterd } from '../../harness/daemon.js';

test('serves on the socket with 0660 permissions in a 0700 folder, and SIGTERM removes it and exits 0', async () => {
  const d = await startCritterd();
  assert.equal(statSync(d.socket).mode & 0o777, 0o660);
  assert.equal(statSync(join(d.dir, 'run')).mode & 0o777, 0o700);
  const v = await d.clients.runtime.version({ version: 'v1' });
  assert.equal(v.runtimeName, 'critter');
  d.process.kill('SIGTERM');
  assert.equal(await d.exited, 0);
  assert.equal(existsSync(d.socket), false, 'socket removed on shutdown');
  assert.match(d.logs(), /critterd stopped/);
  await d.stop();
});

test('SIGINT stops it the same way', async () => {
  const d = await startCritterd();
  d.process.kill('SIGINT');
  assert.equal(await d.exited, 0);
  assert.equal(existsSync(d.socket), false);
  await d.stop();
});

test('a stale socket file left by a crash does not stop the next start', async () => {
  const d = await startCritterd();
  d.process.kill('SIGKILL');
  await d.exited;
  assert.ok(existsSync(d.socket), 'SIGKILL leaves the socket file');
  const again = await startCritterd({ dir: d.dir });
  assert.match(again.logs(), /removed a stale socket/);
  assert.equal((await again.clients.runtime.version({})).runtimeName, 'critter');
  await again.stop();
});

test('a second critterd on the same root refuses to start and says why', async () => {
  const d = await startCritterd();
  try {
    const r = spawnSync(process.execPath, [CRITTERD, '--root', d.root, '--state', join(d.dir, 'state2'), '--socket', join(d.dir, 'other.sock')], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`another critterd \\(critterd pid ${d.process.pid}\\) is already using root`));
    // The first daemon is unharmed.
    assert.equal((await d.clients.runtime.version({})).runtimeName, 'critter');
  } finally {
    await d.stop();
  }
});

test('a socket that a live process serves is not stolen', async () => {
  const dir = newTestDir();
  const sock = join(dir, 'run', 'critter.sock');
  mkdirSync(join(dir, 'run'), { recursive: true });
  const squatter = createServer();
  await new Promise<void>((ok) => squatter.listen(sock, ok));
  try {
    const r = spawnSync(process.execPath, [CRITTERD, '--root', join(dir, 'root'), '--state', join(dir, 'state'), '--socket', sock], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /socket .* is in use by a running process/);
  } finally {
    squatter.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bad config stops startup naming the file, the key and the reason', () => {
  const dir = newTestDir();
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'critter.toml');
  writeFileSync(file, '[image]\nmax_concurrent_downloads = -1\n');
  const r = spawnSync(process.execPath, [CRITTERD, '--config', file, '--root', join(dir, 'root'), '--state', join(dir, 'state'), '--socket', join(dir, 's.sock')], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`config ${file}: bad value for "image.max_concurrent_downloads": must be between 1 and 64, got -1`));
  const missing = spawnSync(process.execPath, [CRITTERD, '--config', join(dir, 'nope.toml'), '--root', join(dir, 'root'), '--socket', join(dir, 's.sock')], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /nope.toml: cannot read/);
});

test('one debug log line per RPC with method, duration and status code', async () => {
  const d = await startCritterd({ logLevel: 'debug' });
  try {
    await d.clients.runtime.version({});
    await assert.rejects(d.clients.runtime.podSandboxStatus({ podSandboxId: 'no-such-pod' }));
    const lines = d.logs().split('\n').filter((l) => l.includes('"msg":"rpc"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const v = lines.find((l) => l.method === 'RuntimeService/Version');
    assert.ok(v, 'a line for Version');
    assert.equal(v.code, 'OK');
    assert.equal(typeof v.durationMs, 'number');
    assert.ok(lines.some((l) => l.method === 'RuntimeService/PodSandboxStatus' && l.code === 'NOT_FOUND'));
  } finally {
    await d.stop();
  }
});

test('with the socket inside --state (the defaults), the folder is 0711: traversable for user-namespaced pods, not listable', async () => {
  const dir = newTestDir();
  const state = join(dir, 'state');
  const socket = join(state, 'critter.sock');
  const child = spawn(process.execPath, [CRITTERD, '--root', join(dir, 'root'), '--state', state, '--socket', socket], { stdio: 'ignore' });
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  try {
    const deadline = Date.now() + 20_000;
    while (!existsSync(socket) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(existsSync(socket), 'critterd serves');
    // A SIGTERM right away, possibly while critterd is still starting, must still end in a
    // clean stop with exit 0 (checked below).
    assert.equal(statSync(state).mode & 0o777, 0o711);
    assert.equal(statSync(socket).mode & 0o777, 0o660);
  } finally {
    child.kill('SIGTERM');
    const code = await exited;
    rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0);
  }
});
