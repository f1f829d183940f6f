// Resource usage as critter reports it (ContainerStats, PodSandboxStats), in domain terms: plain
// bigints and nanosecond timestamps, no gRPC types. Absent parts are unknown, not zero.

/** One reading of a cgroup (v1 or v2), before any rate is derived from it. */
export interface CgroupSample {
  /** CPU time used by every task of the cgroup and its descendants, in nanoseconds. */
  cpuUsageNs?: bigint;
  memory?: {
    usageBytes: bigint;
    /** Usage minus the inactive file cache (never below zero): what the kubelet evicts on. */
    workingSetBytes: bigint;
    /** The limit minus the working set; absent without a limit. */
    availableBytes?: bigint;
    rssBytes: bigint;
    pageFaults: bigint;
    majorPageFaults: bigint;
  };
  swap?: {
    usageBytes: bigint;
    /** Absent without a swap limit. */
    availableBytes?: bigint;
  };
  /** pids.current: tasks (threads included) in the cgroup and below. */
  pids?: bigint;
}

export interface CpuStats {
  timestampNs: bigint;
  usageCoreNanoSeconds: bigint;
  /** From the previous sample of the same object; absent on the first one. */
  usageNanoCores?: bigint;
}

export interface MemoryStats {
  timestampNs: bigint;
  workingSetBytes: bigint;
  availableBytes?: bigint;
  usageBytes: bigint;
  rssBytes: bigint;
  pageFaults: bigint;
  majorPageFaults: bigint;
}

export interface SwapStats {
  timestampNs: bigint;
  usageBytes: bigint;
  availableBytes?: bigint;
}

export interface FilesystemStats {
  timestampNs: bigint;
  /** Where the layer lives (the snapshotter's folder). */
  mountpoint: string;
  usedBytes: bigint;
  inodesUsed: bigint;
}

export interface InterfaceStats {
  name: string;
  rxBytes: bigint;
  rxErrors: bigint;
  txBytes: bigint;
  txErrors: bigint;
}

export interface NetworkStats {
  timestampNs: bigint;
  /** eth0 when the pod has one (the kubelet's default), else the first non-loopback interface. */
  defaultInterface?: InterfaceStats;
  /** Every non-loopback interface of the pod's network namespace. */
  interfaces: InterfaceStats[];
}

export interface ContainerStatsView {
  id: string;
  metadata: { name: string; attempt: number };
  labels: Record<string, string>;
  annotations: Record<string, string>;
  cpu?: CpuStats;
  memory?: MemoryStats;
  swap?: SwapStats;
  writableLayer?: FilesystemStats;
}

export interface PodStatsView {
  id: string;
  metadata: { name: string; namespace: string; uid: string; attempt: number };
  labels: Record<string, string>;
  annotations: Record<string, string>;
  cpu?: CpuStats;
  memory?: MemoryStats;
  swap?: SwapStats;
  network?: NetworkStats;
  process?: { timestampNs: bigint; processCount: bigint };
  containers: ContainerStatsView[];
}
