// Which image a user-supplied string names, the way containerd's CRI resolves it locally:
// a full "sha256:<hex>" is an id; otherwise the string is tried as a reference (tag or
// digest, normalised: "busybox" is "docker.io/library/busybox:latest"); failing that, as an
// id or unique id prefix ("3f57d9401f8d", "sha256:3f57"). A prefix matching several images is
// refused rather than guessed.
import { invalidArgument } from '../../util/errors.js';
import { isImageIdLike, parseReference } from '../reference.js';
import type { ImageRecord } from './record.js';

const FULL_ID = /^sha256:[0-9a-f]{64}$/;
const BARE_ID = /^[0-9a-f]{64}$/;

export type Lookup =
  | { kind: 'id'; id: string }
  | { kind: 'tag'; ref: string }
  | { kind: 'digest'; ref: string };

/** The ways `input` may name an image, most specific first. Never throws. */
export function lookupKeys(input: string): Lookup[] {
  if (FULL_ID.test(input)) return [{ kind: 'id', id: input }];
  if (BARE_ID.test(input)) return [{ kind: 'id', id: `sha256:${input}` }];
  const keys: Lookup[] = [];
  try {
    const ref = parseReference(input);
    keys.push(ref.digest !== undefined ? { kind: 'digest', ref: `${ref.name}@${ref.digest}` } : { kind: 'tag', ref: ref.canonical });
  } catch {
    // Not a reference; it may still be an id prefix.
  }
  return keys;
}

/** Finds the record `input` names among `records`; undefined when none does. */
export function findImage(records: Iterable<ImageRecord>, input: string): ImageRecord | undefined {
  const all = [...records];
  for (const key of lookupKeys(input)) {
    const hit = all.find((r) =>
      key.kind === 'id' ? r.id === key.id : key.kind === 'tag' ? r.repoTags.includes(key.ref) : r.repoDigests.includes(key.ref),
    );
    if (hit) return hit;
  }
  if (FULL_ID.test(input) || BARE_ID.test(input) || !isImageIdLike(input)) return undefined;
  const prefix = input.startsWith('sha256:') ? input : `sha256:${input}`;
  const matches = all.filter((r) => r.id.startsWith(prefix));
  if (matches.length > 1) {
    throw invalidArgument(`image id prefix "${input}" is ambiguous: it matches ${matches.length} images (${matches.map((m) => m.id.slice(7, 19)).join(', ')})`);
  }
  return matches[0];
}
