// The stats service over fakes: a v2 cgroup tree in a temp folder, containers, pods and a
// writable layer; usage_nano_cores from two samples; /proc/net/dev parsing; the CRI mapping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { ContainerStatsSchema, PodSandboxStatsSchema } from '../../../src/gen/runtime/v1/api_pb.js';
import type { ContainerFilter, ContainerStatusDetail, ContainerView } from '../../../src/container/types.js';
import type { Sandbox, SandboxFilter } from '../../../src/pod/sandbox/types.js';
import { CgroupV2Reader } from '../../../src/stats/cgroup.js';
import { CpuRates } from '../../../src/stats/cpu-rate.js';
import { networkStats, parseNetDev } from '../../../src/stats/net-dev.js';
import { StatsService, sumSamples } from '../../../src/stats/service.js';
import { toContainerStats, toContainerStatsFilter, toPodSandboxStats, toPodSandboxStatsFilter } from '../../../src/server/runtime/stats-mapping.js';
import { notFound } from '../../../src/util/errors.js';

test('usage_nano_cores: none on the first sample, then the usage delta over the time delta', () => {
  let now = 0n;
  const r = new CpuRates(() => now);
  assert.equal(r.sample('a', 1_000_000_000n), undefined);
  now = 2_000_000_000n;
  assert.equal(r.sample('a', 2_000_000_000n), 500_000_000n, 'one second of CPU in two seconds: half a core');
  assert.equal(r.sample('a', 2_000_000_000n), 500_000_000n, 'same instant: the last rate stands');
  now = 3_000_000_000n;
  assert.equal(r.sample('a', 100n), undefined, 'usage going backwards starts over');
  r.retain(new Set());
  now = 4_000_000_000n;
  assert.equal(r.sample('a', 200n), undefined, 'forgotten keys start over');
});

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     120       2    0    0    0     0          0         0      120       2    0    0    0     0       0          0
  eth0:    9000      50    1    0    0     0          0         0     4000      30    2    0    0     0       0          0
  net1:      10       1    0    0    0     0          0         0       20       1    0    0    0     0       0          0
`;

test('/proc/net/dev: every interface but lo; eth0 is the default one', () => {
  const ifs = parseNetDev(NET_DEV);
  assert.deepEqual(ifs.map((i) => i.name), ['eth0', 'net1']);
  assert.deepEqual(ifs[0], { name: 'eth0', rxBytes: 9000n, rxErrors: 1n, txBytes: 4000n, txErrors: 2n });
  assert.equal(networkStats(ifs, 1n).defaultInterface?.name, 'eth0');
  assert.equal(networkStats(ifs.slice(1), 1n).defaultInterface?.name, 'net1');
  assert.equal(networkStats([], 1n).defaultInterface, undefined);
});

test('sumSamples adds what is there', () => {
  assert.equal(sumSamples([undefined]), undefined);
  const m = { usageBytes: 1n, workingSetBytes: 1n, rssBytes: 1n, pageFaults: 1n, majorPageFaults: 1n };
  assert.deepEqual(sumSamples([{ cpuUsageNs: 5n, pids: 1n, memory: m }, { cpuUsageNs: 7n }, undefined]), {
    cpuUsageNs: 12n,
    pids: 1n,
    memory: m,
  });
});

function view(id: string, sandboxId: string, labels: Record<string, string> = {}): ContainerView {
  return {
    id,
    sandboxId,
    state: 'running',
    metadata: { name: `n-${id}`, attempt: 0 },
    labels,
    annotations: {},
    image: { requested: '', userSpecified: '', id: '', chainId: null, stopSignal: '' },
    imageRef: '',
    imageTag: '',
    logPath: '',
    createdAt: 0n,
    startedAt: 0n,
    finishedAt: 0n,
    exitCode: 0,
    reason: '',
    message: '',
    resources: { cpuPeriod: 0, cpuQuota: 0, cpuShares: 0, memoryLimitInBytes: 0, oomScoreAdj: 0, cpusetCpus: '', cpusetMems: '', hugepageLimits: [], unified: {}, memorySwapLimitInBytes: 0 },
    user: { uid: 0, gid: 0, additionalGids: [] },
    config: {},
  };
}

function pod(id: string, cgroupParent: string): Sandbox {
  return {
    id,
    cgroupParent,
    state: 'ready',
    metadata: { name: `p-${id}`, namespace: 'ns', uid: 'u', attempt: 0 },
    labels: { app: id },
    annotations: {},
    netnsPath: `/run/netns/${id}`,
  } as unknown as Sandbox;
}

function fixture(t: { after(fn: () => void): void }) {
  const root = mkdtempSync(join(tmpdir(), 'critter-stats-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const cg = (path: string, cpuUsec: number, mem: number, pids: number) => {
    const d = join(root, 'cg', path);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'cgroup.procs'), '');
    writeFileSync(join(d, 'cpu.stat'), `usage_usec ${cpuUsec}\n`);
    writeFileSync(join(d, 'memory.current'), `${mem}\n`);
    writeFileSync(join(d, 'memory.max'), 'max\n');
    writeFileSync(join(d, 'memory.stat'), 'inactive_file 100\nanon 50\n');
    writeFileSync(join(d, 'pids.current'), `${pids}\n`);
  };
  cg('pods/p1', 3000, 5000, 3);
  cg('pods/p1/c1', 1000, 2000, 1);
  cg('c2', 500, 1000, 2);
  const upper = join(root, 'snap', 'active', 'c1', 'fs');
  mkdirSync(upper, { recursive: true });
  writeFileSync(join(upper, 'file'), Buffer.alloc(64 * 1024, 1));
  const containers = [view('c1', 'p1', { tier: 'a' }), view('c2', 'p2')];
  const pods = [pod('p1', '/pods/p1'), pod('p2', '')];
  const specPath: Record<string, string> = { c1: '/pods/p1/c1', c2: '/c2' };
  const svc = new StatsService({
    containers: {
      list: (f?: ContainerFilter) =>
        containers.filter(
          (c) => (!f?.id || c.id.startsWith(f.id)) && (!f?.sandboxId || c.sandboxId === f.sandboxId) && Object.entries(f?.labels ?? {}).every(([k, v]) => c.labels[k] === v),
        ),
      status: (id: string): ContainerStatusDetail => {
        const c = containers.find((x) => x.id === id);
        if (!c) throw notFound(`container ${id} not found`);
        return { container: c, info: { snapshotKey: id, runtimeSpec: { linux: { cgroupsPath: specPath[id] } } } };
      },
    },
    sandboxes: {
      get: (id: string) => {
        const p = pods.find((x) => x.id === id);
        if (!p) throw notFound(`pod sandbox ${id} not found`);
        return p;
      },
      list: (f?: SandboxFilter) => pods.filter((p) => (!f?.id || p.id === f.id) && Object.entries(f?.labels ?? {}).every(([k, v]) => p.labels[k] === v)),
    },
    snapshots: {
      dir: join(root, 'snap'),
      getActive: (key: string) => {
        if (key !== 'c1') throw notFound('no such snapshot');
        return { key, parent: null, upperdir: upper, workdir: '', lowerdirs: [], mountOptions: [], mount: { type: 'overlay', source: 'overlay', options: [] } };
      },
    },
    cgroups: new CgroupV2Reader(join(root, 'cg')),
    readNetwork: (netns, ts) => Promise.resolve(netns.endsWith('p1') ? networkStats(parseNetDev(NET_DEV), ts) : undefined),
  });
  return { svc, root, cg };
}

test('container stats: cgroup usage, writable layer, rate on the second call; NOT_FOUND for a missing one', async (t) => {
  const { svc, cg } = fixture(t);
  const a = await svc.container('c1');
  assert.equal(a.cpu?.usageCoreNanoSeconds, 1_000_000n);
  assert.equal(a.cpu?.usageNanoCores, undefined);
  assert.equal(a.memory?.usageBytes, 2000n);
  assert.equal(a.memory?.workingSetBytes, 1900n);
  assert.ok((a.writableLayer?.usedBytes ?? 0n) >= 64n * 1024n);
  assert.equal(a.writableLayer?.inodesUsed, 2n);
  cg('pods/p1/c1', 900_000, 2000, 1);
  await new Promise((r) => setTimeout(r, 20));
  const b = await svc.container('c1');
  assert.ok((b.cpu?.usageNanoCores ?? 0n) > 0n, 'a rate on the second sample');
  await assert.rejects(svc.container('nope'), /not found/);
  const msg = create(ContainerStatsSchema, toContainerStats(b));
  assert.equal(msg.attributes?.id, 'c1');
  assert.equal(msg.memory?.workingSetBytes?.value, 1900n);
  assert.equal(msg.memory?.availableBytes, undefined);
  assert.equal(msg.writableLayer?.fsId?.mountpoint.endsWith('snap'), true);
});

test('list container stats: filters by id, pod and labels', async (t) => {
  const { svc } = fixture(t);
  const ids = async (f: Parameters<typeof toContainerStatsFilter>[0]) => (await svc.listContainers(toContainerStatsFilter(f))).map((s) => s.id).sort();
  assert.deepEqual(await ids(undefined), ['c1', 'c2']);
  assert.deepEqual(await ids({ id: 'c2', podSandboxId: '', labelSelector: {} } as never), ['c2']);
  assert.deepEqual(await ids({ id: '', podSandboxId: 'p1', labelSelector: {} } as never), ['c1']);
  assert.deepEqual(await ids({ id: '', podSandboxId: '', labelSelector: { tier: 'a' } } as never), ['c1']);
  assert.deepEqual(await ids({ id: '', podSandboxId: '', labelSelector: { tier: 'b' } } as never), []);
});

test('pod stats: the cgroup parent, network and processes; without a parent the containers add up', async (t) => {
  const { svc } = fixture(t);
  const p1 = await svc.pod('p1');
  assert.equal(p1.cpu?.usageCoreNanoSeconds, 3_000_000n);
  assert.equal(p1.memory?.workingSetBytes, 4900n);
  assert.equal(p1.process?.processCount, 3n);
  assert.equal(p1.network?.defaultInterface?.rxBytes, 9000n);
  assert.deepEqual(p1.containers.map((c) => c.id), ['c1']);
  const p2 = await svc.pod('p2');
  assert.equal(p2.cpu?.usageCoreNanoSeconds, 500_000n, "the one container's usage");
  assert.equal(p2.process?.processCount, 2n);
  assert.equal(p2.network, undefined);
  await assert.rejects(svc.pod('nope'), /not found/);
  const listed = await svc.listPods(toPodSandboxStatsFilter({ id: '', labelSelector: { app: 'p2' } } as never));
  assert.deepEqual(listed.map((p) => p.id), ['p2']);
  const msg = create(PodSandboxStatsSchema, toPodSandboxStats(p1));
  assert.equal(msg.linux?.network?.defaultInterface?.name, 'eth0');
  assert.equal(msg.linux?.network?.interfaces.length, 2);
  assert.equal(msg.linux?.process?.processCount?.value, 3n);
  assert.equal(msg.linux?.containers[0]?.attributes?.id, 'c1');
});
