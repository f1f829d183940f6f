import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastLoggedError } from '../../../src/oci/run-runtime.js';
import { isNotFound } from '../../../src/oci/runtime-driver.js';
import { parseOciState } from '../../../src/oci/state.js';

void test('the last error of a JSON runtime log wins', () => {
  const log = [
    '{"level":"warning","msg":"careful","time":"t"}',
    '{"level":"error","msg":"first","time":"t"}',
    'not json',
    '{"msg":"container does not exist","level":"error","time":"t"}',
    '{"level":"info","msg":"later info"}',
  ].join('\n');
  assert.equal(lastLoggedError(log), 'container does not exist');
  assert.equal(lastLoggedError(''), undefined);
});

void test('not-found messages of runc and crun', () => {
  assert.ok(isNotFound('container does not exist', 'abc'));
  assert.ok(isNotFound('error opening file `/run/crun/abc/status`: No such file or directory', 'abc'));
  assert.ok(isNotFound("cannot open directory '/run/crun/abc': No such file or directory", 'abc'));
  assert.ok(!isNotFound('exec: "/bin/x": stat /bin/x: no such file or directory', 'abc'));
  assert.ok(!isNotFound('error opening file `/run/crun/other/status`: No such file or directory', 'abc'));
});

void test('runtime state is checked', () => {
  const s = parseOciState(
    JSON.stringify({ ociVersion: '1.0.2', id: 'c1', pid: 42, status: 'running', bundle: '/b', created: '2024-01-01T00:00:00Z', owner: '' }),
    'c1',
  );
  assert.deepEqual(s, { ociVersion: '1.0.2', id: 'c1', status: 'running', pid: 42, bundle: '/b', created: '2024-01-01T00:00:00Z' });
  assert.throws(() => parseOciState('{"status":"exploded"}', 'c1'), /unknown status/);
  assert.throws(() => parseOciState('nope', 'c1'), /not JSON/);
});
