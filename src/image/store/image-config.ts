// The parts of an OCI image config critter relies on, checked as it comes off the wire: the
// config blob is untrusted JSON, and its diff ids decide where layers are unpacked.
import { failedPrecondition } from '../../util/errors.js';
import { isDigest } from '../content/digest.js';

export interface ImageConfig {
  /** config.User as written: "1000", "critter", "1000:1001", or "". */
  user: string;
  /** rootfs.diff_ids, bottom layer first. */
  diffIds: string[];
  /** The whole document, for ImageStatus' verbose info and for container creation. */
  raw: Record<string, unknown>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseImageConfig(bytes: Uint8Array, where: string): ImageConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw failedPrecondition(`${where}: image config is not valid JSON`, e);
  }
  if (!isRecord(doc)) throw failedPrecondition(`${where}: image config is not a JSON object`);
  const rootfs = doc.rootfs;
  if (!isRecord(rootfs) || !Array.isArray(rootfs.diff_ids)) throw failedPrecondition(`${where}: image config has no rootfs.diff_ids`);
  const diffIds: string[] = [];
  for (const d of rootfs.diff_ids) {
    if (typeof d !== 'string' || !isDigest(d)) throw failedPrecondition(`${where}: image config has a malformed diff id ${JSON.stringify(d)}`);
    diffIds.push(d);
  }
  const cfg = doc.config;
  const user = isRecord(cfg) && typeof cfg.User === 'string' ? cfg.User : '';
  return { user, diffIds, raw: doc };
}

/**
 * The user part of config.User, as containerd reports it: a numeric uid, else a name.
 * "1000:1001" -> uid 1000; "critter:wheel" -> username "critter"; "" -> neither.
 */
export function imageUser(user: string): { uid?: bigint; username: string } {
  if (user === '') return { username: '' };
  const name = user.split(':')[0] ?? '';
  if (/^-?\d+$/.test(name)) {
    const uid = BigInt(name);
    // Int64 range, as strconv.ParseInt(…, 10, 64) accepts.
    if (uid >= -(2n ** 63n) && uid < 2n ** 63n) return { uid, username: '' };
  }
  return { username: name };
}
