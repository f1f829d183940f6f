// Process memory for the benchmarks: RSS, PSS and USS (private clean + dirty) of a pid from
// /proc/<pid>/smaps_rollup, and the processes of a given name whose command line names a
// directory (how a private daemon's monitors are told apart from everyone else's).
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcMem {
  pid: number;
  /** kB */
  rss: number;
  /** kB: shared pages divided among the processes mapping them. */
  pss: number;
  /** kB: Private_Clean + Private_Dirty, what would be freed if the process went away. */
  uss: number;
}

export function procMem(pid: number): ProcMem | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(text)?.[1] ?? NaN);
  return { pid, rss: kb('Rss'), pss: kb('Pss'), uss: kb('Private_Clean') + kb('Private_Dirty') };
}

export interface ProcInfo {
  pid: number;
  comm: string;
  cmdline: string;
}

export function listProcs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const comm = readFileSync(`/proc/${name}/comm`, 'utf8').trim();
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      out.push({ pid: Number(name), comm, cmdline });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** Processes named `comm` (as /proc/<pid>/comm has it, 15 characters at most) whose command line contains `dir`. */
export function procsNamed(comm: string, dir: string): ProcInfo[] {
  return listProcs().filter((p) => p.comm === comm && p.cmdline.includes(dir));
}

export interface MemSummary {
  count: number;
  /** Averages per process, kB. */
  rss: number;
  pss: number;
  uss: number;
  /** Sums, kB. */
  totalPss: number;
  totalRss: number;
}

export function summarise(mems: ProcMem[]): MemSummary {
  const sum = (f: (m: ProcMem) => number): number => mems.reduce((n, m) => n + f(m), 0);
  const n = mems.length;
  return { count: n, rss: sum((m) => m.rss) / n, pss: sum((m) => m.pss) / n, uss: sum((m) => m.uss) / n, totalPss: sum((m) => m.pss), totalRss: sum((m) => m.rss) };
}
