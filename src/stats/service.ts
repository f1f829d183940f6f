// ContainerStats, ListContainerStats, PodSandboxStats and ListPodSandboxStats in domain terms:
// each container's cgroup (from its spec's cgroupsPath) and writable layer, each pod's cgroup
// (its cgroup parent) and network namespace. Rates (usage_nano_cores) come from the previous
// sample of the same object, kept here.
import type { ContainerService } from '../container/service.js';
import type { ContainerFilter, ContainerView } from '../container/types.js';
import { diskUsage } from '../image/content/usage.js';
import type { Snapshotter } from '../image/snapshot/snapshotter.js';
import type { SandboxService } from '../pod/sandbox/service.js';
import type { Sandbox, SandboxFilter } from '../pod/sandbox/types.js';
import { errorMessage } from '../util/errors.js';
import { silentLogger, type Logger } from '../util/log.js';
import type { CgroupReader } from './cgroup.js';
import { cgroupOfParent, cgroupOfSpecPath } from './cgroup-path.js';
import { CpuRates } from './cpu-rate.js';
import { readNetns } from './net-dev.js';
import type { CgroupSample, ContainerStatsView, NetworkStats, PodStatsView } from './types.js';

export interface StatsServiceOptions {
  containers: Pick<ContainerService, 'list' | 'status'>;
  sandboxes: Pick<SandboxService, 'get' | 'list'>;
  snapshots: Pick<Snapshotter, 'getActive' | 'dir'>;
  cgroups: CgroupReader;
  /** The pod network namespace's counters (nsenter + /proc/net/dev unless replaced). */
  readNetwork?: (netnsPath: string, timestampNs: bigint) => Promise<NetworkStats | undefined>;
  log?: Logger;
}

interface ContainerPlace {
  /** Undefined when the spec names none (or is gone). */
  cgroup: string | undefined;
  snapshotKey: string;
}

const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const containerKey = (id: string): string => `container:${id}`;
const podKey = (id: string): string => `pod:${id}`;

export class StatsService {
  private readonly rates = new CpuRates();
  private readonly places = new Map<string, ContainerPlace>();
  private readonly log: Logger;

  constructor(private readonly opts: StatsServiceOptions) {
    this.log = opts.log ?? silentLogger();
  }

  /** ContainerStats; NOT_FOUND for an unknown container. */
  async container(id: string): Promise<ContainerStatsView> {
    // status() raises NOT_FOUND with the container service's own wording.
    const { container } = this.opts.containers.status(id);
    return (await this.forContainer(container, nowNs())).stats;
  }

  async listContainers(filter: ContainerFilter): Promise<ContainerStatsView[]> {
    const views = this.opts.containers.list(filter);
    const ts = nowNs();
    const out = await Promise.all(views.map(async (v) => (await this.forContainer(v, ts)).stats));
    this.prune();
    return out;
  }

  /** PodSandboxStats; NOT_FOUND for an unknown pod. */
  async pod(id: string): Promise<PodStatsView> {
    return this.forPod(this.opts.sandboxes.get(id), nowNs());
  }

  /** Ready pods only: a stopped pod has no cgroup usage or network left to report. */
  async listPods(filter: SandboxFilter): Promise<PodStatsView[]> {
    const pods = this.opts.sandboxes.list({ ...filter, state: 'ready' });
    const ts = nowNs();
    const out = await Promise.all(pods.map((p) => this.forPod(p, ts)));
    this.prune();
    return out;
  }

  // ---- containers ------------------------------------------------------------------------

  private placeOf(id: string): ContainerPlace {
    const known = this.places.get(id);
    if (known) return known;
    const { info } = this.opts.containers.status(id);
    const spec = info.runtimeSpec;
    const linux = isObj(spec) && isObj(spec.linux) ? spec.linux : undefined;
    const cgroupsPath = linux && typeof linux.cgroupsPath === 'string' ? linux.cgroupsPath : '';
    const place: ContainerPlace = {
      cgroup: cgroupOfSpecPath(cgroupsPath),
      snapshotKey: typeof info.snapshotKey === 'string' ? info.snapshotKey : id,
    };
    // Without a spec (gone with a reboot) nothing is cached: the container may not exist yet.
    if (spec !== null) this.places.set(id, place);
    return place;
  }

  private async forContainer(v: ContainerView, ts: bigint): Promise<{ stats: ContainerStatsView; sample: CgroupSample | undefined }> {
    const stats: ContainerStatsView = {
      id: v.id,
      metadata: { ...v.metadata },
      labels: { ...v.labels },
      annotations: { ...v.annotations },
    };
    let place: ContainerPlace;
    try {
      place = this.placeOf(v.id);
    } catch (e) {
      // Removed meanwhile: its attributes are all there is.
      this.log.debug({ id: v.id, err: errorMessage(e) }, 'container gone while collecting its stats');
      return { stats, sample: undefined };
    }
    let sample: CgroupSample | undefined;
    if (place.cgroup !== undefined && (v.state === 'running' || v.state === 'created')) {
      sample = this.opts.cgroups.read(place.cgroup);
      if (sample) this.applySample(stats, containerKey(v.id), sample, ts);
    }
    const layer = await this.writableLayer(place.snapshotKey, ts);
    if (layer) stats.writableLayer = layer;
    return { stats, sample };
  }

  private async writableLayer(key: string, ts: bigint): Promise<ContainerStatsView['writableLayer']> {
    let upper: string;
    try {
      upper = this.opts.snapshots.getActive(key).upperdir;
    } catch {
      return undefined;
    }
    try {
      const u = await diskUsage(upper);
      return { timestampNs: ts, mountpoint: this.opts.snapshots.dir, usedBytes: BigInt(u.bytes), inodesUsed: BigInt(u.inodes) };
    } catch (e) {
      this.log.debug({ key, err: errorMessage(e) }, 'cannot measure a writable layer');
      return undefined;
    }
  }

  // ---- pods ------------------------------------------------------------------------------

  private async forPod(s: Sandbox, ts: bigint): Promise<PodStatsView> {
    const views = this.opts.containers.list({ sandboxId: s.id });
    const containers = await Promise.all(views.map((v) => this.forContainer(v, ts)));
    const out: PodStatsView = {
      id: s.id,
      metadata: { ...s.metadata },
      labels: { ...s.labels },
      annotations: { ...s.annotations },
      containers: containers.map((c) => c.stats),
    };
    const cgroup = cgroupOfParent(s.cgroupParent);
    // Without a cgroup parent the pod has no cgroup of its own: its containers' add up to it.
    const sample = (cgroup !== undefined ? this.opts.cgroups.read(cgroup) : undefined) ?? sumSamples(containers.map((c) => c.sample));
    if (sample) {
      this.applySample(out, podKey(s.id), sample, ts);
      if (sample.pids !== undefined) out.process = { timestampNs: ts, processCount: sample.pids };
    }
    if (s.netnsPath !== undefined && s.state === 'ready') {
      const net = await (this.opts.readNetwork ?? readNetns)(s.netnsPath, ts);
      if (net) out.network = net;
    }
    return out;
  }

  // ---- shared ----------------------------------------------------------------------------

  private applySample(out: Pick<ContainerStatsView, 'cpu' | 'memory' | 'swap'>, key: string, s: CgroupSample, ts: bigint): void {
    if (s.cpuUsageNs !== undefined) {
      const rate = this.rates.sample(key, s.cpuUsageNs);
      out.cpu = { timestampNs: ts, usageCoreNanoSeconds: s.cpuUsageNs, ...(rate !== undefined ? { usageNanoCores: rate } : {}) };
    }
    if (s.memory) out.memory = { timestampNs: ts, ...s.memory };
    if (s.swap) out.swap = { timestampNs: ts, ...s.swap };
  }

  /** Drops the samples and places of objects that no longer exist. */
  private prune(): void {
    const ids = new Set(this.opts.containers.list().map((c) => c.id));
    for (const id of this.places.keys()) if (!ids.has(id)) this.places.delete(id);
    const keep = new Set([...ids].map(containerKey));
    for (const p of this.opts.sandboxes.list()) keep.add(podKey(p.id));
    this.rates.retain(keep);
  }
}

/** The sum of the containers' samples (absent parts count as none); undefined when there are none. */
export function sumSamples(samples: readonly (CgroupSample | undefined)[]): CgroupSample | undefined {
  const present = samples.filter((s): s is CgroupSample => s !== undefined);
  if (present.length === 0) return undefined;
  const total: CgroupSample = {};
  for (const s of present) {
    if (s.cpuUsageNs !== undefined) total.cpuUsageNs = (total.cpuUsageNs ?? 0n) + s.cpuUsageNs;
    if (s.pids !== undefined) total.pids = (total.pids ?? 0n) + s.pids;
    if (s.memory) {
      const m = total.memory ?? { usageBytes: 0n, workingSetBytes: 0n, rssBytes: 0n, pageFaults: 0n, majorPageFaults: 0n };
      total.memory = {
        usageBytes: m.usageBytes + s.memory.usageBytes,
        workingSetBytes: m.workingSetBytes + s.memory.workingSetBytes,
        rssBytes: m.rssBytes + s.memory.rssBytes,
        pageFaults: m.pageFaults + s.memory.pageFaults,
        majorPageFaults: m.majorPageFaults + s.memory.majorPageFaults,
      };
    }
    if (s.swap) total.swap = { usageBytes: (total.swap?.usageBytes ?? 0n) + s.swap.usageBytes };
  }
  return total;
}
