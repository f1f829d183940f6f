// Sandbox names and request digests.
import { canonicalDigest } from '../../store/object-id.js';
import type { PodMetadata } from './types.js';

/** The reserved name, unique per pod attempt: `<name>_<namespace>_<uid>_<attempt>`. */
export const sandboxName = (m: PodMetadata): string => `${m.name}_${m.namespace}_${m.uid}_${m.attempt}`;

/** The same config and handler give the same digest, whatever order maps arrived in. */
export function requestDigest(config: unknown, handler: string): string {
  return canonicalDigest({ config, handler });
}
