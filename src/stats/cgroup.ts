// Reading a cgroup's usage on either cgroup layout, behind one interface: the unified hierarchy
// (v2: cpu.stat, memory.current, memory.stat, memory.swap.*, pids.current in one folder) or the
// legacy/hybrid one (v1: cpuacct, memory and pids controllers each in their own hierarchy).
// Paths given to read() are cgroup paths ("/kubepods/pod1/<id>"), the same in every hierarchy.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupSample } from './types.js';

export const CGROUP_ROOT = '/sys/fs/cgroup';

export interface CgroupReader {
  readonly version: 1 | 2;
  /** The cgroup's usage; undefined when the cgroup does not exist (anymore). */
  read(path: string): CgroupSample | undefined;
}

/** v1 reports "no limit" as a huge page-aligned number; anything this large is no limit. */
const UNLIMITED_V1 = 1n << 62n;

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function readNumber(file: string): bigint | undefined {
  const t = readText(file)?.trim();
  return t !== undefined && /^\d+$/.test(t) ? BigInt(t) : undefined;
}

/** v2's limits are a number or "max" (no limit): undefined for "max", as for a missing file. */
const readLimitV2 = readNumber;

/** "key value" lines (memory.stat, cpu.stat) as a map; missing file: empty. */
export function readFlatKeyed(file: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const line of (readText(file) ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v && /^\d+$/.test(v)) out.set(k, BigInt(v));
  }
  return out;
}

const minus = (a: bigint, b: bigint): bigint => (a > b ? a - b : 0n);

/** cgroup v2: one hierarchy at root. */
export class CgroupV2Reader implements CgroupReader {
  readonly version = 2;
  constructor(private readonly root: string = CGROUP_ROOT) {}

  read(path: string): CgroupSample | undefined {
    const dir = join(this.root, path);
    if (!existsSync(join(dir, 'cgroup.procs'))) return undefined;
    const sample: CgroupSample = {};
    const usec = readFlatKeyed(join(dir, 'cpu.stat')).get('usage_usec');
    if (usec !== undefined) sample.cpuUsageNs = usec * 1000n;
    const current = readNumber(join(dir, 'memory.current'));
    if (current !== undefined) {
      const stat = readFlatKeyed(join(dir, 'memory.stat'));
      const workingSet = minus(current, stat.get('inactive_file') ?? 0n);
      const limit = readLimitV2(join(dir, 'memory.max'));
      sample.memory = {
        usageBytes: current,
        workingSetBytes: workingSet,
        ...(limit !== undefined ? { availableBytes: minus(limit, workingSet) } : {}),
        rssBytes: stat.get('anon') ?? 0n,
        pageFaults: stat.get('pgfault') ?? 0n,
        majorPageFaults: stat.get('pgmajfault') ?? 0n,
      };
    }
    const swap = readNumber(join(dir, 'memory.swap.current'));
    if (swap !== undefined) {
      const limit = readLimitV2(join(dir, 'memory.swap.max'));
      sample.swap = { usageBytes: swap, ...(limit !== undefined ? { availableBytes: minus(limit, swap) } : {}) };
    }
    const pids = readNumber(join(dir, 'pids.current'));
    if (pids !== undefined) sample.pids = pids;
    return sample;
  }
}

/** Where each v1 controller critter reads is mounted (undefined: not mounted). */
export interface V1Mounts {
  cpuacct?: string;
  memory?: string;
  pids?: string;
}

/** cgroup v1 (legacy, or hybrid with an empty unified hierarchy beside it). */
export class CgroupV1Reader implements CgroupReader {
  readonly version = 1;
  constructor(private readonly mounts: V1Mounts) {}

  read(path: string): CgroupSample | undefined {
    const sample: CgroupSample = {};
    let found = false;
    const { cpuacct, memory, pids } = this.mounts;
    if (cpuacct !== undefined) {
      const ns = readNumber(join(cpuacct, path, 'cpuacct.usage'));
      if (ns !== undefined) {
        sample.cpuUsageNs = ns;
        found = true;
      }
    }
    if (memory !== undefined) {
      const dir = join(memory, path);
      const usage = readNumber(join(dir, 'memory.usage_in_bytes'));
      if (usage !== undefined) {
        found = true;
        // total_*: this cgroup and its descendants (a pod's cgroup holds its containers').
        const stat = readFlatKeyed(join(dir, 'memory.stat'));
        const workingSet = minus(usage, stat.get('total_inactive_file') ?? 0n);
        const limit = readNumber(join(dir, 'memory.limit_in_bytes'));
        sample.memory = {
          usageBytes: usage,
          workingSetBytes: workingSet,
          ...(limit !== undefined && limit < UNLIMITED_V1 ? { availableBytes: minus(limit, workingSet) } : {}),
          rssBytes: stat.get('total_rss') ?? 0n,
          pageFaults: stat.get('total_pgfault') ?? 0n,
          majorPageFaults: stat.get('total_pgmajfault') ?? 0n,
        };
        // memsw counts memory and swap together (only with swap accounting on).
        const memsw = readNumber(join(dir, 'memory.memsw.usage_in_bytes'));
        if (memsw !== undefined) {
          const swLimit = readNumber(join(dir, 'memory.memsw.limit_in_bytes'));
          const swapUsage = minus(memsw, usage);
          sample.swap = {
            usageBytes: swapUsage,
            ...(swLimit !== undefined && swLimit < UNLIMITED_V1 && limit !== undefined && limit < UNLIMITED_V1
              ? { availableBytes: minus(minus(swLimit, limit), swapUsage) }
              : {}),
          };
        }
      }
    }
    if (pids !== undefined) {
      const n = readNumber(join(pids, path, 'pids.current'));
      if (n !== undefined) {
        sample.pids = n;
        found = true;
      }
    }
    return found ? sample : undefined;
  }
}

export type CgroupLayout = { kind: 'unified'; root: string } | { kind: 'legacy'; mounts: V1Mounts; hybrid: boolean };

/**
 * The host's layout: unified when the root is a cgroup2 mount (it has cgroup.controllers),
 * else v1 controllers in folders of their own (hybrid when an empty cgroup2 sits at unified/).
 */
export function detectCgroupLayout(root: string = CGROUP_ROOT): CgroupLayout {
  if (existsSync(join(root, 'cgroup.controllers'))) return { kind: 'unified', root };
  const first = (...names: string[]): string | undefined => names.map((n) => join(root, n)).find((d) => existsSync(d));
  return {
    kind: 'legacy',
    mounts: {
      cpuacct: first('cpuacct', 'cpu,cpuacct', 'cpuacct,cpu'),
      memory: first('memory'),
      pids: first('pids'),
    },
    hybrid: existsSync(join(root, 'unified', 'cgroup.controllers')),
  };
}

export function cgroupReader(layout: CgroupLayout): CgroupReader {
  return layout.kind === 'unified' ? new CgroupV2Reader(layout.root) : new CgroupV1Reader(layout.mounts);
}
