// Sandbox ids, names and request digests.
import { createHash, randomBytes } from 'node:crypto';
import type { PodMetadata } from './types.js';

/** 64 hex digits, as containerd and CRI-O make them. */
export const newSandboxId = (): string => randomBytes(32).toString('hex');

/** The reserved name, unique per pod attempt: `<name>_<namespace>_<uid>_<attempt>`. */
export const sandboxName = (m: PodMetadata): string => `${m.name}_${m.namespace}_${m.uid}_${m.attempt}`;

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

/** The same config and handler give the same digest, whatever order maps arrived in. */
export function requestDigest(config: unknown, handler: string): string {
  return createHash('sha256').update(JSON.stringify(canonical({ config, handler }))).digest('hex');
}
