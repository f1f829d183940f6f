// The collector over a real content store and snapshotter: what no record names and no pull
// holds goes; what a container layer sits on stays.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ContentStore } from '../../../src/image/content/store.js';
import { GarbageCollector } from '../../../src/image/gc/collector.js';
import { Leases } from '../../../src/image/gc/leases.js';
import { chainIds } from '../../../src/image/snapshot/chain.js';
import { Snapshotter } from '../../../src/image/snapshot/snapshotter.js';
import { ImageStore } from '../../../src/image/store/image-store.js';
import { silentLogger } from '../../../src/util/log.js';

const log = silentLogger();
const d = (s: string): string => `sha256:${createHash('sha256').update(s).digest('hex')}`;

void describe('garbage collector', () => {
  let root: string;
  let content: ContentStore;
  let snaps: Snapshotter;
  let images: ImageStore;
  let leases: Leases;
  let gc: GarbageCollector;

  const fill = async (dir: string): Promise<void> => {
    await mkdir(dir);
    await writeFile(join(dir, 'f'), 'x');
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'critter-gc-'));
    content = await ContentStore.open(root, log);
    snaps = await Snapshotter.open(root, log);
    images = ImageStore.open(root, log);
    leases = new Leases();
    gc = new GarbageCollector({ content, snapshots: snaps, images, leases, log });
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  void it('removes unreferenced blobs and snapshot chains top first, keeping shared ones', async () => {
    const blobs = await Promise.all(['base', 'a', 'b', 'orphan'].map((s) => content.putBytes(Buffer.from(s))));
    const [base, a, b, orphan] = blobs as [string, string, string, string];
    const [cBase, cA] = chainIds([d('base'), d('a')]) as [string, string];
    const cB = chainIds([d('base'), d('b')])[1]!;
    await snaps.commit(cBase, null, d('base'), fill);
    await snaps.commit(cA, cBase, d('a'), fill);
    await snaps.commit(cB, cBase, d('b'), fill);
    images.add({ id: a, repoTag: 'docker.io/library/a:1', repoDigest: `docker.io/library/a@${d('ma')}`, size: 1, chainId: cA, user: '', blobs: [base, a] });
    images.add({ id: b, repoTag: 'docker.io/library/b:1', repoDigest: `docker.io/library/b@${d('mb')}`, size: 1, chainId: cB, user: '', blobs: [base, b] });

    let r = await gc.collect();
    assert.deepEqual(r.blobsRemoved, [orphan]);
    assert.deepEqual(r.snapshotsRemoved, []);

    images.remove(b);
    r = await gc.collect();
    assert.deepEqual(r.blobsRemoved, [b]);
    assert.deepEqual(r.snapshotsRemoved, [cB]);
    assert.ok(snaps.has(cBase) && snaps.has(cA) && (await content.has(base)));

    images.remove(a);
    r = await gc.collect();
    assert.deepEqual(r.snapshotsRemoved, [cA, cBase], 'the child goes before its parent');
    assert.deepEqual((await content.list()).map((x) => x.digest), []);
  });

  void it('keeps what a pull in progress has leased, until it is released', async () => {
    const blob = await content.putBytes(Buffer.from('leased'));
    const chain = d('leased-layer');
    await snaps.commit(chain, null, chain, fill);
    const lease = leases.create();
    lease.add({ blobs: [blob], snapshots: [chain] });
    let r = await gc.collect();
    assert.deepEqual(r.blobsRemoved, []);
    assert.deepEqual(r.snapshotsRemoved, []);
    lease.release();
    r = await gc.collect();
    assert.deepEqual(r.blobsRemoved, [blob]);
    assert.deepEqual(r.snapshotsRemoved, [chain]);
  });

  void it('leaves a snapshot under a container layer for a later pass', async () => {
    const chain = d('in-use');
    await snaps.commit(chain, null, chain, fill);
    await snaps.createActive('ctr1', chain);
    let r = await gc.collect();
    assert.deepEqual(r.snapshotsKept, [chain]);
    assert.ok(snaps.has(chain));
    await snaps.removeActive('ctr1');
    r = await gc.collect();
    assert.deepEqual(r.snapshotsRemoved, [chain]);
  });

  void it('never overlaps passes: concurrent calls share the queued one', async () => {
    const [a, b, c] = [gc.collect(), gc.collect(), gc.collect()];
    assert.notEqual(a, b);
    assert.equal(b, c);
    await Promise.all([a, b, c]);
    await gc.idle();
  });
});
