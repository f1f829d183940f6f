// Between the stats domain types and the CRI's ContainerStats / PodSandboxStats messages.
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ContainerStatsFilter, ContainerStatsSchema, PodSandboxStatsFilter, PodSandboxStatsSchema } from '../../gen/runtime/v1/api_pb.js';
import type { ContainerFilter } from '../../container/types.js';
import type { SandboxFilter } from '../../pod/sandbox/types.js';
import type { ContainerStatsView, CpuStats, InterfaceStats, MemoryStats, PodStatsView, SwapStats } from '../../stats/types.js';

type ContainerStatsInit = Exclude<MessageInitShape<typeof ContainerStatsSchema>, { $typeName: string }>;
type PodSandboxStatsInit = Exclude<MessageInitShape<typeof PodSandboxStatsSchema>, { $typeName: string }>;

const u64 = (value: bigint) => ({ value });
const opt = (value: bigint | undefined) => (value === undefined ? undefined : { value });

function cpu(c: CpuStats | undefined) {
  return c && { timestamp: c.timestampNs, usageCoreNanoSeconds: u64(c.usageCoreNanoSeconds), usageNanoCores: opt(c.usageNanoCores) };
}

function memory(m: MemoryStats | undefined) {
  return (
    m && {
      timestamp: m.timestampNs,
      workingSetBytes: u64(m.workingSetBytes),
      availableBytes: opt(m.availableBytes),
      usageBytes: u64(m.usageBytes),
      rssBytes: u64(m.rssBytes),
      pageFaults: u64(m.pageFaults),
      majorPageFaults: u64(m.majorPageFaults),
    }
  );
}

function swap(s: SwapStats | undefined) {
  return s && { timestamp: s.timestampNs, swapUsageBytes: u64(s.usageBytes), swapAvailableBytes: opt(s.availableBytes) };
}

const iface = (i: InterfaceStats) => ({ name: i.name, rxBytes: u64(i.rxBytes), rxErrors: u64(i.rxErrors), txBytes: u64(i.txBytes), txErrors: u64(i.txErrors) });

export function toContainerStats(s: ContainerStatsView): ContainerStatsInit {
  const w = s.writableLayer;
  return {
    attributes: { id: s.id, metadata: { ...s.metadata }, labels: { ...s.labels }, annotations: { ...s.annotations } },
    cpu: cpu(s.cpu),
    memory: memory(s.memory),
    swap: swap(s.swap),
    writableLayer: w && { timestamp: w.timestampNs, fsId: { mountpoint: w.mountpoint }, usedBytes: u64(w.usedBytes), inodesUsed: u64(w.inodesUsed) },
  };
}

export function toPodSandboxStats(p: PodStatsView): PodSandboxStatsInit {
  const n = p.network;
  return {
    attributes: { id: p.id, metadata: { ...p.metadata }, labels: { ...p.labels }, annotations: { ...p.annotations } },
    linux: {
      cpu: cpu(p.cpu),
      memory: memory(p.memory),
      network: n && { timestamp: n.timestampNs, defaultInterface: n.defaultInterface && iface(n.defaultInterface), interfaces: n.interfaces.map(iface) },
      process: p.process && { timestamp: p.process.timestampNs, processCount: u64(p.process.processCount) },
      containers: p.containers.map(toContainerStats),
    },
  };
}

export function toContainerStatsFilter(f: ContainerStatsFilter | undefined): ContainerFilter {
  if (!f) return {};
  return {
    ...(f.id !== '' ? { id: f.id } : {}),
    ...(f.podSandboxId !== '' ? { sandboxId: f.podSandboxId } : {}),
    labels: { ...f.labelSelector },
  };
}

export function toPodSandboxStatsFilter(f: PodSandboxStatsFilter | undefined): SandboxFilter {
  if (!f) return {};
  return { ...(f.id !== '' ? { id: f.id } : {}), labels: { ...f.labelSelector } };
}
