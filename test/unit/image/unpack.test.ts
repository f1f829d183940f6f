import assert from 'node:assert/strict';
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { makeWhiteoutTemplate, unpackLayer, type UnpackOptions } from '../../../src/image/unpack/extract.js';
import { CritterError } from '../../../src/util/errors.js';
import { silentLogger } from '../../../src/util/log.js';
import { featureEntries, MALICIOUS_LAYERS, WHITEOUT_LAYERS } from '../../fixtures/images.js';
import { buildLayer, LAYER_MEDIA_TYPES, type BuiltLayer, type Compression, type LayerEntry } from '../../fixtures/layer.js';
import { readXattrs } from '../../fixtures/xattr.js';

const log = silentLogger();
const src = (l: BuiltLayer | Uint8Array): Readable => Readable.from([Buffer.from('blob' in l ? l.blob : l)]);
const secs = (ms: number): number => Math.round(ms / 1000);

let tmp: string;
let n = 0;
const fresh = (): string => join(tmp, `t${n++}`);

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'critter-unpack-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function unpack(entries: LayerEntry[], opts: Partial<UnpackOptions> = {}, compression: Compression = 'gzip'): Promise<{ dir: string; layer: BuiltLayer }> {
  const layer = await buildLayer(entries, compression);
  const dir = fresh();
  const r = await unpackLayer(src(layer), dir, { mediaType: layer.mediaType, expectedDiffId: layer.diffId, log, ...opts });
  assert.equal(r.diffId, layer.diffId);
  return { dir, layer };
}

async function refused(p: Promise<unknown>, re: RegExp, kind = 'InvalidArgument'): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof CritterError, String(e));
    assert.equal(e.kind, kind);
    assert.match(e.message, re);
    return true;
  });
}

void describe('unpack: entry types', () => {
  let dir: string;
  before(async () => {
    ({ dir } = await unpack(featureEntries()));
  });

  void it('regular files keep content, mode, owner and mtime', () => {
    const st = lstatSync(join(dir, 'd/file'));
    assert.ok(st.isFile());
    assert.equal(readFileSync(join(dir, 'd/file'), 'utf8'), 'hello\n');
    assert.equal(st.mode & 0o7777, 0o640);
    assert.equal(st.uid, 1000);
    assert.equal(st.gid, 1001);
    assert.equal(secs(st.mtimeMs), 1600000000);
    assert.equal(lstatSync(join(dir, 'empty')).size, 0);
  });

  void it('setuid, setgid and sticky bits survive (chown before chmod)', () => {
    assert.equal(lstatSync(join(dir, 'd/setuid')).mode & 0o7777, 0o4755);
    assert.equal(lstatSync(join(dir, 'd/setgid')).mode & 0o7777, 0o2755);
    assert.equal(lstatSync(join(dir, 'd/sticky')).mode & 0o7777, 0o1777);
  });

  void it('directories keep mode, owner and the mtime from the tar, set after their content', () => {
    const st = lstatSync(join(dir, 'd'));
    assert.ok(st.isDirectory());
    assert.equal(st.mode & 0o7777, 0o750);
    assert.equal(st.uid, 1000);
    assert.equal(st.gid, 1001);
    assert.equal(secs(st.mtimeMs), 1600000000);
  });

  void it('symlinks keep their target, owner and mtime (not followed)', () => {
    const st = lstatSync(join(dir, 'd/link'));
    assert.ok(st.isSymbolicLink());
    assert.equal(readlinkSync(join(dir, 'd/link')), 'file');
    assert.equal(st.uid, 1000);
    assert.equal(secs(st.mtimeMs), 1600000000);
    assert.equal(readlinkSync(join(dir, 'd/abslink')), '/d/file');
    assert.equal(readlinkSync(join(dir, 'd/dangling')), '/nowhere/at/all');
  });

  void it('hard links share the inode', () => {
    const a = lstatSync(join(dir, 'd/file'));
    const b = lstatSync(join(dir, 'd/hard'));
    assert.equal(a.ino, b.ino);
    assert.equal(a.nlink, 2);
  });

  void it('device nodes and fifos with major/minor, mode and owner', () => {
    const c = lstatSync(join(dir, 'd/null'));
    assert.ok(c.isCharacterDevice());
    assert.equal(c.rdev, (1 << 8) | 3);
    assert.equal(c.mode & 0o7777, 0o666);
    const b = lstatSync(join(dir, 'd/loop'));
    assert.ok(b.isBlockDevice());
    assert.equal(b.rdev, 7 << 8);
    assert.equal(b.mode & 0o7777, 0o660);
    assert.equal(b.gid, 6);
    const f = lstatSync(join(dir, 'd/fifo'));
    assert.ok(f.isFIFO());
    assert.equal(f.mode & 0o7777, 0o600);
  });

  void it('xattrs from PAX SCHILY.xattr records', () => {
    assert.deepEqual(readXattrs(join(dir, 'd/xattr')), { 'user.critter': 'yes', 'trusted.critter': 'trusted-value' });
  });

  void it('implicit parents, long names, a repeated path (the later wins)', () => {
    assert.equal(readFileSync(join(dir, 'implicit/parent/file'), 'utf8'), 'no dir entries for my parents\n');
    assert.equal(lstatSync(join(dir, 'implicit')).mode & 0o7777, 0o755);
    assert.equal(readFileSync(join(dir, `long/${'n'.repeat(120)}/${'m'.repeat(120)}`), 'utf8'), 'long path via PAX\n');
    assert.equal(readFileSync(join(dir, 'dup'), 'utf8'), 'second\n');
  });
});

void describe('unpack: compression', () => {
  const entries: LayerEntry[] = [
    { type: 'dir', path: 'etc' },
    { type: 'file', path: 'etc/motd', content: 'compressed three ways\n' },
  ];
  for (const c of ['gzip', 'zstd', 'none'] as const) {
    void it(`${c}: same tree, same diff id`, async () => {
      const { dir, layer } = await unpack(entries, {}, c);
      assert.equal(layer.mediaType, LAYER_MEDIA_TYPES[c]);
      assert.equal(readFileSync(join(dir, 'etc/motd'), 'utf8'), 'compressed three ways\n');
      const g = await buildLayer(entries, 'gzip');
      assert.equal(layer.diffId, g.diffId);
    });
  }

  void it('a media type that disagrees with the magic bytes is refused', async () => {
    const z = await buildLayer(entries, 'zstd');
    const dir = fresh();
    await refused(unpackLayer(src(z), dir, { mediaType: LAYER_MEDIA_TYPES.gzip, log }), /media type says gzip but the data is zstd/);
    assert.equal(existsSync(dir), false);
    const g = await buildLayer(entries, 'gzip');
    await refused(unpackLayer(src(g), dir, { mediaType: LAYER_MEDIA_TYPES.none, log }), /media type says uncompressed but the data is gzip/);
    assert.equal(existsSync(dir), false);
  });

  void it('an unknown media type is refused', async () => {
    const g = await buildLayer(entries, 'gzip');
    await refused(unpackLayer(src(g), fresh(), { mediaType: 'application/x-rar', log }), /unsupported layer media type/);
  });

  void it('a diff id mismatch is refused and the tree removed', async () => {
    const g = await buildLayer(entries, 'gzip');
    const dir = fresh();
    const wrong = `sha256:${'0'.repeat(64)}`;
    await refused(unpackLayer(src(g), dir, { mediaType: g.mediaType, expectedDiffId: wrong, log, what: 'layer L' }), new RegExp(`^layer L: diff id mismatch, got ${g.diffId}, the image config says ${wrong}$`));
    assert.equal(existsSync(dir), false);
  });

  void it('a truncated blob is refused and the tree removed', async () => {
    const g = await buildLayer(entries, 'gzip');
    const dir = fresh();
    await refused(unpackLayer(src(g.blob.subarray(0, g.blob.length - 20)), dir, { mediaType: g.mediaType, log }), /cannot unpack/);
    assert.equal(existsSync(dir), false);
  });

  void it('abort mid-unpack: Cancelled, tree removed', async () => {
    const g = await buildLayer(entries, 'none');
    const ac = new AbortController();
    const dir = fresh();
    const stalled = Readable.from(
      (async function* () {
        yield Buffer.from(g.blob.subarray(0, 1024));
        ac.abort();
        await new Promise((r) => setTimeout(r, 50));
        yield Buffer.from(g.blob.subarray(1024));
      })(),
    );
    await refused(unpackLayer(stalled, dir, { mediaType: g.mediaType, signal: ac.signal, log }), /cancelled/, 'Cancelled');
    assert.equal(existsSync(dir), false);
  });
});

void describe('unpack: whiteouts', () => {
  let template: string;
  before(async () => {
    await mkdir(join(tmp, 'wt'));
    template = join(tmp, 'wt', '.whiteout');
    await makeWhiteoutTemplate(template);
  });

  for (const withTemplate of [true, false]) {
    void it(`.wh.NAME becomes a 0:0 char device, .wh..wh..opq an opaque xattr (${withTemplate ? 'template links' : 'mknod batch'})`, async () => {
      const { dir } = await unpack(WHITEOUT_LAYERS[1] ?? [], withTemplate ? { whiteoutTemplate: template } : {}, 'zstd');
      const wh = lstatSync(join(dir, 'a/x'));
      assert.ok(wh.isCharacterDevice());
      assert.equal(wh.rdev, 0);
      if (withTemplate) assert.equal(wh.ino, lstatSync(template).ino);
      assert.equal(existsSync(join(dir, 'a/.wh.x')), false);
      assert.equal(readXattrs(join(dir, 'b'))['trusted.overlay.opaque'], 'y');
      assert.deepEqual(readdirSync(join(dir, 'b')), ['new']);
    });
  }

  void it('a whiteout hides lower layers only: what this layer has stays', async () => {
    const { dir } = await unpack([
      { type: 'file', path: 'f', content: 'mine\n' },
      { type: 'whiteout', path: 'f' },
      { type: 'whiteout', path: 'g' },
      { type: 'dir', path: 'g' },
      { type: 'file', path: 'g/inside', content: 'i\n' },
    ]);
    assert.equal(readFileSync(join(dir, 'f'), 'utf8'), 'mine\n');
    assert.ok(lstatSync(join(dir, 'g')).isDirectory());
    // The lower g was removed by the whiteout; this layer's g must not merge with it.
    assert.equal(readXattrs(join(dir, 'g'))['trusted.overlay.opaque'], 'y');
  });

  void it('an opaque marker at the layer root marks the root', async () => {
    const { dir } = await unpack([{ type: 'opaque', path: '' }, { type: 'file', path: 'only', content: '1' }]);
    assert.equal(readXattrs(dir)['trusted.overlay.opaque'], 'y');
  });

  void it('whiteouts of "." or ".." are refused', async () => {
    for (const name of ['a/.wh..', 'a/.wh.', 'a/.wh...']) {
      const layer = await buildLayer([{ type: 'dir', path: 'a' }, { type: 'raw', header: { name, typeflag: '0' } }], 'none');
      const dir = fresh();
      await refused(unpackLayer(src(layer), dir, { mediaType: layer.mediaType, log }), /whiteout of the directory itself or its parent/);
      assert.equal(existsSync(dir), false);
    }
  });

  void it('overlay xattrs carried in a layer are ignored (no forged opaque dirs)', async () => {
    const { dir } = await unpack([{ type: 'dir', path: 'forged', xattrs: { 'trusted.overlay.opaque': 'y', 'user.ok': '1' } }]);
    assert.deepEqual(readXattrs(join(dir, 'forged')), { 'user.ok': '1' });
  });
});

void describe('unpack: over lower layers', () => {
  void it('implicit parents copy the lower directory, hard links into a lower layer become copies', async () => {
    const { dir: lower } = await unpack([
      { type: 'dir', path: 'home', mode: 0o750, uid: 1000, gid: 1000 },
      { type: 'file', path: 'home/bin', content: 'lower file\n', mode: 0o755 },
    ]);
    const { dir } = await unpack(
      [
        { type: 'file', path: 'home/new', content: 'upper\n' },
        { type: 'hardlink', path: 'linked', target: 'home/bin' },
      ],
      { lowerDirs: [lower] },
    );
    const st = lstatSync(join(dir, 'home'));
    assert.equal(st.mode & 0o7777, 0o750);
    assert.equal(st.uid, 1000);
    assert.equal(readFileSync(join(dir, 'linked'), 'utf8'), 'lower file\n');
    assert.equal(statSync(join(dir, 'linked')).mode & 0o7777, 0o755);
    assert.notEqual(lstatSync(join(dir, 'linked')).ino, lstatSync(join(lower, 'home/bin')).ino);
  });

  void it('a hard link to nothing is refused', async () => {
    const layer = await buildLayer([{ type: 'hardlink', path: 'l', target: 'missing' }]);
    const dir = fresh();
    await refused(unpackLayer(src(layer), dir, { mediaType: layer.mediaType, log }), /is not in this layer or below/);
    assert.equal(existsSync(dir), false);
  });
});

void describe('unpack: malicious layers are refused and leave nothing', () => {
  const expected: Record<string, RegExp> = {
    dotdot: /entry "\.\.\/escape": "\.\." component refused/,
    'dotdot-inner': /entry "a\/\.\.\/\.\.\/escape": "\.\." component refused/,
    absolute: /entry "\/etc\/evil": absolute path refused/,
    'symlink-root': /entry "link\/evil": parent "link" is a symlink; writing through it is refused/,
    'symlink-up': /entry "link\/evil": parent "link" is a symlink; writing through it is refused/,
    'hardlink-dotdot': /entry "passwd": hard link target "\.\.\/\.\.\/etc\/passwd": "\.\." component refused/,
    'hardlink-absolute': /entry "passwd": hard link target "\/etc\/passwd": absolute path refused/,
    'hardlink-via-symlink': /hard link target "etc\/passwd" goes through the symlink "etc"/,
  };
  const passwdLinks = lstatSync('/etc/passwd').nlink;
  for (const [name, entries] of Object.entries(MALICIOUS_LAYERS)) {
    void it(name, async () => {
      const re = expected[name];
      assert.ok(re, `an expectation for ${name}`);
      const layer = await buildLayer(entries, 'gzip');
      const outer = fresh();
      await mkdir(outer);
      const dir = join(outer, 'a', 'b');
      await mkdir(join(outer, 'a'));
      await refused(unpackLayer(src(layer), dir, { mediaType: layer.mediaType, log, what: `layer ${layer.digest}` }), re);
      assert.equal(existsSync(dir), false, 'partial tree removed');
      assert.deepEqual(readdirSync(join(outer, 'a')), [], 'nothing beside the target');
      assert.deepEqual(readdirSync(outer), ['a'], 'nothing above the target');
      assert.equal(existsSync('/escape') || existsSync('/evil') || existsSync('/etc/evil'), false);
      assert.equal(lstatSync('/etc/passwd').nlink, passwdLinks);
    });
  }
});
