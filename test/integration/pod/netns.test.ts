// Namespace files pinned by bind mounts (no process): created, usable through nsenter, and
// removed without leaving a mount or a file behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  createNamespaceFile,
  ensureNamespaceDir,
  releaseNamespaceDir,
  removeNamespaceFile,
} from '../../../src/pod/netns/namespace-file.js';
import { bringLoopbackUp, runInNetns } from '../../../src/pod/netns/netns-exec.js';
import { mountsAt } from '../../../src/pod/netns/mountinfo.js';
import { mountsUnder } from '../../harness/leaks.js';

async function withDir(fn: (dir: string, nsDir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'critter-netns-'));
  const nsDir = join(dir, 'netns');
  try {
    await fn(dir, nsDir);
  } finally {
    await releaseNamespaceDir(nsDir);
    assert.deepEqual(mountsUnder(dir), [], 'no mounts left under the test folder');
    rmSync(dir, { recursive: true, force: true });
  }
}

const nsfsAt = (path: string): string[] => mountsAt(path).filter((m) => m.fsType === 'nsfs').map((m) => m.root);

void test('a net namespace file is an nsfs mount with only lo, which bringLoopbackUp sets up; removal leaves nothing', async () => {
  await withDir(async (_dir, nsDir) => {
    const ns = join(nsDir, 'pod-a');
    await createNamespaceFile('net', ns);
    try {
      const roots = nsfsAt(ns);
      assert.equal(roots.length, 1);
      assert.match(roots[0]!, /^net:\[\d+\]$/);
      assert.notEqual(roots[0], readlinkSync('/proc/self/ns/net'), 'a new namespace, not the host one');
      const dirMount = mountsAt(nsDir);
      assert.equal(dirMount.length, 1, 'the folder is a bind mount of itself');
      assert.deepEqual(dirMount[0]!.propagation, [], 'with private propagation');

      const before = await runInNetns(ns, ['ip', '-o', 'link']);
      assert.equal(before.code, 0, before.stderr);
      const links = before.stdout.trim().split('\n');
      assert.equal(links.length, 1, `only lo: ${before.stdout}`);
      assert.match(links[0]!, /^1: lo: <LOOPBACK>/, 'lo starts down');

      await bringLoopbackUp(ns);
      const after = await runInNetns(ns, ['ip', '-o', 'addr', 'show', 'dev', 'lo']);
      assert.match(after.stdout, /inet 127\.0\.0\.1\/8/);
      const up = await runInNetns(ns, ['ip', '-o', 'link', 'show', 'dev', 'lo']);
      assert.match(up.stdout, /<LOOPBACK,UP,LOWER_UP>/);
      const ping = await runInNetns(ns, ['/usr/bin/busybox', 'ping', '-c1', '-W1', '127.0.0.1']);
      assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    } finally {
      await removeNamespaceFile(ns);
    }
    assert.deepEqual(mountsAt(ns), []);
    assert.equal(existsSync(ns), false);
  });
});

void test('concurrent creation in a fresh folder: every file stays a visible namespace', async () => {
  await withDir(async (_dir, nsDir) => {
    const files = ['c1', 'c2', 'c3', 'c4'].map((n) => join(nsDir, n));
    await Promise.all(files.map((f) => createNamespaceFile('net', f)));
    try {
      assert.equal(mountsAt(nsDir).length, 1, 'one bind mount of the folder');
      const roots = files.map((f) => nsfsAt(f));
      for (const r of roots) assert.equal(r.length, 1);
      assert.equal(new Set(roots.flat()).size, 4, 'four distinct namespaces');
    } finally {
      await Promise.all(files.map((f) => removeNamespaceFile(f)));
    }
  });
});

void test('uts and ipc namespace files work the same way', async () => {
  await withDir(async (_dir, nsDir) => {
    for (const kind of ['uts', 'ipc'] as const) {
      const ns = join(nsDir, `pod-${kind}`);
      await createNamespaceFile(kind, ns);
      try {
        const roots = nsfsAt(ns);
        assert.equal(roots.length, 1);
        assert.match(roots[0]!, new RegExp(`^${kind}:\\[\\d+\\]$`));
        assert.notEqual(roots[0], readlinkSync(`/proc/self/ns/${kind}`));
        if (kind === 'uts') {
          // Setting the hostname inside does not touch the host's.
          const host = readFileSync('/proc/sys/kernel/hostname', 'utf8').trim();
          const r = spawnSync('nsenter', [`--uts=${ns}`, '--', 'sh', '-c', 'hostname critter-pod && hostname'], { encoding: 'utf8' });
          assert.equal(r.stdout.trim(), 'critter-pod', r.stderr);
          assert.equal(readFileSync('/proc/sys/kernel/hostname', 'utf8').trim(), host);
        }
      } finally {
        await removeNamespaceFile(ns);
      }
      assert.equal(existsSync(ns), false);
      assert.deepEqual(mountsAt(ns), []);
    }
  });
});

void test('removal is idempotent: missing files, plain files and double removal are fine', async () => {
  await withDir(async (dir, nsDir) => {
    await removeNamespaceFile(join(dir, 'never-existed'));
    await removeNamespaceFile(join(dir, 'no-such-dir', 'x'));
    const plain = join(dir, 'plain');
    writeFileSync(plain, '');
    await removeNamespaceFile(plain);
    assert.equal(existsSync(plain), false);
    const ns = join(nsDir, 'twice');
    await createNamespaceFile('net', ns);
    await removeNamespaceFile(ns);
    await removeNamespaceFile(ns);
    assert.equal(existsSync(ns), false);
  });
});

void test('creating over a live namespace is refused and leaves it intact; a leftover empty file is reused', async () => {
  await withDir(async (_dir, nsDir) => {
    const ns = join(nsDir, 'busy');
    await createNamespaceFile('net', ns);
    try {
      const root = nsfsAt(ns)[0];
      await assert.rejects(createNamespaceFile('net', ns), (e: Error & { kind?: string }) => e.kind === 'AlreadyExists');
      assert.deepEqual(nsfsAt(ns), [root]);
    } finally {
      await removeNamespaceFile(ns);
    }
    // As after a crash between creating the file and mounting on it.
    writeFileSync(ns, '');
    await createNamespaceFile('net', ns);
    assert.equal(nsfsAt(ns).length, 1);
    assert.equal(statSync(ns).isFile(), true);
    await removeNamespaceFile(ns);
  });
});

void test('ensureNamespaceDir is idempotent, even called concurrently, and releaseNamespaceDir undoes it', async () => {
  await withDir(async (_dir, nsDir) => {
    await Promise.all([ensureNamespaceDir(nsDir), ensureNamespaceDir(nsDir), ensureNamespaceDir(nsDir)]);
    await ensureNamespaceDir(nsDir);
    assert.equal(mountsAt(nsDir).length, 1);
    await releaseNamespaceDir(nsDir);
    assert.equal(mountsAt(nsDir).length, 0);
    assert.ok(existsSync(nsDir));
  });
});

void test('relative paths are refused', async () => {
  await assert.rejects(createNamespaceFile('net', 'relative/ns'), /not absolute/);
  assert.equal(existsSync('relative'), false, 'nothing made relative to the working folder');
});
