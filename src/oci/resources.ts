// The OCI runtime spec's linux.resources, as the runtimes take it on `update --resources`.
// Only the fields critter sets are typed; the runtimes ignore what is absent.

export interface LinuxMemory {
  limit?: number;
  reservation?: number;
  swap?: number;
  kernel?: number;
  kernelTCP?: number;
  swappiness?: number;
  disableOOMKiller?: boolean;
}

export interface LinuxCpu {
  shares?: number;
  quota?: number;
  period?: number;
  realtimeRuntime?: number;
  realtimePeriod?: number;
  cpus?: string;
  mems?: string;
}

export interface LinuxHugepageLimit {
  pageSize: string;
  limit: number;
}

export interface LinuxResources {
  memory?: LinuxMemory;
  cpu?: LinuxCpu;
  pids?: { limit: number };
  hugepageLimits?: LinuxHugepageLimit[];
  /** cgroup v2 key/value pairs. */
  unified?: Record<string, string>;
}
