// linux.cgroupsPath. cgroupfs takes a path below the pod's cgroup; systemd takes
// "slice:prefix:name", runc's and crun's form for a transient scope in the pod's slice.
import { posix } from 'node:path';
import type { CgroupDriver } from '../../config/types.js';
import { invalidArgument } from '../../util/errors.js';

export const SYSTEMD_SCOPE_PREFIX = 'critter';

export function cgroupsPathFor(driver: CgroupDriver, parent: string, id: string): string {
  if (driver === 'systemd') {
    // kubelet passes the slice's full path (a.slice/a-b.slice); the runtime wants its name.
    const slice = parent === '' ? 'system.slice' : posix.basename(parent);
    if (!slice.endsWith('.slice')) {
      throw invalidArgument(`cgroup parent ${JSON.stringify(parent)} is not a systemd slice, but the cgroup driver is systemd`);
    }
    return `${slice}:${SYSTEMD_SCOPE_PREFIX}:${id}`;
  }
  if (posix.basename(parent).endsWith('.slice')) {
    throw invalidArgument(`cgroup parent ${JSON.stringify(parent)} is a systemd slice, but the cgroup driver is cgroupfs`);
  }
  return posix.join('/', parent, id);
}
