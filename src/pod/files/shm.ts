// The pod's /dev/shm: a tmpfs of its own, shared by its containers and sized like containerd's
// and Docker's default (64 MiB), since the CRI has no field for it. Host-IPC pods use the
// node's /dev/shm instead.
import { mkdirSync } from 'node:fs';
import { internal } from '../../util/errors.js';
import { isMountPoint } from '../netns/mountinfo.js';
import { describeFailure, runProgram } from '../../util/run-program.js';

export const DEFAULT_SHM_BYTES = 64 * 1024 * 1024;

export async function mountShm(path: string, sizeBytes = DEFAULT_SHM_BYTES): Promise<void> {
  mkdirSync(path, { recursive: true, mode: 0o755 });
  if (isMountPoint(path)) return;
  const opts = `nosuid,nodev,noexec,mode=1777,size=${sizeBytes}`;
  const r = await runProgram('mount', ['-t', 'tmpfs', '-o', opts, 'shm', path]);
  if (r.code !== 0) throw internal(`cannot mount the pod's shm at ${path}: ${describeFailure(r)}`);
}

/** Unmounts every mount stacked on path; a path that is not mounted is fine. */
export async function unmountShm(path: string): Promise<void> {
  while (isMountPoint(path)) {
    const r = await runProgram('umount', [path]);
    if (r.code !== 0 && isMountPoint(path)) throw internal(`cannot unmount the pod's shm at ${path}: ${describeFailure(r)}`);
  }
}
