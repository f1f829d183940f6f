// Real overlay mounts of unpacked fixture images: whiteouts and opaque dirs must behave in the
// kernel as the OCI layer rules say.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ContentStore } from '../../../src/image/content/store.js';
import { chainId } from '../../../src/image/snapshot/chain.js';
import { mountAt, unmount } from '../../../src/image/snapshot/mount.js';
import { Snapshotter } from '../../../src/image/snapshot/snapshotter.js';
import { unpackImage, type LayerToUnpack } from '../../../src/image/unpack/apply.js';
import { silentLogger } from '../../../src/util/log.js';
import type { BuiltImage } from '../../fixtures/image.js';
import { fixtures, maliciousImage } from '../../fixtures/images.js';

const log = silentLogger();
const mountsUnder = (dir: string): string[] =>
  spawnSync('findmnt', ['-rn', '-o', 'TARGET'], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((t) => t.startsWith(dir));

async function ingestImage(store: ContentStore, img: BuiltImage): Promise<LayerToUnpack[]> {
  for (const [digest, data] of img.blobs) await store.ingest(digest, data.byteLength, Readable.from([Buffer.from(data)]));
  return img.layers.map((l) => ({ digest: l.digest, mediaType: l.mediaType, diffId: l.diffId }));
}

void describe('overlay mounts of unpacked images', () => {
  let root: string;
  let store: ContentStore;
  let snaps: Snapshotter;
  const mounted: string[] = [];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'critter-overlay-'));
    store = await ContentStore.open(root, log);
    snaps = await Snapshotter.open(root, log);
  });
  after(async () => {
    for (const m of mounted.reverse()) await unmount(m, { lazy: true }).catch(() => undefined);
    assert.deepEqual(mountsUnder(root), [], 'no mounts left');
    await rm(root, { recursive: true, force: true });
  });

  void it('the whiteout image: /a/x gone, /a/y present, /b only has new, /keep present', async () => {
    const img = await fixtures.whiteouts();
    const layers = await ingestImage(store, img);
    const top = await unpackImage(store, snaps, layers, { log, image: 'whiteouts' });
    assert.equal(top, chainId(img.layers.map((l) => l.diffId)));
    assert.ok(top);

    const active = await snaps.createActive('whiteouts-ctr', top);
    assert.equal(active.lowerdirs.length, 3);
    const target = join(root, 'rootfs');
    await mkdir(target);
    await mountAt(active.mount, target);
    mounted.push(target);
    try {
      assert.equal(existsSync(join(target, 'a/x')), false);
      assert.equal(readFileSync(join(target, 'a/y'), 'utf8'), 'y\n');
      assert.deepEqual(readdirSync(join(target, 'b')), ['new']);
      assert.equal(readFileSync(join(target, 'keep'), 'utf8'), 'keep\n');
      assert.ok(existsSync(join(target, 'bin/busybox')));
      // Writes land in the container's upper dir, never in a shared layer.
      writeFileSync(join(target, 'keep'), 'changed\n');
      assert.equal(readFileSync(join(active.upperdir, 'keep'), 'utf8'), 'changed\n');
      assert.equal(readFileSync(join(active.lowerdirs[1] ?? '', 'keep'), 'utf8'), 'keep\n');
      const r = spawnSync('chroot', [target, '/bin/sh', '-c', 'ls /b; cat /keep; id -un'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'new\nchanged\nroot\n');
    } finally {
      await unmount(target);
      mounted.pop();
    }
    assert.deepEqual(mountsUnder(root), []);
    await snaps.removeActive('whiteouts-ctr');
  });

  void it('a read-only view of the chain mounts without an upper dir', async () => {
    const img = await fixtures.whiteouts();
    const top = chainId(img.layers.map((l) => l.diffId)) ?? '';
    const target = join(root, 'view');
    await mkdir(target);
    await mountAt(snaps.prepareMountOptions(top), target);
    mounted.push(target);
    try {
      assert.deepEqual(readdirSync(join(target, 'a')), ['y']);
    } finally {
      await unmount(target);
      mounted.pop();
    }
  });

  void it('busybox variants share the base snapshot; zstd and uncompressed layers unpack to the same chain', async () => {
    const before = snaps.list().length;
    const tops = new Set<string | null>();
    for (const f of [fixtures.busybox, fixtures.busyboxUid, fixtures.busyboxUserGroup]) {
      const img = await f();
      tops.add(await unpackImage(store, snaps, await ingestImage(store, img), { log }));
    }
    // The whiteout image's base layer is the busybox layer: nothing new was unpacked.
    assert.equal(tops.size, 1);
    assert.equal(snaps.list().length, before);
    const z = await fixtures.zstd();
    assert.equal(await unpackImage(store, snaps, await ingestImage(store, z), { log }), [...tops][0]);
  });

  void it('a malicious image fails to unpack and leaves no snapshot', async () => {
    const img = await maliciousImage('symlink-root');
    const n = snaps.list().length;
    await assert.rejects(unpackImage(store, snaps, await ingestImage(store, img), { log, image: 'evil' }), /of evil: entry "link\/evil": parent "link" is a symlink/);
    assert.equal(snaps.list().length, n);
    assert.deepEqual(readdirSync(join(root, 'snapshots')).filter((x) => x.startsWith('tmp-')), []);
  });
});
