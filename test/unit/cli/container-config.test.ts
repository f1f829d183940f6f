// crictl's JSON config files, read into CRI messages for `critter create`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pullAuth, readContainerConfig, readPodSandboxConfig } from '../../../src/cli/commands/create.js';

function withFile(content: string, body: (path: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'critter-config-'));
  const path = join(dir, 'config.json');
  writeFileSync(path, content);
  return body(path).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test("crictl's example container config (snake_case log_path) reads into a ContainerConfig", () =>
  withFile(
    JSON.stringify({ metadata: { name: 'busybox' }, image: { image: 'busybox' }, command: ['top'], log_path: 'busybox.0.log', linux: {} }),
    async (path) => {
      const c = await readContainerConfig(path);
      assert.equal(c.metadata?.name, 'busybox');
      assert.equal(c.image?.image, 'busybox');
      assert.deepEqual(c.command, ['top']);
      assert.equal(c.logPath, 'busybox.0.log');
      assert.ok(c.linux);
    },
  ));

test("crictl's example pod config reads into a PodSandboxConfig", () =>
  withFile(
    JSON.stringify({
      metadata: { name: 'nginx-sandbox', namespace: 'default', attempt: 1, uid: 'hdishd83djaidwnduwk28bcsb' },
      log_directory: '/tmp',
      linux: {},
    }),
    async (path) => {
      const p = await readPodSandboxConfig(path);
      assert.deepEqual(
        { name: p.metadata?.name, namespace: p.metadata?.namespace, attempt: p.metadata?.attempt, uid: p.metadata?.uid },
        { name: 'nginx-sandbox', namespace: 'default', attempt: 1, uid: 'hdishd83djaidwnduwk28bcsb' },
      );
      assert.equal(p.logDirectory, '/tmp');
      assert.ok(p.linux);
    },
  ));

test('camelCase names, enums as numbers or names, and int64 limits are read too', () =>
  withFile(
    JSON.stringify({
      metadata: { name: 'x', attempt: 2 },
      image: { image: 'busybox' },
      logPath: 'x.log',
      linux: { resources: { memory_limit_in_bytes: 67108864, cpu_quota: '20000' }, security_context: { namespace_options: { pid: 'CONTAINER', network: 2 } } },
    }),
    async (path) => {
      const c = await readContainerConfig(path);
      assert.equal(c.logPath, 'x.log');
      assert.equal(c.linux?.resources?.memoryLimitInBytes, 67108864n);
      assert.equal(c.linux?.resources?.cpuQuota, 20000n);
      assert.equal(c.linux?.securityContext?.namespaceOptions?.pid, 1);
      assert.equal(c.linux?.securityContext?.namespaceOptions?.network, 2);
    },
  ));

test('a missing file, bad JSON or an unknown field is a clear INVALID_ARGUMENT naming the file', async () => {
  await assert.rejects(readContainerConfig('/nonexistent/c.json'), /INVALID_ARGUMENT|cannot read the container config \/nonexistent\/c.json/);
  await withFile('{"metadata": ', async (path) => {
    await assert.rejects(readContainerConfig(path), new RegExp(`the container config ${path} is not a valid runtime.v1.ContainerConfig in JSON`));
  });
  await withFile('{"metadata": {"name": "x"}, "comand": ["top"]}', async (path) => {
    await assert.rejects(readContainerConfig(path), /comand/);
  });
});

test('--creds and --auth become the pull request auth', () => {
  assert.deepEqual(pullAuth({ creds: 'user:pa:ss' }), { username: 'user', password: 'pa:ss' });
  assert.deepEqual(pullAuth({ creds: 'user' }), { username: 'user', password: '' });
  assert.deepEqual(pullAuth({ auth: 'dXNlcjpwdw==' }), { auth: 'dXNlcjpwdw==' });
  assert.equal(pullAuth({}), undefined);
  assert.throws(() => pullAuth({ creds: ':pw' }), /username is empty/);
  assert.throws(() => pullAuth({ creds: 'a', auth: 'b' }), /either --creds or --auth/);
});
