// Probing the host facts buildSpec takes as input, once at daemon start.
import { existsSync, readFileSync, statfsSync } from 'node:fs';
import { capabilitiesOfMask } from './capabilities.js';
import type { HostInfo } from './input.js';

const CGROUP2_SUPER_MAGIC = 0x63677270;

export function probeHost(cgroupRoot = '/sys/fs/cgroup'): HostInfo {
  const v2 = statfsSync(cgroupRoot).type === CGROUP2_SUPER_MAGIC;
  return {
    cgroupVersion: v2 ? 2 : 1,
    swapAvailable: v2 ? hasSwapFileV2(cgroupRoot) : existsSync(`${cgroupRoot}/memory/memory.memsw.limit_in_bytes`),
    hugetlbAvailable: v2 ? readControllers(cgroupRoot).includes('hugetlb') : existsSync(`${cgroupRoot}/hugetlb`),
    capLastCap: Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim()),
    boundingCapabilities: ownBoundingSet(),
  };
}

/** critterd's CapBnd: inside a restricted host (a container, some VMs) it lacks some capabilities. */
function ownBoundingSet(): string[] | undefined {
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? capabilitiesOfMask(m[1]!) : undefined;
}

const readControllers = (root: string): string[] => {
  try {
    return readFileSync(`${root}/cgroup.controllers`, 'utf8').trim().split(/\s+/);
  } catch {
    return [];
  }
};

// The root cgroup has no memory.swap.max; our own cgroup does when swap accounting is on.
function hasSwapFileV2(root: string): boolean {
  try {
    const line = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.startsWith('0::'));
    return line !== undefined && existsSync(`${root}${line.slice(3)}/memory.swap.max`);
  } catch {
    return false;
  }
}

/** critterd's own oom_score_adj, the floor for every container's. */
export function readOwnOomScoreAdj(): number {
  return Number(readFileSync('/proc/self/oom_score_adj', 'utf8').trim());
}
