// linux.resources and process.oomScoreAdj from LinuxContainerResources, as containerd's
// WithResources/WithOOMScoreAdj: zero means unset, swap is pinned to the memory limit when the
// request leaves it 0 (no swapping by default), `unified` exists only on cgroup v2.
import type { LinuxContainerResources } from '../../gen/runtime/v1/api_pb.js';
import { invalidArgument } from '../../util/errors.js';
import type { LinuxCpu, LinuxMemory } from '../resources.js';
import type { HostInfo } from './input.js';
import type { OciLinuxResources } from './types.js';

/** A bigint that JSON can carry exactly. */
function num(v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw invalidArgument(`${what} ${v} is out of range`);
  return Number(v);
}

const HUGEPAGE_SIZE = /^\d+(KB|MB|GB|TB|PB)$/;

export function buildResources(
  r: LinuxContainerResources | undefined,
  host: HostInfo,
  warnings: string[],
): Omit<OciLinuxResources, 'devices'> {
  if (!r) return {};
  const out: Omit<OciLinuxResources, 'devices'> = {};

  const cpu: LinuxCpu = {};
  if (r.cpuShares < 0n || r.cpuPeriod < 0n) throw invalidArgument('cpu_shares and cpu_period must not be negative');
  if (r.cpuShares !== 0n) cpu.shares = num(r.cpuShares, 'cpu_shares');
  if (r.cpuQuota !== 0n) cpu.quota = num(r.cpuQuota, 'cpu_quota');
  if (r.cpuPeriod !== 0n) cpu.period = num(r.cpuPeriod, 'cpu_period');
  if (r.cpusetCpus !== '') cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems !== '') cpu.mems = r.cpusetMems;
  if (Object.keys(cpu).length > 0) out.cpu = cpu;

  const memory: LinuxMemory = {};
  if (r.memoryLimitInBytes < 0n) throw invalidArgument('memory_limit_in_bytes must not be negative');
  if (r.memoryLimitInBytes !== 0n) {
    memory.limit = num(r.memoryLimitInBytes, 'memory_limit_in_bytes');
    if (r.memorySwapLimitInBytes === 0n && host.swapAvailable) memory.swap = memory.limit;
  }
  if (r.memorySwapLimitInBytes !== 0n) {
    if (host.swapAvailable) memory.swap = num(r.memorySwapLimitInBytes, 'memory_swap_limit_in_bytes');
    else warnings.push('memory_swap_limit_in_bytes is ignored: this host has no swap accounting');
  }
  if (Object.keys(memory).length > 0) out.memory = memory;

  if (r.hugepageLimits.length > 0) {
    if (!host.hugetlbAvailable) warnings.push('hugepage limits are ignored: the hugetlb cgroup controller is missing');
    else {
      out.hugepageLimits = r.hugepageLimits.map((h) => {
        if (!HUGEPAGE_SIZE.test(h.pageSize)) throw invalidArgument(`hugepage page_size ${JSON.stringify(h.pageSize)} is not like "2MB"`);
        return { pageSize: h.pageSize, limit: num(h.limit, `hugepage limit for ${h.pageSize}`) };
      });
    }
  }

  const unified = Object.entries(r.unified);
  if (unified.length > 0) {
    if (host.cgroupVersion !== 2) throw invalidArgument('unified cgroup resources need cgroup v2, and this host runs cgroup v1');
    out.unified = Object.fromEntries(unified);
  }
  return out;
}

/**
 * The requested oom_score_adj, never below critterd's own: a container must not be harder for
 * the OOM killer to pick than the runtime that manages it.
 */
export function oomScoreAdj(r: LinuxContainerResources | undefined, own: number): number {
  const want = r ? num(r.oomScoreAdj, 'oom_score_adj') : 0;
  if (want < -1000 || want > 1000) throw invalidArgument(`oom_score_adj ${want} is outside -1000..1000`);
  return Math.max(want, own);
}
