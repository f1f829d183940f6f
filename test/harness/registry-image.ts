// Builds and pushes a tiny single-file image (config + one gzip tar layer) for registry tests.
// The real test images live in test/fixtures/; this is only enough content to move around.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import type { TestRegistry } from './registry.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

export const digestOf = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export async function tarOf(files: Record<string, string | Uint8Array>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) {
    pack.entry({ name, mode: 0o644, mtime: new Date(0) }, Buffer.from(content));
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export interface PushedImage {
  manifestDigest: string;
  manifest: Uint8Array;
  configDigest: string;
  layerDigest: string;
  layer: Uint8Array;
}

/** Pushes config + layer + manifest for one architecture and tags it. */
export async function pushTinyImage(
  reg: TestRegistry,
  repo: string,
  tag: string,
  opts: { architecture?: string; variant?: string; content?: string; mediaType?: string; layerBytes?: Uint8Array } = {},
): Promise<PushedImage> {
  const architecture = opts.architecture ?? 'amd64';
  const layer = opts.layerBytes ?? gzipSync(await tarOf({ 'hello.txt': opts.content ?? `hello from ${repo}:${tag}\n` }));
  const diffId = digestOf(opts.layerBytes ?? (await tarOf({ 'hello.txt': opts.content ?? `hello from ${repo}:${tag}\n` })));
  const config = Buffer.from(
    JSON.stringify({
      architecture,
      ...(opts.variant !== undefined ? { variant: opts.variant } : {}),
      os: 'linux',
      config: { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: [diffId] },
    }),
  );
  const configDigest = await reg.pushBlob(repo, config);
  const layerDigest = await reg.pushBlob(repo, layer);
  const mediaType = opts.mediaType ?? OCI_MANIFEST;
  const docker = mediaType === DOCKER_MANIFEST;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      config: {
        mediaType: docker ? 'application/vnd.docker.container.image.v1+json' : 'application/vnd.oci.image.config.v1+json',
        digest: configDigest,
        size: config.length,
      },
      layers: [
        {
          mediaType: docker ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : 'application/vnd.oci.image.layer.v1.tar+gzip',
          digest: layerDigest,
          size: layer.length,
        },
      ],
    }),
  );
  const manifestDigest = await reg.pushManifest(repo, tag, manifest, mediaType);
  return { manifestDigest, manifest, configDigest, layerDigest, layer };
}

/** Pushes an index over already pushed per-platform manifests. */
export async function pushIndex(
  reg: TestRegistry,
  repo: string,
  tag: string,
  entries: { image: PushedImage; platform: { os: string; architecture: string; variant?: string }; mediaType?: string }[],
  mediaType = OCI_INDEX,
): Promise<{ digest: string; body: Uint8Array }> {
  const body = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      manifests: entries.map((e) => ({
        mediaType: e.mediaType ?? OCI_MANIFEST,
        digest: e.image.manifestDigest,
        size: e.image.manifest.length,
        platform: e.platform,
      })),
    }),
  );
  return { digest: await reg.pushManifest(repo, tag, body, mediaType), body };
}
