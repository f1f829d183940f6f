// The pure parts of the conmon monitor: its command line, sync messages and exit files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConmonArgs, type ConmonArgsInput } from '../../../src/container/monitor/conmon-args.js';
import { parseSyncLine, SyncReader } from '../../../src/container/monitor/sync-pipe.js';
import { readExitFile } from '../../../src/container/monitor/exit-file.js';
import { ExitWatcher } from '../../../src/container/monitor/exit-watcher.js';
import { silentLogger } from '../../../src/util/log.js';

const BASE: ConmonArgsInput = {
  id: 'c1',
  uuid: 'u1',
  name: 'n1',
  runtimePath: '/usr/sbin/runc',
  runtimeRoot: '/run/critter/runc',
  systemdCgroup: false,
  bundle: '/b',
  pidFile: '/b/pidfile',
  conmonPidFile: '/b/conmon-pidfile',
  logPath: '/logs/c1.log',
  exitDir: '/run/critter/exits',
  persistDir: '/b',
  socketDir: '/run/critter/sockets',
  runtimeLogPath: '/b/runtime.log',
  terminal: false,
  stdin: false,
  leaveStdinOpen: false,
  logLevel: 'error',
};

const flagValue = (a: string[], f: string): string | undefined => (a.includes(f) ? a[a.indexOf(f) + 1] : undefined);

void test('conmon argv for a plain container', () => {
  const a = buildConmonArgs(BASE);
  assert.equal(flagValue(a, '--cid'), 'c1');
  assert.equal(flagValue(a, '--cuuid'), 'u1');
  assert.equal(flagValue(a, '--runtime'), '/usr/sbin/runc');
  assert.equal(flagValue(a, '--container-pidfile'), '/b/pidfile');
  assert.equal(flagValue(a, '--exit-dir'), '/run/critter/exits');
  assert.equal(flagValue(a, '--api-version'), '1');
  const runtimeArgs = a.flatMap((x, i) => (x === '--runtime-arg' ? [a[i + 1]] : []));
  assert.deepEqual(runtimeArgs, ['--root=/run/critter/runc', '--log=/b/runtime.log', '--log-format=json']);
  for (const f of ['--terminal', '--stdin', '--leave-stdin-open', '--systemd-cgroup', '--syslog', '--exec']) assert.ok(!a.includes(f), f);
  assert.ok(a.includes('--full-attach'));
});

void test('conmon argv with tty, stdin, systemd and exec', () => {
  const a = buildConmonArgs({
    ...BASE,
    terminal: true,
    stdin: true,
    leaveStdinOpen: true,
    systemdCgroup: true,
    logSizeMax: 1024,
    exec: { processSpecPath: '/x/process.json', attach: true, timeoutSeconds: 5 },
  });
  for (const f of ['--terminal', '--stdin', '--leave-stdin-open', '--systemd-cgroup', '--exec', '--exec-attach']) assert.ok(a.includes(f), f);
  assert.equal(flagValue(a, '--exec-process-spec'), '/x/process.json');
  assert.equal(flagValue(a, '--timeout'), '5');
  assert.equal(flagValue(a, '--log-size-max'), '1024');
});

void test('sync pipe messages, in every key conmon has used', () => {
  assert.deepEqual(parseSyncLine('{"data": 1234}'), { data: 1234 });
  assert.deepEqual(parseSyncLine('{"pid": 7}'), { data: 7 });
  assert.deepEqual(parseSyncLine('{"exit_code": 0}'), { data: 0 });
  assert.deepEqual(parseSyncLine('{"data": -1, "message": "runc create failed"}'), { data: -1, message: 'runc create failed' });
  assert.equal(parseSyncLine('{"other": 1}'), undefined);
  assert.equal(parseSyncLine('garbage'), undefined);
});

void test('the sync reader splits lines across chunks and reports the end', async () => {
  const s = new PassThrough();
  const r = new SyncReader(s);
  s.write('{"data": 4');
  s.write('2}\n{"data": 3, "mes');
  s.end('sage": "x"}');
  assert.deepEqual(await r.next(), { data: 42 });
  assert.deepEqual(await r.next(), { data: 3, message: 'x' });
  assert.equal(await r.next(), undefined);
});

void test('exit files and the oom marker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'critter-exit-'));
  try {
    assert.equal(readExitFile(dir, 'c1'), null);
    writeFileSync(join(dir, 'c1'), '137');
    writeFileSync(join(dir, 'oom'), '');
    const e = readExitFile(dir, 'c1', dir);
    assert.equal(e?.exitCode, 137);
    assert.equal(e?.oomKilled, true);
    assert.ok(e?.finishedAt instanceof Date);
    writeFileSync(join(dir, 'c2'), 'x');
    assert.throws(() => readExitFile(dir, 'c2'), /not a number/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('the exit watcher reports files that appear, and ones already there', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'critter-exitw-'));
  const w = new ExitWatcher(dir, silentLogger(), 100);
  try {
    writeFileSync(join(dir, 'old'), '0');
    const old = await new Promise<number>((resolve) => w.watch('old', (e) => resolve(e.exitCode)));
    assert.equal(old, 0);
    const later = new Promise<number>((resolve) => w.watch('new', (e) => resolve(e.exitCode)));
    let cancelledFired = false;
    const cancel = w.watch('cancelled', () => (cancelledFired = true));
    cancel();
    // conmon writes a temp file and renames it into place.
    writeFileSync(join(dir, '.new.tmp'), '3');
    renameSync(join(dir, '.new.tmp'), join(dir, 'new'));
    writeFileSync(join(dir, 'cancelled'), '1');
    assert.equal(await later, 3);
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(cancelledFired, false);
  } finally {
    w.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
