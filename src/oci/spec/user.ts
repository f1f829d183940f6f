// The container's uid, gid and supplementary groups from the security context or the image's
// User, resolved through the rootfs's /etc/passwd and /etc/group (src/oci/user).
import { SupplementalGroupsPolicy, type LinuxContainerSecurityContext } from '../../gen/runtime/v1/api_pb.js';
import { invalidArgument } from '../../util/errors.js';
import { MAX_ID } from '../user/passwd.js';
import { memberGids, resolveUserString, type RootfsUserDb } from '../user/resolve.js';

export interface ContainerUser {
  uid: number;
  gid: number;
  /** Sorted, without duplicates, always holding the primary gid. */
  additionalGids: number[];
  /** From the image's passwd entry, for HOME. */
  home?: string;
}

const id = (v: bigint, what: string): number => {
  if (v < 0n || v > BigInt(MAX_ID)) throw invalidArgument(`${what} ${v} is out of range 0..${MAX_ID}`);
  return Number(v);
};

/**
 * The user string the security context asks for ("" when it asks nothing): run_as_username
 * wins over run_as_user; run_as_group alone names no user and is refused.
 */
export function requestedUserString(sc: LinuxContainerSecurityContext | undefined): string {
  if (!sc) return '';
  let user = '';
  if (sc.runAsUser) user = String(id(sc.runAsUser.value, 'run_as_user'));
  if (sc.runAsUsername) user = sc.runAsUsername;
  const group = sc.runAsGroup ? String(id(sc.runAsGroup.value, 'run_as_group')) : '';
  if (user === '') {
    if (group !== '') throw invalidArgument(`run_as_group ${group} is set without run_as_user or run_as_username`);
    return '';
  }
  return group === '' ? user : `${user}:${group}`;
}

export function resolveContainerUser(
  db: RootfsUserDb,
  sc: LinuxContainerSecurityContext | undefined,
  imageUser: string | undefined,
): ContainerUser {
  const userstr = requestedUserString(sc) || imageUser || '0';
  const resolved = resolveUserString(db, userstr);
  const gids = new Set<number>([resolved.gid]);
  const policy = sc?.supplementalGroupsPolicy ?? SupplementalGroupsPolicy.Merge;
  if (policy === SupplementalGroupsPolicy.Merge) {
    // Membership is by name: a uid the image does not know is in no image group.
    const name = resolved.entry?.name;
    if (name !== undefined) for (const g of memberGids(db, name)) gids.add(g);
  } else if (policy !== SupplementalGroupsPolicy.Strict) {
    throw invalidArgument(`unknown supplemental_groups_policy ${String(policy)}`);
  }
  for (const g of sc?.supplementalGroups ?? []) gids.add(id(g, 'supplemental group'));
  return {
    uid: resolved.uid,
    gid: resolved.gid,
    additionalGids: [...gids].sort((a, b) => a - b),
    home: resolved.entry?.home || undefined,
  };
}
