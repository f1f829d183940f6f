import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { detectManifestMediaType, parseIndex, parseManifest } from '../../../src/image/registry/manifest.js';
import { layerCompression } from '../../../src/image/registry/media-types.js';
import { DigestVerifier, sha256Digest, verifyingStream } from '../../../src/image/registry/verify.js';
import { CritterError } from '../../../src/util/errors.js';

const D = (c: string) => 'sha256:' + c.repeat(64);
const enc = (v: unknown) => Buffer.from(JSON.stringify(v));
const failed = (re: RegExp) => (e: unknown) => e instanceof CritterError && e.kind === 'FailedPrecondition' && re.test(e.message);

const manifest = (layers: unknown[]) =>
  enc({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: D('c'), size: 10 }, layers });

void describe('manifests', () => {
  void it('refuses schema 1 by content type or by body', () => {
    assert.throws(() => detectManifestMediaType('application/vnd.docker.distribution.manifest.v1+prettyjws', enc({ schemaVersion: 1 }), 'm'), failed(/schema 1 manifests are not supported/));
    assert.throws(() => detectManifestMediaType('application/json', enc({ schemaVersion: 1, name: 'x', fsLayers: [] }), 'm'), failed(/schema 1/));
  });

  void it('detects the media type from the body when the header is generic', () => {
    assert.equal(detectManifestMediaType('application/octet-stream', enc({ schemaVersion: 2, manifests: [] }), 'm'), 'application/vnd.oci.image.index.v1+json');
    assert.equal(detectManifestMediaType(undefined, manifest([]), 'm'), 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(detectManifestMediaType('application/vnd.docker.distribution.manifest.list.v2+json; charset=utf-8', enc({ schemaVersion: 2, manifests: [] }), 'm'), 'application/vnd.docker.distribution.manifest.list.v2+json');
  });

  void it('parses layers with annotations', () => {
    const m = parseManifest(manifest([{ mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', digest: D('a'), size: 3, annotations: { k: 'v' } }]), 'application/vnd.oci.image.manifest.v1+json', D('f'), 'm');
    assert.equal(m.layers[0]!.annotations!.k, 'v');
    assert.equal(m.config.digest, D('c'));
    assert.equal(layerCompression(m.layers[0]!.mediaType), 'zstd');
  });

  void it('refuses foreign layers, unknown layer types and bad descriptors', () => {
    const mt = 'application/vnd.oci.image.manifest.v1+json';
    assert.throws(() => parseManifest(manifest([{ mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: D('a'), size: 3 }]), mt, D('f'), 'm'), failed(/foreign\/non-distributable/));
    assert.throws(() => parseManifest(manifest([{ mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', digest: D('a'), size: 3 }]), mt, D('f'), 'm'), failed(/non-distributable/));
    assert.throws(() => parseManifest(manifest([{ mediaType: 'application/x-thing', digest: D('a'), size: 3 }]), mt, D('f'), 'm'), failed(/unsupported media type/));
    assert.throws(() => parseManifest(manifest([{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: 'sha256:zz', size: 3 }]), mt, D('f'), 'm'), failed(/invalid digest/));
    assert.throws(() => parseManifest(manifest([{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: D('a'), size: -1 }]), mt, D('f'), 'm'), failed(/invalid size/));
    assert.throws(() => parseIndex(enc({ schemaVersion: 2, manifests: [{ mediaType: 'x', digest: D('a') }] }), 'i', 'idx'), failed(/invalid size/));
  });
});

void describe('DigestVerifier', () => {
  const data = Buffer.from('hello world');
  const run = async (expectedDigest: string, size?: number) => {
    await pipeline(Readable.from([data.subarray(0, 4), data.subarray(4)]), verifyingStream(expectedDigest, size), new Writable({ write: (_c, _e, cb) => cb() }));
  };
  void it('passes matching content', async () => {
    await run(sha256Digest(data), data.length);
  });
  void it('detects a digest mismatch', async () => {
    await assert.rejects(run(D('0'), data.length), failed(/digest mismatch/));
  });
  void it('detects short and long content', async () => {
    await assert.rejects(run(sha256Digest(data), data.length + 1), failed(/has 11 bytes, expected 12/));
    await assert.rejects(run(sha256Digest(data), 5), failed(/larger than the expected 5/));
  });
  void it('can be pre-fed for resumed downloads', () => {
    const v = new DigestVerifier(sha256Digest(data), data.length);
    v.update(data.subarray(0, 3));
    v.update(data.subarray(3));
    v.verify();
  });
});
