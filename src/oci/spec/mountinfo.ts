// Which host mount a path lives on, and its propagation, from /proc/self/mountinfo
// (proc(5)): needed to refuse propagation modes the host mount cannot give.

export interface MountInfoEntry {
  mountPoint: string;
  /** Optional fields: "shared:N", "master:N", "propagate_from:N", "unbindable". */
  optional: string[];
}

// Mount points are written with octal escapes for space, tab, newline and backslash.
const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function parseMountInfo(text: string): MountInfoEntry[] {
  const out: MountInfoEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (f.length < 7 || sep < 6) continue;
    out.push({ mountPoint: unescape(f[4] ?? ''), optional: f.slice(6, sep).filter(Boolean) });
  }
  return out;
}

/** The mount `path` (absolute, symlinks resolved) is on: the longest mount point above it, the last one mounted when stacked. */
export function mountOf(entries: MountInfoEntry[], path: string): MountInfoEntry | undefined {
  let best: MountInfoEntry | undefined;
  for (const e of entries) {
    const mp = e.mountPoint;
    const under = mp === '/' || path === mp || path.startsWith(`${mp}/`);
    if (under && (!best || mp.length >= best.mountPoint.length)) best = e;
  }
  return best;
}

export const isShared = (e: MountInfoEntry): boolean => e.optional.some((o) => o.startsWith('shared:'));
export const isSlave = (e: MountInfoEntry): boolean => e.optional.some((o) => o.startsWith('master:'));
