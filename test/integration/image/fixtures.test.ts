// The fixture images: deterministic, well-formed, and accepted by a real registry.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import tar from 'tar-stream';
import { startRegistry, type TestRegistry } from '../../harness/registry.js';
import { buildBigImage } from '../../fixtures/big.js';
import { hostPlatform, pushFileImage, pushImage, type BuiltImage, type BuiltIndex } from '../../fixtures/image.js';
import { fixtures, maliciousImage, TAGGED_TAGS } from '../../fixtures/images.js';
import { buildLayer } from '../../fixtures/layer.js';

const sha = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

interface ConfigJson {
  architecture: string;
  os: string;
  config: Record<string, unknown>;
  rootfs: { type: string; diff_ids: string[] };
  history: unknown[];
}

void describe('fixture images', () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await startRegistry();
  });
  after(async () => {
    await reg.stop();
  });

  void it('are deterministic: the same digests when built twice', async () => {
    const a = await buildLayer([{ type: 'file', path: 'x', content: 'same' }]);
    const b = await buildLayer([{ type: 'file', path: 'x', content: 'same' }]);
    assert.equal(a.digest, b.digest);
    assert.equal(a.diffId, b.diffId);
  });

  void it('busybox: config has the host platform, diff ids of the uncompressed tars, and history', async () => {
    const img = await fixtures.busybox();
    const cfg = JSON.parse(Buffer.from(img.config).toString()) as ConfigJson;
    assert.equal(cfg.architecture, hostPlatform().architecture);
    assert.equal(cfg.os, 'linux');
    assert.equal(cfg.history.length, img.layers.length);
    for (const [i, l] of img.layers.entries()) {
      const blob = img.blobs.get(l.digest);
      assert.ok(blob);
      assert.equal(sha(blob), l.digest);
      assert.equal(sha(gunzipSync(blob)), cfg.rootfs.diff_ids[i]);
    }
    assert.equal(sha(img.manifest), img.manifestDigest);
    const names: string[] = [];
    const ex = tar.extract();
    Readable.from([gunzipSync(img.blobs.get(img.layers[0]?.digest ?? '') ?? new Uint8Array())]).pipe(ex);
    for await (const e of ex) {
      names.push(e.header.name.replace(/\/$/, ''));
      e.resume();
    }
    for (const n of ['bin/busybox', 'bin/sh', 'etc/passwd', 'etc/group', 'tmp', 'proc', 'sys', 'dev']) assert.ok(names.includes(n), n);
  });

  void it('user variants and the configured image carry their config', async () => {
    const user = async (f: () => Promise<BuiltImage>): Promise<unknown> => (JSON.parse(Buffer.from((await f()).config).toString()) as ConfigJson).config.User;
    assert.equal(await user(fixtures.busyboxUid), '1000');
    assert.equal(await user(fixtures.busyboxUsername), 'critter');
    assert.equal(await user(fixtures.busyboxUidGid), '1000:1001');
    assert.equal(await user(fixtures.busyboxUserGroup), 'critter:wheel');
    const c = (JSON.parse(Buffer.from((await fixtures.configured()).config).toString()) as ConfigJson).config;
    assert.deepEqual(c.Entrypoint, ['/bin/sh', '-c']);
    assert.equal(c.WorkingDir, '/work/dir');
    assert.equal(c.StopSignal, 'SIGINT');
  });

  void it('push to a real registry: tags, index and zstd', async () => {
    const tagged = await fixtures.tagged();
    await pushImage(reg, 'critter/tagged', [...TAGGED_TAGS], tagged);
    for (const t of TAGGED_TAGS) {
      const res = await fetch(`${reg.url}/v2/critter/tagged/manifests/${t}`, { headers: { accept: tagged.manifestMediaType } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('docker-content-digest'), tagged.manifestDigest);
      await res.arrayBuffer();
    }
    const index: BuiltIndex = await fixtures.multiPlatform();
    await pushImage(reg, 'critter/multi', ['latest'], index);
    const res = await fetch(`${reg.url}/v2/critter/multi/manifests/latest`, { headers: { accept: index.manifestMediaType } });
    const body = (await res.json()) as { manifests: { platform: { architecture: string; variant?: string } }[] };
    assert.deepEqual(
      body.manifests.map((m) => `${m.platform.architecture}${m.platform.variant ? `/${m.platform.variant}` : ''}`),
      ['amd64', 'arm64/v8', 'arm/v7'],
    );
    await pushImage(reg, 'critter/zstd', ['latest'], await fixtures.zstd());
    await pushImage(reg, 'critter/whiteouts', ['latest'], await fixtures.whiteouts());
    await pushImage(reg, 'critter/evil', ['latest'], await maliciousImage('absolute'));
  });

  void it('big images are written to files, not memory, and push', async () => {
    const big = await buildBigImage({ totalBytes: 4 << 20, layers: 2, filesPerLayer: 4, compression: 'zstd' });
    try {
      assert.equal(big.layerFiles.length, 2);
      assert.equal(big.totalBytes, 4 << 20);
      await pushFileImage(reg, 'critter/big', ['latest'], big);
      const res = await fetch(`${reg.url}/v2/critter/big/blobs/${big.layers[0]?.digest ?? ''}`, { method: 'HEAD' });
      assert.equal(res.status, 200);
    } finally {
      await big.cleanup();
    }
  });
});
