// The driver against a fake runtime (a shell script speaking the runc command line), for what
// real runtimes cannot be made to do on demand: hang, or fail with a chosen message.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OciRuntimeDriver } from '../../../src/oci/runtime-driver.js';
import type { CritterError } from '../../../src/util/errors.js';

let dir: string;
let driver: OciRuntimeDriver;

// Records its argv and stdin, then acts on the command: `state` hangs, `kill` fails like runc
// does for an unknown container, `update` succeeds, `features` is unknown.
const FAKE = `#!/bin/sh
dir=$(dirname "$0")
echo "$@" > "$dir/argv"
log=""
prev=""
for a in "$@"; do
  [ "$prev" = "--log" ] && log="$a"
  prev="$a"
done
case " $* " in
  *" state "*) exec sleep 30 ;;
  *" kill "*) echo '{"level":"error","msg":"container does not exist","time":"t"}' >> "$log"; echo 'container does not exist' >&2; exit 1 ;;
  *" delete "*) echo '{"level":"error","msg":"container does not exist","time":"t"}' >> "$log"; exit 1 ;;
  *" update "*) cat > "$dir/stdin"; exit 0 ;;
  *" start "*) echo '{"level":"error","msg":"cannot start a container that has stopped","time":"t"}' >> "$log"; exit 1 ;;
  *) echo "unknown command" >&2; exit 1 ;;
esac
`;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'critter-fake-runtime-'));
  writeFileSync(join(dir, 'runtime'), FAKE);
  chmodSync(join(dir, 'runtime'), 0o755);
  driver = new OciRuntimeDriver({
    handler: { name: 'fake', runtimePath: join(dir, 'runtime'), runtimeType: 'oci', runtimeRoot: join(dir, 'root') },
    cgroupDriver: 'systemd',
    defaultTimeoutMs: 300,
    logDir: dir,
  });
});

after(() => rmSync(dir, { recursive: true, force: true }));

const kind = (k: string) => (e: unknown) => (e as CritterError).kind === k;

void test('a hanging runtime is killed at the deadline', async () => {
  const t0 = Date.now();
  await assert.rejects(driver.state('c1'), kind('DeadlineExceeded'));
  assert.ok(Date.now() - t0 < 2000);
});

void test('an abort cancels the call', async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  await assert.rejects(driver.state('c1', { signal: ac.signal, timeoutMs: 5000 }), kind('Cancelled'));
  await assert.rejects(driver.start('c1', { signal: AbortSignal.abort() }), kind('Cancelled'));
});

void test('global flags, the runtime error message and its kind', async () => {
  await assert.rejects(driver.kill('c1', 'SIGTERM', { all: true }), (e: unknown) => {
    const err = e as CritterError;
    return err.kind === 'NotFound' && err.message === 'fake kill container c1: container does not exist';
  });
  const argv = readFileSync(join(dir, 'argv'), 'utf8').trim().split(' ');
  assert.deepEqual(argv.slice(0, 3), ['--root', join(dir, 'root'), '--systemd-cgroup']);
  assert.deepEqual(argv.slice(-4), ['kill', '--all', 'c1', 'SIGTERM']);
  await assert.rejects(driver.start('c1'), (e: unknown) => /cannot start a container that has stopped/.test((e as Error).message));
});

void test('delete of an unknown container is fine; update sends the resources on stdin', async () => {
  await driver.delete('c1', { force: true });
  await driver.update('c1', { memory: { limit: 1024 } });
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'stdin'), 'utf8')), { memory: { limit: 1024 } });
  assert.match(readFileSync(join(dir, 'argv'), 'utf8'), /update --resources - c1/);
});

void test('a runtime without `features` reports nothing, and that is cached', async () => {
  assert.equal(await driver.features(), null);
  assert.equal(await driver.supportsRecursiveReadOnly(), false);
  assert.equal(await driver.supportsUserNamespaces(), false);
});

void test('ids and signals are checked before anything runs', async () => {
  await assert.rejects(driver.state('../etc'), kind('InvalidArgument'));
  await assert.rejects(driver.kill('c1', 'TERM; rm -rf /'), kind('InvalidArgument'));
});
