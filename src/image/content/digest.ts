// Content digests: only sha256 is accepted, which is what OCI registries and containerd use.
import { invalidArgument } from '../../util/errors.js';

const SHA256_RE = /^sha256:([0-9a-f]{64})$/;

/** The hex part of a sha256 digest; InvalidArgument for anything else (incl. path tricks). */
export function digestHex(digest: string): string {
  const m = SHA256_RE.exec(digest);
  if (!m?.[1]) throw invalidArgument(`unsupported or malformed digest ${JSON.stringify(digest)}: want sha256:<64 lowercase hex>`);
  return m[1];
}

export const isDigest = (s: string): boolean => SHA256_RE.test(s);
