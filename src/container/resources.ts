// Container resources three ways: the CRI's LinuxContainerResources (what the kubelet sends),
// ContainerResources (plain numbers, persisted and reported back in ContainerStatus), and the
// OCI linux.resources the runtime applies. As in the CRI, 0 and '' mean "not set": an update
// changes only what it sets, the rest stays as it was.
import type { LinuxContainerResources } from '../gen/runtime/v1/api_pb.js';
import type { LinuxResources } from '../oci/resources.js';
import type { HostInfo, OciLinuxResources } from '../oci/spec/index.js';
import { buildResources } from '../oci/spec/resources.js';
import { invalidArgument } from '../util/errors.js';
import type { ContainerResources } from './types.js';

export const NO_RESOURCES: ContainerResources = {
  cpuPeriod: 0,
  cpuQuota: 0,
  cpuShares: 0,
  memoryLimitInBytes: 0,
  oomScoreAdj: 0,
  cpusetCpus: '',
  cpusetMems: '',
  hugepageLimits: [],
  unified: {},
  memorySwapLimitInBytes: 0,
};

function n(v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw invalidArgument(`${what} ${v} is out of range`);
  return Number(v);
}

export function fromCri(r: LinuxContainerResources | undefined): ContainerResources {
  if (!r) return { ...NO_RESOURCES, hugepageLimits: [], unified: {} };
  return {
    cpuPeriod: n(r.cpuPeriod, 'cpu_period'),
    cpuQuota: n(r.cpuQuota, 'cpu_quota'),
    cpuShares: n(r.cpuShares, 'cpu_shares'),
    memoryLimitInBytes: n(r.memoryLimitInBytes, 'memory_limit_in_bytes'),
    oomScoreAdj: n(r.oomScoreAdj, 'oom_score_adj'),
    cpusetCpus: r.cpusetCpus,
    cpusetMems: r.cpusetMems,
    hugepageLimits: r.hugepageLimits.map((h) => ({ pageSize: h.pageSize, limit: n(h.limit, `hugepage limit for ${h.pageSize}`) })),
    unified: { ...r.unified },
    memorySwapLimitInBytes: n(r.memorySwapLimitInBytes, 'memory_swap_limit_in_bytes'),
  };
}

/** `next` over `prev`: what next leaves unset keeps its old value. */
export function mergeResources(prev: ContainerResources, next: ContainerResources): ContainerResources {
  const pick = <T>(a: T, b: T, unset: T): T => (b === unset ? a : b);
  return {
    cpuPeriod: pick(prev.cpuPeriod, next.cpuPeriod, 0),
    cpuQuota: pick(prev.cpuQuota, next.cpuQuota, 0),
    cpuShares: pick(prev.cpuShares, next.cpuShares, 0),
    memoryLimitInBytes: pick(prev.memoryLimitInBytes, next.memoryLimitInBytes, 0),
    // oom_score_adj is fixed at start: the runtimes cannot change it on a live container.
    oomScoreAdj: prev.oomScoreAdj,
    cpusetCpus: pick(prev.cpusetCpus, next.cpusetCpus, ''),
    cpusetMems: pick(prev.cpusetMems, next.cpusetMems, ''),
    hugepageLimits: next.hugepageLimits.length > 0 ? next.hugepageLimits : prev.hugepageLimits,
    unified: { ...prev.unified, ...next.unified },
    memorySwapLimitInBytes: pick(prev.memorySwapLimitInBytes, next.memorySwapLimitInBytes, 0),
  };
}

/** The OCI resources an update applies: only what the request sets. */
export function ociUpdate(r: LinuxContainerResources, host: HostInfo, warnings: string[]): LinuxResources {
  return buildResources(r, host, warnings);
}

/** The spec's linux.resources with `update` laid over it (device rules are kept). */
export function applyToSpec(current: OciLinuxResources, update: LinuxResources): OciLinuxResources {
  const out: OciLinuxResources = { ...current };
  if (update.cpu) out.cpu = { ...current.cpu, ...update.cpu };
  if (update.memory) out.memory = { ...current.memory, ...update.memory };
  if (update.hugepageLimits) out.hugepageLimits = update.hugepageLimits;
  if (update.unified) out.unified = { ...current.unified, ...update.unified };
  return out;
}
