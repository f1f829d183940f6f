// The container's root filesystem: its writable snapshot mounted at <bundle>/rootfs. The mount
// is on the host (not only in the container's mount namespace) because the spec builder reads
// the image's /etc/passwd through it and the runtime pivots into it.
import { mkdirSync } from 'node:fs';
import type { Snapshotter } from '../image/snapshot/snapshotter.js';
import { mountAt, unmount } from '../image/snapshot/mount.js';
import { isMountPoint } from '../pod/netns/mountinfo.js';

export async function mountRootfs(snapshots: Pick<Snapshotter, 'createActive'>, key: string, parentChainId: string | null, rootfs: string): Promise<void> {
  const snap = await snapshots.createActive(key, parentChainId);
  mkdirSync(rootfs, { recursive: true, mode: 0o755 });
  await mountAt(snap.mount, rootfs);
}

/** Unmounts every mount stacked on rootfs; fine when nothing is mounted there. */
export async function unmountRootfs(rootfs: string): Promise<void> {
  for (let i = 0; i < 8 && isMountPoint(rootfs); i++) {
    try {
      await unmount(rootfs);
    } catch (e) {
      // Busy (a process still has its cwd there): detach it now, the kernel frees it later.
      if (!isMountPoint(rootfs)) return;
      await unmount(rootfs, { lazy: true }).catch(() => {
        throw e;
      });
    }
  }
}
