// Turns a user string ("uid", "name", "uid:gid", "name:group", any mix) into ids through the
// rootfs's own /etc/passwd and /etc/group, the way containerd's WithUser and WithAdditionalGIDs
// do: a name must exist in the image; a bare numeric uid the image does not know runs with gid 0.
import { invalidArgument } from '../../util/errors.js';
import { parseGroup, parseId, parsePasswd, type GroupEntry, type PasswdEntry } from './passwd.js';
import { readRootfsFile } from './rootfs-file.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  /** The passwd entry the uid resolved to, when the image has one. */
  entry?: PasswdEntry;
}

/** The rootfs's passwd and group databases, each read at most once. */
export class RootfsUserDb {
  private passwdCache?: PasswdEntry[];
  private groupCache?: GroupEntry[];

  constructor(private readonly rootfs: string) {}

  passwd(): PasswdEntry[] {
    this.passwdCache ??= parsePasswd(readRootfsFile(this.rootfs, '/etc/passwd') ?? '');
    return this.passwdCache;
  }

  group(): GroupEntry[] {
    this.groupCache ??= parseGroup(readRootfsFile(this.rootfs, '/etc/group') ?? '');
    return this.groupCache;
  }

  userByName(name: string): PasswdEntry | undefined {
    return this.passwd().find((e) => e.name === name);
  }

  userById(uid: number): PasswdEntry | undefined {
    return this.passwd().find((e) => e.uid === uid);
  }

  groupByName(name: string): GroupEntry | undefined {
    return this.group().find((g) => g.name === name);
  }
}

/** Resolves "user[:group]" against the rootfs. */
export function resolveUserString(db: RootfsUserDb, userstr: string): ResolvedUser {
  const parts = userstr.split(':');
  if (parts.length > 2 || parts.some((p) => p === '')) throw invalidArgument(`invalid user ${JSON.stringify(userstr)}`);
  const [userPart, groupPart] = parts as [string, string | undefined];

  let uid: number;
  let entry: PasswdEntry | undefined;
  const numericUid = parseId(userPart);
  if (numericUid !== undefined) {
    uid = numericUid;
    entry = db.userById(uid);
  } else {
    if (/^\d+$/.test(userPart)) throw invalidArgument(`uid ${userPart} is out of range`);
    entry = db.userByName(userPart);
    if (!entry) throw invalidArgument(`user ${JSON.stringify(userPart)} is not in the image's /etc/passwd`);
    uid = entry.uid;
  }

  let gid: number;
  if (groupPart === undefined) {
    // An unknown numeric uid has no primary group to take: root's group, as runc and containerd.
    gid = entry?.gid ?? 0;
  } else {
    const numericGid = parseId(groupPart);
    if (numericGid !== undefined) gid = numericGid;
    else {
      if (/^\d+$/.test(groupPart)) throw invalidArgument(`gid ${groupPart} is out of range`);
      const g = db.groupByName(groupPart);
      if (!g) throw invalidArgument(`group ${JSON.stringify(groupPart)} is not in the image's /etc/group`);
      gid = g.gid;
    }
  }
  return { uid, gid, entry };
}

/**
 * The gids of the groups in /etc/group that list the user as a member (the Merge policy's
 * image-defined groups). The group named like the user is its own, not a supplementary one.
 */
export function memberGids(db: RootfsUserDb, username: string): number[] {
  return db
    .group()
    .filter((g) => g.name !== username && g.members.includes(username))
    .map((g) => g.gid);
}
