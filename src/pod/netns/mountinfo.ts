// Reading /proc/self/mountinfo: which paths are mount points, and on what filesystem.
import { readFileSync } from 'node:fs';

export interface MountEntry {
  mountPoint: string;
  /** Optional fields such as "shared:12" or "master:3"; empty means private. */
  propagation: string[];
  fsType: string;
  /** The root of the mount within its filesystem; for nsfs, e.g. "net:[4026532177]". */
  root: string;
}

// The kernel escapes space, tab, newline and backslash in paths as \ooo octal.
const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function readMountInfo(): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    if (line === '') continue;
    const [left, right] = line.split(' - ');
    if (left === undefined || right === undefined) continue;
    const f = left.split(' ');
    entries.push({
      root: unescape(f[3] ?? ''),
      mountPoint: unescape(f[4] ?? ''),
      propagation: f.slice(6),
      fsType: right.split(' ')[0] ?? '',
    });
  }
  return entries;
}

/** Every mount stacked on the path, oldest first. */
export function mountsAt(path: string): MountEntry[] {
  return readMountInfo().filter((m) => m.mountPoint === path);
}

export function isMountPoint(path: string): boolean {
  return mountsAt(path).length > 0;
}
