// Ids and request digests shared by sandboxes and containers.
import { createHash, randomBytes } from 'node:crypto';

/** 64 hex digits, as containerd and CRI-O make them. */
export const newObjectId = (): string => randomBytes(32).toString('hex');

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/**
 * A digest of a request that is the same whatever order its maps arrived in: it tells a
 * kubelet retry (identical request) from a conflicting one under the same name.
 */
export function canonicalDigest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex');
}
