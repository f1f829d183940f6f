// Parsing and validating manifests and indexes fetched from a registry. Everything coming off
// the wire is untrusted JSON, so each field is checked before it is typed.
import { failedPrecondition } from '../../util/errors.js';
import { digestProblem } from '../reference.js';
import {
  MediaType,
  isIndexMediaType,
  isManifestMediaType,
  isNonDistributableLayer,
  isSchema1MediaType,
  layerCompression,
} from './media-types.js';
import type { Platform } from './platform.js';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  urls?: string[];
  platform?: Platform;
}

export interface ImageIndex {
  mediaType: string;
  manifests: Descriptor[];
}

export interface ImageManifest {
  mediaType: string;
  /** Digest of the manifest itself (the platform-specific one after selection). */
  digest: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
  /** The exact bytes as served, which is what the digest covers. */
  raw: Uint8Array;
}

export const SCHEMA1_MESSAGE =
  'schema 1 manifests are not supported; the image must be pushed again with a current Docker or OCI tool (Docker schema 2 or OCI manifest)';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringMap(v: unknown, where: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v)) throw failedPrecondition(`${where}: annotations must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') throw failedPrecondition(`${where}: annotation "${k}" is not a string`);
    out[k] = val;
  }
  return out;
}

export function parseDescriptor(v: unknown, where: string): Descriptor {
  if (!isRecord(v)) throw failedPrecondition(`${where}: descriptor is not an object`);
  const { mediaType, digest, size } = v;
  if (typeof mediaType !== 'string' || mediaType === '') throw failedPrecondition(`${where}: descriptor has no mediaType`);
  if (typeof digest !== 'string') throw failedPrecondition(`${where}: descriptor has no digest`);
  const problem = digestProblem(digest);
  if (problem !== undefined) throw failedPrecondition(`${where}: ${problem}`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw failedPrecondition(`${where}: descriptor ${digest} has invalid size ${String(size)}`);
  }
  const d: Descriptor = { mediaType, digest, size };
  const annotations = stringMap(v.annotations, where);
  if (annotations !== undefined) d.annotations = annotations;
  if (Array.isArray(v.urls)) d.urls = v.urls.filter((u): u is string => typeof u === 'string');
  if (isRecord(v.platform)) {
    const { os, architecture, variant } = v.platform;
    if (typeof os === 'string' && typeof architecture === 'string') {
      d.platform = typeof variant === 'string' && variant !== '' ? { os, architecture, variant } : { os, architecture };
    }
  }
  return d;
}

function parseJson(raw: Uint8Array, where: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(raw).toString('utf8'));
  } catch (e) {
    throw failedPrecondition(`${where}: not valid JSON`, e);
  }
  if (!isRecord(v)) throw failedPrecondition(`${where}: not a JSON object`);
  return v;
}

/**
 * Works out what a manifest body is when the server's Content-Type is missing or generic:
 * the body's own mediaType field first, then its shape. Refuses schema 1.
 */
export function detectManifestMediaType(contentType: string | undefined, raw: Uint8Array, where: string): string {
  const ct = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (isSchema1MediaType(ct)) throw failedPrecondition(`${where}: ${SCHEMA1_MESSAGE}`);
  const body = parseJson(raw, where);
  if (body.schemaVersion === 1) throw failedPrecondition(`${where}: ${SCHEMA1_MESSAGE}`);
  if (isIndexMediaType(ct) || isManifestMediaType(ct)) return ct;
  if (typeof body.mediaType === 'string') {
    if (isSchema1MediaType(body.mediaType)) throw failedPrecondition(`${where}: ${SCHEMA1_MESSAGE}`);
    if (isIndexMediaType(body.mediaType) || isManifestMediaType(body.mediaType)) return body.mediaType;
  }
  if (Array.isArray(body.manifests)) return MediaType.ociIndex;
  if (Array.isArray(body.layers) && body.config !== undefined) return MediaType.ociManifest;
  throw failedPrecondition(`${where}: unsupported manifest media type "${ct || String(body.mediaType ?? 'unknown')}"`);
}

export function parseIndex(raw: Uint8Array, mediaType: string, where: string): ImageIndex {
  const body = parseJson(raw, where);
  if (body.schemaVersion !== 2) throw failedPrecondition(`${where}: index schemaVersion must be 2`);
  if (!Array.isArray(body.manifests)) throw failedPrecondition(`${where}: index has no manifests array`);
  const manifests = body.manifests.map((m, i) => parseDescriptor(m, `${where} manifests[${i}]`));
  return { mediaType, manifests };
}

/** Parses an image manifest and checks that critter can unpack every layer in it. */
export function parseManifest(raw: Uint8Array, mediaType: string, digest: string, where: string): ImageManifest {
  const body = parseJson(raw, where);
  if (body.schemaVersion === 1) throw failedPrecondition(`${where}: ${SCHEMA1_MESSAGE}`);
  if (body.schemaVersion !== 2) throw failedPrecondition(`${where}: manifest schemaVersion must be 2`);
  if (!Array.isArray(body.layers)) throw failedPrecondition(`${where}: manifest has no layers array`);
  const config = parseDescriptor(body.config, `${where} config`);
  const layers = body.layers.map((l, i) => parseDescriptor(l, `${where} layers[${i}]`));
  for (const l of layers) {
    if (isNonDistributableLayer(l.mediaType)) {
      throw failedPrecondition(
        `${where}: layer ${l.digest} is a foreign/non-distributable layer (${l.mediaType}), which critter does not fetch`,
      );
    }
    if (layerCompression(l.mediaType) === undefined) {
      throw failedPrecondition(`${where}: layer ${l.digest} has unsupported media type "${l.mediaType}"`);
    }
  }
  const m: ImageManifest = { mediaType, digest, config, layers, raw };
  const annotations = stringMap(body.annotations, where);
  if (annotations !== undefined) m.annotations = annotations;
  return m;
}
