// What critter remembers about a pulled image, one JSON object per image in images.json.

export interface ImageRecord {
  /** The config digest, "sha256:<hex>": the image id the kubelet sees. */
  id: string;
  /** Normalised "docker.io/library/busybox:latest"; a tag names at most one image. */
  repoTags: string[];
  /** "docker.io/library/busybox@sha256:…" of the manifest or index each pull resolved. */
  repoDigests: string[];
  /**
   * Compressed bytes, as containerd reports: the resolved manifest or index, the platform
   * manifest (when an index was pulled), the config and every layer blob.
   */
  size: number;
  /** Chain id of the top layer; null for an image without layers. */
  chainId: string | null;
  /** config.User, kept here so listing never reads configs. */
  user: string;
  /** Every content-store blob this image holds (GC keeps these). */
  blobs: string[];
  /** ISO time of the last pull that touched this record. */
  pulledAt: string;
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** Checks one stored record; undefined for anything not shaped like an ImageRecord. */
export function asImageRecord(v: unknown): ImageRecord | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  if (typeof r.id !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(r.id)) return undefined;
  if (!isStringArray(r.repoTags) || !isStringArray(r.repoDigests) || !isStringArray(r.blobs)) return undefined;
  if (typeof r.size !== 'number' || typeof r.user !== 'string' || typeof r.pulledAt !== 'string') return undefined;
  if (r.chainId !== null && typeof r.chainId !== 'string') return undefined;
  return {
    id: r.id,
    repoTags: r.repoTags,
    repoDigests: r.repoDigests,
    size: r.size,
    chainId: r.chainId,
    user: r.user,
    blobs: r.blobs,
    pulledAt: r.pulledAt,
  };
}
