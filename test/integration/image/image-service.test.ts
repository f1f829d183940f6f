// ImageStatus, ListImages, RemoveImage and ImageFsInfo through a real critterd: every
// reference form, removal and collection, the pinned sandbox image, and a restart.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { status as Code, type ServiceError } from '@grpc/grpc-js';
import { chainIds } from '../../../src/image/snapshot/chain.js';
import { pushImage, type BuiltImage } from '../../fixtures/image.js';
import { fixtures } from '../../fixtures/images.js';
import { startCritterd, type CritterdHandle } from '../../harness/daemon.js';
import { startRegistry, type TestRegistry } from '../../harness/registry.js';

const blobExists = (d: CritterdHandle, digest: string): boolean => existsSync(join(d.root, 'content', 'blobs', 'sha256', digest.slice(7)));
const snapshotExists = (d: CritterdHandle, chain: string): boolean => existsSync(join(d.root, 'snapshots', chain.slice(7)));
const diffIds = (img: BuiltImage): string[] => img.layers.map((l) => l.diffId);

void describe('ImageService', () => {
  let reg: TestRegistry;
  let certs: string;
  let d: CritterdHandle;
  let bb: BuiltImage;
  let pause: BuiltImage;
  let config: string;
  const ref = (repo: string, tag = 'latest'): string => `${reg.host}/${repo}:${tag}`;

  before(async () => {
    reg = await startRegistry();
    certs = mkdtempSync(join(tmpdir(), 'critter-certs-'));
    mkdirSync(join(certs, reg.host));
    writeFileSync(join(certs, reg.host, 'hosts.toml'), `server = "http://${reg.host}"\n`);
    bb = await fixtures.busybox();
    // The pause image shares busybox's layer blob, so removing busybox must keep it.
    pause = await fixtures.busyboxUid();
    await pushImage(reg, 'busybox', ['latest', 'v1'], bb);
    await pushImage(reg, 'pause', ['3.10'], pause);
    await pushImage(reg, 'other', ['latest'], await fixtures.configured());
    config = `[image]\nregistry_config_dir = "${certs}"\nsandbox_image = "${reg.host}/pause:3.10"\n`;
    d = await startCritterd({ config });
  });
  after(async () => {
    await d?.stop();
    await reg?.stop();
    rmSync(certs, { recursive: true, force: true });
  });

  const pullBusybox = async (): Promise<void> => {
    await d.clients.image.pullImage({ image: { image: ref('busybox') } });
  };

  void it('answers ImageStatus for a missing image with no image and no error', async () => {
    for (const image of ['nothere', 'sha256:' + 'a'.repeat(64), 'abcdef', 'Invalid//Ref']) {
      const st = await d.clients.image.imageStatus({ image: { image } });
      assert.equal(st.image, undefined, image);
    }
    await assert.rejects(d.clients.image.imageStatus({ image: { image: '' } }), (e: ServiceError) => e.code === Code.INVALID_ARGUMENT);
  });

  void it('finds an image by tag, name@digest, full id, bare hex and short id prefixes', async () => {
    await pullBusybox();
    const id = bb.configDigest;
    const hex = id.slice(7);
    for (const image of [ref('busybox'), `${reg.host}/busybox`, `${reg.host}/busybox@${bb.manifestDigest}`, id, hex, hex.slice(0, 12), `sha256:${hex.slice(0, 12)}`, hex.slice(0, 3)]) {
      const st = await d.clients.image.imageStatus({ image: { image } });
      assert.equal(st.image?.id, id, image);
      assert.equal(st.image?.spec?.image, id);
    }
    const v = await d.clients.image.imageStatus({ image: { image: hex.slice(0, 12) }, verbose: true });
    const info = JSON.parse(v.info.info ?? '') as { chainID: string; imageSpec: { config: { Cmd: string[] } } };
    assert.equal(info.chainID, chainIds(diffIds(bb)).at(-1));
    assert.deepEqual(info.imageSpec.config.Cmd, ['sh']);
  });

  void it('lists every image, or the one a filter names in any form', async () => {
    await d.clients.image.pullImage({ image: { image: ref('other') } });
    const all = await d.clients.image.listImages({});
    assert.ok(all.images.length >= 2);
    for (const image of [ref('busybox'), bb.configDigest, bb.configDigest.slice(7, 19)]) {
      const l = await d.clients.image.listImages({ filter: { image: { image } } });
      assert.deepEqual(l.images.map((i) => i.id), [bb.configDigest], image);
    }
    assert.deepEqual((await d.clients.image.listImages({ filter: { image: { image: 'nothere' } } })).images, []);
    assert.equal((await d.clients.image.listImages({ filter: { image: { image: '' } } })).images.length, all.images.length);
  });

  void it('removes an image by each form, with all its names; a missing one is OK', async () => {
    const hex = bb.configDigest.slice(7);
    for (const image of [ref('busybox'), `${reg.host}/busybox@${bb.manifestDigest}`, bb.configDigest, hex, hex.slice(0, 12)]) {
      await pullBusybox();
      await d.clients.image.pullImage({ image: { image: ref('busybox', 'v1') } });
      await d.clients.image.removeImage({ image: { image } });
      for (const q of [ref('busybox'), ref('busybox', 'v1'), bb.configDigest]) {
        assert.equal((await d.clients.image.imageStatus({ image: { image: q } })).image, undefined, `${image} -> ${q}`);
      }
    }
    await d.clients.image.removeImage({ image: { image: ref('busybox') } });
    await d.clients.image.removeImage({ image: { image: 'never-pulled:1' } });
  });

  void it('collects blobs and snapshots no image needs, keeping what the pinned sandbox image shares', async () => {
    await d.clients.image.pullImage({ image: { image: ref('pause', '3.10') } });
    await pullBusybox();
    const p = await d.clients.image.imageStatus({ image: { image: ref('pause', '3.10') } });
    assert.equal(p.image?.pinned, true);
    assert.equal((await d.clients.image.imageStatus({ image: { image: ref('busybox') } })).image?.pinned, false);
    const layer = bb.layers[0]!.digest;
    assert.equal(layer, pause.layers[0]!.digest);
    await d.clients.image.removeImage({ image: { image: ref('busybox') } });
    assert.equal(blobExists(d, bb.configDigest), false, 'busybox config collected');
    assert.equal(blobExists(d, bb.manifestDigest), false, 'busybox manifest collected');
    assert.equal(blobExists(d, layer), true, 'shared layer kept');
    assert.equal(snapshotExists(d, chainIds(diffIds(pause)).at(-1)!), true);
    assert.equal((await d.clients.image.imageStatus({ image: { image: ref('pause', '3.10') } })).image?.pinned, true);

    const other = await fixtures.configured();
    const otherChain = chainIds(diffIds(other));
    assert.ok(snapshotExists(d, otherChain[1]!));
    await d.clients.image.removeImage({ image: { image: ref('other') } });
    assert.equal(snapshotExists(d, otherChain[1]!), false, 'its own top layer collected');
    assert.equal(blobExists(d, other.layers[1]!.digest), false);
  });

  void it('moves a tag to the image pushed under it, keeping the old image by id', async () => {
    await pushImage(reg, 'moving', ['latest'], bb);
    await d.clients.image.pullImage({ image: { image: ref('moving') } });
    await pushImage(reg, 'moving', ['latest'], await fixtures.tagged());
    const second = await d.clients.image.pullImage({ image: { image: ref('moving') } });
    const old = await d.clients.image.imageStatus({ image: { image: bb.configDigest } });
    assert.ok(!old.image?.repoTags.includes(ref('moving')));
    assert.ok(old.image?.repoDigests.includes(`${reg.host}/moving@${bb.manifestDigest}`));
    assert.equal((await d.clients.image.imageStatus({ image: { image: ref('moving') } })).image?.id, second.imageRef);
  });

  void it('reports the image filesystem like containerd: one entry, no container filesystems', async () => {
    const fs = await d.clients.image.imageFsInfo({});
    assert.equal(fs.imageFilesystems.length, 1);
    assert.equal(fs.containerFilesystems.length, 0);
    const u = fs.imageFilesystems[0]!;
    assert.equal(u.fsId?.mountpoint, join(d.root, 'snapshots'));
    assert.ok((u.usedBytes?.value ?? 0n) > 1_000_000n);
    assert.ok((u.inodesUsed?.value ?? 0n) > 100n);
    assert.ok(Math.abs(Number(u.timestamp / 1_000_000n) - Date.now()) < 60_000);
  });

  void it('keeps images across a restart and collects a crashed pull\'s leftovers at startup', async () => {
    const before = await d.clients.image.listImages({});
    await d.stop({ keepDir: true });
    // What a crash mid-pull leaves: a blob no record names and a half-made snapshot.
    const orphan = `sha256:${'e'.repeat(64)}`;
    writeFileSync(join(d.root, 'content', 'blobs', 'sha256', orphan.slice(7)), 'orphan');
    mkdirSync(join(d.root, 'snapshots', 'tmp-deadbeef'));
    d = await startCritterd({ dir: d.dir, config });
    const after = await d.clients.image.listImages({});
    assert.deepEqual(after.images.map((i) => [i.id, i.repoTags, i.pinned]), before.images.map((i) => [i.id, i.repoTags, i.pinned]));
    assert.equal(blobExists(d, orphan), false);
    assert.ok(!readdirSync(join(d.root, 'snapshots')).some((n) => n.startsWith('tmp-')));
    assert.equal((await d.clients.image.imageStatus({ image: { image: ref('pause', '3.10') } })).image?.pinned, true);
  });
});
