// RegistryClient against a real docker-registry: resolve, platform selection, blobs, mirrors.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { parseReference } from '../../../src/image/reference.js';
import { RegistryClient, type RegistryClientOptions } from '../../../src/image/registry/client.js';
import { parseHostsToml } from '../../../src/image/registry/hosts.js';
import { verifyingStream } from '../../../src/image/registry/verify.js';
import { CritterError } from '../../../src/util/errors.js';
import { silentLogger } from '../../../src/util/log.js';
import { startRegistry, type TestRegistry } from '../../harness/registry.js';
import { DOCKER_LIST, DOCKER_MANIFEST, digestOf, pushIndex, pushTinyImage, type PushedImage } from '../../harness/registry-image.js';
import { startRegistryProxy } from '../../harness/registry-proxy.js';

const kind = (k: string, re?: RegExp) => (e: unknown) => e instanceof CritterError && e.kind === k && (re === undefined || re.test(e.message));

function client(hostsToml: string, extra: Partial<RegistryClientOptions> = {}): RegistryClient {
  const { endpoints } = parseHostsToml(hostsToml, 'test/hosts.toml', '/tmp');
  return new RegistryClient({ endpoints, logger: silentLogger(), retry: { attempts: 2, baseDelayMs: 10 }, ...extra });
}

async function collect(r: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A stub registry serving fixed responses, for what docker-registry refuses to store. */
async function stubServer(routes: Record<string, { status?: number; type?: string; body: Buffer }>): Promise<{ url: string; close(): Promise<void> }> {
  const srv = http.createServer((req, res) => {
    const r = routes[new URL(req.url ?? '/', 'http://x').pathname];
    if (r === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
      return;
    }
    res.writeHead(r.status ?? 200, { 'content-type': r.type ?? 'application/octet-stream', 'content-length': r.body.length });
    res.end(r.body);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        srv.close(() => resolve());
        srv.closeAllConnections();
      }),
  };
}

void describe('RegistryClient against docker-registry', () => {
  let reg: TestRegistry;
  let amd64: PushedImage;
  let arm64: PushedImage;
  let dockerImg: PushedImage;
  let indexDigest: string;
  let server: string;

  before(async () => {
    reg = await startRegistry();
    server = `server = "${reg.url}"\n`;
    amd64 = await pushTinyImage(reg, 'team/tiny', 'v1', { architecture: 'amd64' });
    arm64 = await pushTinyImage(reg, 'team/tiny', 'arm64-only', { architecture: 'arm64', variant: 'v8' });
    indexDigest = (
      await pushIndex(reg, 'team/tiny', 'multi', [
        { image: arm64, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        { image: amd64, platform: { os: 'linux', architecture: 'amd64' } },
      ])
    ).digest;
    await pushIndex(reg, 'team/tiny', 's390x', [{ image: amd64, platform: { os: 'linux', architecture: 's390x' } }]);
    dockerImg = await pushTinyImage(reg, 'team/docker', 'v1', { mediaType: DOCKER_MANIFEST });
    await pushIndex(reg, 'team/docker', 'list', [{ image: dockerImg, platform: { os: 'linux', architecture: 'amd64' }, mediaType: DOCKER_MANIFEST }], DOCKER_LIST);
  });
  after(async () => {
    await reg.stop();
  });

  void it('resolves a tag and a digest to the same manifest', async () => {
    const c = client(server);
    const byTag = await c.resolve(parseReference(`${reg.host}/team/tiny:v1`));
    assert.equal(byTag.digest, amd64.manifestDigest);
    assert.equal(byTag.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.deepEqual(Buffer.from(byTag.bytes), Buffer.from(amd64.manifest));
    const byDigest = await c.resolve(parseReference(`${reg.host}/team/tiny@${amd64.manifestDigest}`));
    assert.equal(byDigest.digest, amd64.manifestDigest);
    const both = await c.resolve(parseReference(`${reg.host}/team/tiny:ignored@${amd64.manifestDigest}`));
    assert.equal(both.digest, amd64.manifestDigest);
    c.close();
  });

  void it('fetches the manifest and streams a verified blob', async () => {
    const c = client(server);
    const m = await c.fetchManifest(parseReference(`${reg.host}/team/tiny:v1`));
    assert.equal(m.digest, amd64.manifestDigest);
    assert.equal(m.target.digest, amd64.manifestDigest);
    assert.equal(m.layers.length, 1);
    assert.equal(m.layers[0]!.digest, amd64.layerDigest);
    const body = await c.fetchBlob('team/tiny', m.layers[0]!);
    const chunks: Buffer[] = [];
    await pipeline(body, verifyingStream(m.layers[0]!.digest, m.layers[0]!.size), new Writable({ write: (c2: Buffer, _e, cb) => (chunks.push(c2), cb()) }));
    assert.deepEqual(Buffer.concat(chunks), Buffer.from(amd64.layer));
    // A resumed download returns only the rest.
    const rest = await collect(await c.fetchBlob('team/tiny', m.layers[0]!, { offset: 10 }));
    assert.deepEqual(rest, Buffer.from(amd64.layer).subarray(10));
    c.close();
  });

  void it('selects this platform from an OCI index, and arm64/v8 when asked', async () => {
    const c = client(server, { platform: { os: 'linux', architecture: 'amd64' } });
    const m = await c.fetchManifest(parseReference(`${reg.host}/team/tiny:multi`));
    assert.equal(m.target.digest, indexDigest);
    assert.equal(m.digest, amd64.manifestDigest);
    assert.equal(m.index?.manifests.length, 2);
    const a = client(server, { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
    assert.equal((await a.fetchManifest(parseReference(`${reg.host}/team/tiny:multi`))).digest, arm64.manifestDigest);
    c.close();
    a.close();
  });

  void it('handles Docker schema 2 manifests and manifest lists', async () => {
    const c = client(server, { platform: { os: 'linux', architecture: 'amd64' } });
    const m = await c.fetchManifest(parseReference(`${reg.host}/team/docker:list`));
    assert.equal(m.mediaType, DOCKER_MANIFEST);
    assert.equal(m.digest, dockerImg.manifestDigest);
    assert.equal(m.target.mediaType, DOCKER_LIST);
    assert.equal(m.layers[0]!.mediaType, 'application/vnd.docker.image.rootfs.diff.tar.gzip');
    c.close();
  });

  void it('reports the platforms on offer when none fits', async () => {
    const c = client(server, { platform: { os: 'linux', architecture: 'amd64' } });
    await assert.rejects(c.fetchManifest(parseReference(`${reg.host}/team/tiny:s390x`)), kind('NotFound', /linux\/amd64.*available: linux\/s390x/));
    c.close();
  });

  void it('maps unknown tags, repositories and blobs to NotFound with context', async () => {
    const c = client(server);
    await assert.rejects(c.resolve(parseReference(`${reg.host}/team/tiny:nope`)), kind('NotFound', /manifest team\/tiny:nope .*HTTP 404.*MANIFEST_UNKNOWN/));
    await assert.rejects(c.resolve(parseReference(`${reg.host}/no/such:v1`)), kind('NotFound', /NAME_UNKNOWN|MANIFEST_UNKNOWN/));
    const missing = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digestOf(Buffer.from('missing')), size: 7 };
    await assert.rejects(c.fetchBlob('team/tiny', missing), kind('NotFound', /blob team\/tiny@sha256:.*HTTP 404/));
    c.close();
  });

  void it('refuses schema 1 manifests and content that does not match its digest', async () => {
    const schema1 = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'old/app', tag: 'v1', architecture: 'amd64', fsLayers: [], history: [] }));
    const wrong = Buffer.from('not the layer');
    const stub = await stubServer({
      '/v2/old/app/manifests/v1': { type: 'application/vnd.docker.distribution.manifest.v1+prettyjws', body: schema1 },
      '/v2/old/app/manifests/v2': { type: 'application/json', body: schema1 },
      [`/v2/old/app/manifests/${amd64.manifestDigest}`]: { type: 'application/vnd.oci.image.manifest.v1+json', body: Buffer.from(arm64.manifest) },
      [`/v2/old/app/blobs/${amd64.layerDigest}`]: { body: wrong },
    });
    try {
      const c = client(`server = "${stub.url}"\n`);
      const host = new URL(stub.url).host;
      await assert.rejects(c.resolve(parseReference(`${host}/old/app:v1`)), kind('FailedPrecondition', /schema 1 manifests are not supported/));
      await assert.rejects(c.resolve(parseReference(`${host}/old/app:v2`)), kind('FailedPrecondition', /schema 1/));
      await assert.rejects(c.resolve(parseReference(`${host}/old/app@${amd64.manifestDigest}`)), kind('FailedPrecondition', /does not match the requested/));
      const body = await c.fetchBlob('old/app', { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: amd64.layerDigest, size: wrong.length });
      await assert.rejects(
        pipeline(body, verifyingStream(amd64.layerDigest, wrong.length), new Writable({ write: (_c, _e, cb) => cb() })),
        kind('FailedPrecondition', /digest mismatch/),
      );
      c.close();
    } finally {
      await stub.close();
    }
  });

  void it('pulls docker.io through a mirror with a path prefix and override_path', async () => {
    const img = await pushTinyImage(reg, 'library/busybox', 'latest');
    const mirror = await startRegistryProxy({ upstream: reg.url, apiRoot: '/v2/mirror' });
    // The upstream is a dead local port: nothing may leave this machine, and the mirror must suffice.
    const c = client(`server = "http://127.0.0.1:9"\n[host."${mirror.url}/v2/mirror"]\ncapabilities = ["pull", "resolve"]\noverride_path = true\n`);
    try {
      const ref = parseReference('busybox');
      const m = await c.fetchManifest(ref);
      assert.equal(m.digest, img.manifestDigest);
      await collect(await c.fetchBlob(ref.path, m.layers[0]!));
      const paths = mirror.requests.map((r) => r.path);
      assert.ok(paths.includes('/v2/mirror/library/busybox/manifests/latest'), paths.join(' '));
      assert.ok(paths.includes(`/v2/mirror/library/busybox/blobs/${img.layerDigest}`));
    } finally {
      c.close();
      await mirror.stop();
    }
  });

  void it('falls through a dead mirror and a mirror that lacks the image', async () => {
    const empty = await startRegistry();
    const emptyMirror = await startRegistryProxy({ upstream: empty.url });
    const c = client(`server = "${reg.url}"\n[host."http://127.0.0.1:9"]\n[host."${emptyMirror.url}"]\n`);
    try {
      const m = await c.fetchManifest(parseReference(`${reg.host}/team/tiny:v1`));
      assert.equal(m.digest, amd64.manifestDigest);
      assert.ok(emptyMirror.requests.some((r) => r.path === '/v2/team/tiny/manifests/v1'));
    } finally {
      c.close();
      await emptyMirror.stop();
      await empty.stop();
    }
  });

  void it('a mirror only for pull is not asked to resolve tags', async () => {
    const mirror = await startRegistryProxy({ upstream: reg.url });
    const c = client(`server = "${reg.url}"\n[host."${mirror.url}"]\ncapabilities = ["pull"]\n`);
    try {
      const m = await c.fetchManifest(parseReference(`${reg.host}/team/tiny:v1`));
      await collect(await c.fetchBlob('team/tiny', m.layers[0]!));
      assert.ok(!mirror.requests.some((r) => r.path.endsWith('/manifests/v1')));
      assert.ok(mirror.requests.some((r) => r.path.endsWith(`/blobs/${amd64.layerDigest}`)));
    } finally {
      c.close();
      await mirror.stop();
    }
  });
});
