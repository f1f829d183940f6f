// Users and groups of an image, read safely from its rootfs.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseGroup, parsePasswd } from '../../../src/oci/user/passwd.js';
import { readRootfsFile, resolveInRoot } from '../../../src/oci/user/rootfs-file.js';
import { memberGids, resolveUserString, RootfsUserDb } from '../../../src/oci/user/resolve.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function rootfs(files: Record<string, string> = {}): string {
  const d = mkdtempSync(join(tmpdir(), 'critter-user-'));
  dirs.push(d);
  mkdirSync(join(d, 'etc'));
  for (const [p, text] of Object.entries(files)) writeFileSync(join(d, p), text);
  return d;
}

const PASSWD = ['root:x:0:0:root:/root:/bin/sh', 'alice:x:1000:1000::/home/alice:/bin/sh', 'bob:x:1001:1001::/home/bob:/bin/sh', ''].join('\n');
const GROUP = ['root:x:0:', 'alice:x:1000:alice', 'bob:x:1001:', 'wheel:x:10:alice,bob', 'video:x:44:alice', ''].join('\n');

void test('passwd and group parsing skips what does not parse', () => {
  const p = parsePasswd('# c\n\n+nis\nroot:x:0:0:r:/root:/bin/sh\nbad:x:notanumber:0::/:\nbig:x:4294967296:0::/:\nshort:x:5\nu:x:7:8\r\n');
  assert.deepEqual(p.map((e) => [e.name, e.uid, e.gid]), [['root', 0, 0], ['u', 7, 8]]);
  assert.equal(p[0]!.home, '/root');
  const g = parseGroup('g:x:5:a, b ,,c\nnogid:x::\nempty:x:6:\n');
  assert.deepEqual(g, [{ name: 'g', gid: 5, members: ['a', 'b', 'c'] }, { name: 'empty', gid: 6, members: [] }]);
});

void test('user strings resolve through the rootfs databases', () => {
  const db = new RootfsUserDb(rootfs({ 'etc/passwd': PASSWD, 'etc/group': GROUP }));
  assert.deepEqual(resolveUserString(db, 'alice'), { uid: 1000, gid: 1000, entry: { name: 'alice', uid: 1000, gid: 1000, home: '/home/alice' } });
  assert.equal(resolveUserString(db, '1001').gid, 1001, 'numeric uid in passwd takes its primary gid');
  assert.deepEqual(resolveUserString(db, '4242'), { uid: 4242, gid: 0, entry: undefined }, 'unknown uid runs with gid 0');
  assert.equal(resolveUserString(db, '4242:7').gid, 7);
  assert.equal(resolveUserString(db, 'alice:wheel').gid, 10);
  assert.equal(resolveUserString(db, '1000:video').gid, 44);
  assert.equal(resolveUserString(db, 'bob:55').gid, 55);
  for (const [u, re] of [
    ['nobody', /user "nobody" is not in the image's \/etc\/passwd/],
    ['alice:nogroup', /group "nogroup" is not in the image's \/etc\/group/],
    ['a:b:c', /invalid user/],
    ['alice:', /invalid user/],
    ['99999999999', /out of range/],
  ] as const) {
    assert.throws(() => resolveUserString(db, u), (e: { kind?: string; message?: string }) => e.kind === 'InvalidArgument' && re.test(e.message ?? ''), u);
  }
  assert.deepEqual(memberGids(db, 'alice').sort((a, b) => a - b), [10, 44], "the user's own group is not a supplementary one");
});

void test('an image without passwd or group: numeric users work, names do not', () => {
  const db = new RootfsUserDb(rootfs());
  assert.deepEqual(resolveUserString(db, '0'), { uid: 0, gid: 0, entry: undefined });
  assert.deepEqual(resolveUserString(db, '5:6'), { uid: 5, gid: 6, entry: undefined });
  assert.throws(() => resolveUserString(db, 'root'), /not in the image's \/etc\/passwd/);
});

void test('symlinks in the rootfs never lead outside it', () => {
  const outside = mkdtempSync(join(tmpdir(), 'critter-host-'));
  dirs.push(outside);
  writeFileSync(join(outside, 'secret'), 'evil:x:0:0::/:/bin/sh\n');

  // Absolute link to a host path: resolved as the container sees it, i.e. inside the rootfs.
  const abs = rootfs({ 'etc/realpasswd': 'alice:x:1000:1000::/home/alice:/bin/sh\n' });
  symlinkSync(join(outside, 'secret'), join(abs, 'etc', 'passwd'));
  assert.equal(readRootfsFile(abs, '/etc/passwd'), undefined, 'the host file is not read');
  rmSync(join(abs, 'etc', 'passwd'));
  symlinkSync('/etc/realpasswd', join(abs, 'etc', 'passwd'));
  assert.match(readRootfsFile(abs, '/etc/passwd') ?? '', /^alice:/, 'an absolute link inside the image works');

  // Relative link climbing out with "..": clamped at the rootfs.
  const rel = rootfs();
  symlinkSync('../../../../../../../../' + join(outside, 'secret'), join(rel, 'etc', 'passwd'));
  assert.equal(readRootfsFile(rel, '/etc/passwd'), undefined);
  assert.equal(resolveInRoot(rel, '/etc/passwd'), join(rel, outside, 'secret'));

  // A symlinked /etc directory pointing at a host directory holding a passwd.
  writeFileSync(join(outside, 'passwd'), 'evil:x:0:0::/:/bin/sh\n');
  const dir = rootfs();
  rmSync(join(dir, 'etc'), { recursive: true });
  symlinkSync(outside, join(dir, 'etc'));
  assert.equal(readRootfsFile(dir, '/etc/passwd'), undefined, "the host's file is not read");
  assert.deepEqual(new RootfsUserDb(dir).passwd(), []);

  // Loops end, whether on the file or on a directory (/etc -> /etc).
  const loop = rootfs();
  symlinkSync('passwd', join(loop, 'etc', 'passwd'));
  assert.throws(() => readRootfsFile(loop, '/etc/passwd'), /too many levels of symbolic links/);
  const dirLoop = rootfs();
  rmSync(join(dirLoop, 'etc'), { recursive: true });
  symlinkSync('/etc', join(dirLoop, 'etc'));
  assert.throws(() => readRootfsFile(dirLoop, '/etc/passwd'), /too many levels of symbolic links/);
});

void test('only regular files of bounded size are read', () => {
  const fifo = rootfs();
  execFileSync('mkfifo', [join(fifo, 'etc', 'passwd')]);
  assert.throws(() => readRootfsFile(fifo, '/etc/passwd'), /not a regular file/, 'a FIFO neither blocks nor is read');
  const d = rootfs();
  mkdirSync(join(d, 'etc', 'passwd'));
  assert.throws(() => readRootfsFile(d, '/etc/passwd'), /not a regular file/);
  const big = rootfs({ 'etc/passwd': 'x'.repeat(2048) });
  assert.throws(() => readRootfsFile(big, '/etc/passwd', 1024), /larger than 1024 bytes/);
});
