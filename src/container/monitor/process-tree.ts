// Host processes below a pid, read from /proc: for killing a whole exec'd command on timeout.
import { readdirSync, readFileSync } from 'node:fs';

/** Parent pid from /proc/<pid>/stat; the comm field may hold spaces and parens, so parse after the last ')'. */
function parentOf(pid: string): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[1]);
  } catch {
    return undefined;
  }
}

/** `root` and all its descendants that are alive now. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const ppid = parentOf(name);
    if (ppid === undefined) continue;
    const list = children.get(ppid);
    if (list) list.push(Number(name));
    else children.set(ppid, [Number(name)]);
  }
  const out: number[] = [];
  const queue = [root];
  const seen = new Set<number>();
  while (queue.length > 0) {
    const p = queue.shift()!;
    if (seen.has(p)) continue;
    seen.add(p);
    out.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return out;
}

/** SIGKILLs `root` and its descendants; returns how many were signalled. */
export function killTree(root: number): number {
  let n = 0;
  // Snapshot first: once a parent dies its children are reparented and the links are lost.
  for (const pid of processTree(root)) {
    try {
      process.kill(pid, 'SIGKILL');
      n++;
    } catch {
      // Gone already.
    }
  }
  return n;
}
