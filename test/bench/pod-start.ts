// Pod start and monitor memory, critterd vs containerd 1.6 (both with runc, both through their
// CRI sockets with the same typed client). Prints figures; never fails on timing, only on
// leftovers (processes, mounts) after the cleanup.
//
//   npm run bench:pod -- [--iterations 20] [--pods 10] [--warmup 1]
//                        [--log-level info|debug] [--cpu-prof DIR] [--critterd-log FILE]
//
// 1. Pod start: the kubelet's path for a normal pod (default namespace options: pod network and
//    IPC, per-container PID), RunPodSandbox + CreateContainer + StartContainer of one busybox
//    `sleep 3600`, images pulled beforehand, runtimes alternating (who goes first alternates
//    too). Teardown (stop/remove) is not timed. critterd runs no pause process for such a pod;
//    containerd always starts a pause container (here a busybox `sleep` stand-in).
// 2. Monitor memory: K pods of one container on each runtime at once; PSS/RSS/USS of every
//    conmon critterd started vs every containerd-shim-runc-v2 (one per pod), plus the daemons'.
//
// --log-level debug also prints critterd's own per-RPC durations (from its `rpc` log lines);
// --cpu-prof DIR writes a V8 CPU profile of critterd there when it exits; --critterd-log FILE
// keeps critterd's log (JSON lines) for a closer look at each RPC's phases.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { NamespaceMode, type ContainerConfigSchema, type PodSandboxConfigSchema } from '../../src/gen/runtime/v1/api_pb.js';
import { makeCriClients, type CriClients } from '../../src/server/service-definitions.js';
import { CNI_BIN_DIR, createTestNetwork, type TestNetwork } from '../fixtures/cni/test-network.js';
import { buildImage, pushImage } from '../fixtures/image.js';
import { busyboxEntries, DEFAULT_PATH_ENV, fixtures } from '../fixtures/images.js';
import { containerdAvailable, startContainerd, type ContainerdHandle } from '../harness/containerd.js';
import { newTestDir, REPO, startCritterd, type CritterdHandle } from '../harness/daemon.js';
import { mountsUnder, processesUnder } from '../harness/leaks.js';
import { startRegistry, type TestRegistry } from '../harness/registry.js';
import { critterdPhases } from './critterd-phases.js';
import { listProcs, procMem, procsNamed, summarise, type MemSummary, type ProcMem } from './proc-mem.js';

const { values: opts } = parseArgs({
  options: {
    iterations: { type: 'string', default: '20' },
    pods: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '1' },
    'log-level': { type: 'string', default: 'info' },
    'cpu-prof': { type: 'string' },
    'critterd-log': { type: 'string' },
  },
});
const ITERATIONS = Number(opts.iterations);
const PODS = Number(opts.pods);
const WARMUP = Number(opts.warmup);
const LOG_LEVEL = opts['log-level'] ?? 'info';
for (const [k, v] of [['iterations', ITERATIONS], ['pods', PODS], ['warmup', WARMUP]] as const) {
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${k} must be a non-negative integer`);
}

type Name = 'critterd' | 'containerd';
type PodConfig = Exclude<MessageInitShape<typeof PodSandboxConfigSchema>, { $typeName: string }>;
type ContainerConfig = Exclude<MessageInitShape<typeof ContainerConfigSchema>, { $typeName: string }>;

interface Runtime {
  name: Name;
  cri: CriClients;
  /** Every process the daemon starts names this directory on its command line. */
  dir: string;
  net: TestNetwork;
  /** The per-pod monitor, as /proc/<pid>/comm names it. */
  monitorComm: string;
  daemonPid(): number | undefined;
  /** The daemon's log so far (critterd's JSON lines; '' for containerd). */
  logs(): string;
  stop(): Promise<void>;
}

interface Timing {
  run: number;
  create: number;
  start: number;
  total: number;
}

interface Pod {
  podId: string;
  ctrId: string;
  uid: string;
  dir: string;
}

const CGROUP_ROOT = '/sys/fs/cgroup';
const CGROUP_PARENT = `/critter-bench-${randomBytes(3).toString('hex')}`;
const NS = 'bench';
const ms = (since: bigint): number => Number(process.hrtime.bigint() - since) / 1e6;
const call = (s = 60): { deadline: Date } => ({ deadline: new Date(Date.now() + s * 1000) });
const out = (s = ''): boolean => process.stdout.write(`${s}\n`);
const note = (s: string): boolean => process.stderr.write(`${s}\n`);

let interrupted = false;
const onSignal = (): void => {
  interrupted = true;
  note('interrupted: cleaning up ...');
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
const checkInterrupted = (): void => {
  if (interrupted) throw new Error('interrupted');
};

// ---- statistics --------------------------------------------------------------------------

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  if (q === 0.5) {
    const m = Math.floor(s.length / 2);
    return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  }
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!; // nearest rank
}
const median = (xs: number[]): number => quantile(xs, 0.5);
const f1 = (n: number): string => n.toFixed(1);
const pad = (s: string, n: number): string => s.padStart(n);

// ---- what the kubelet sends for a normal pod -------------------------------------------

const MASKED_PATHS = ['/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap'];
const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];
const POD_NAMESPACES = { network: NamespaceMode.POD, pid: NamespaceMode.CONTAINER, ipc: NamespaceMode.POD };

function podConfig(name: string, uid: string, logDirectory: string): PodConfig {
  return {
    metadata: { name, namespace: NS, uid, attempt: 0 },
    hostname: name,
    logDirectory,
    dnsConfig: { servers: ['10.96.0.10'], searches: [`${NS}.svc.cluster.local`, 'svc.cluster.local', 'cluster.local'], options: ['ndots:5'] },
    portMappings: [],
    labels: { 'io.kubernetes.pod.name': name, 'io.kubernetes.pod.namespace': NS, 'io.kubernetes.pod.uid': uid, app: 'bench' },
    annotations: { 'kubernetes.io/config.source': 'api', 'kubernetes.io/config.seen': new Date().toISOString() },
    linux: {
      cgroupParent: `${CGROUP_PARENT}/pod${uid}`,
      securityContext: { namespaceOptions: POD_NAMESPACES },
      sysctls: {},
    },
  };
}

function containerConfig(image: string, podDir: string, podName: string, uid: string): ContainerConfig {
  return {
    metadata: { name: 'sleeper', attempt: 0 },
    image: { image, userSpecifiedImage: image },
    command: ['sleep', '3600'],
    envs: [
      { key: 'KUBERNETES_SERVICE_HOST', value: '10.96.0.1' },
      { key: 'KUBERNETES_SERVICE_PORT', value: '443' },
      { key: 'KUBERNETES_PORT', value: 'tcp://10.96.0.1:443' },
    ],
    mounts: [
      { containerPath: '/etc/hosts', hostPath: join(podDir, 'etc-hosts') },
      { containerPath: '/dev/termination-log', hostPath: join(podDir, 'termination-log') },
    ],
    labels: { 'io.kubernetes.container.name': 'sleeper', 'io.kubernetes.pod.name': podName, 'io.kubernetes.pod.namespace': NS, 'io.kubernetes.pod.uid': uid },
    annotations: { 'io.kubernetes.container.hash': 'b1946ac9', 'io.kubernetes.container.restartCount': '0', 'io.kubernetes.container.terminationMessagePath': '/dev/termination-log' },
    logPath: 'sleeper/0.log',
    linux: {
      resources: { cpuPeriod: 100000n, cpuShares: 2n, oomScoreAdj: 1000n },
      securityContext: { namespaceOptions: POD_NAMESPACES, maskedPaths: MASKED_PATHS, readonlyPaths: READONLY_PATHS },
    },
  };
}

// ---- pods --------------------------------------------------------------------------------

/** Starts a pod of one container; only the three RPCs are timed (the kubelet's file work is not). */
async function startPod(rt: Runtime, image: string, benchDir: string): Promise<{ pod: Pod; t: Timing }> {
  const uid = randomBytes(8).toString('hex');
  const name = `bench-${uid.slice(0, 6)}`;
  const dir = join(benchDir, 'pods', uid);
  const logDirectory = join(benchDir, 'logs', `${NS}_${name}_${uid}`);
  mkdirSync(dir, { recursive: true });
  mkdirSync(join(logDirectory, 'sleeper'), { recursive: true });
  writeFileSync(join(dir, 'etc-hosts'), `127.0.0.1\tlocalhost\n::1\tlocalhost\n`);
  writeFileSync(join(dir, 'termination-log'), '');
  const config = podConfig(name, uid, logDirectory);
  const ctr = containerConfig(image, dir, name, uid);

  const t0 = process.hrtime.bigint();
  const { podSandboxId: podId } = await rt.cri.runtime.runPodSandbox({ config, runtimeHandler: '' }, call(120));
  const run = ms(t0);
  rt.net.podIds.add(podId);
  const pod: Pod = { podId, ctrId: '', uid, dir };
  try {
    const t1 = process.hrtime.bigint();
    pod.ctrId = (await rt.cri.runtime.createContainer({ podSandboxId: podId, config: ctr, sandboxConfig: config }, call())).containerId;
    const create = ms(t1);
    const t2 = process.hrtime.bigint();
    await rt.cri.runtime.startContainer({ containerId: pod.ctrId }, call());
    const start = ms(t2);
    return { pod, t: { run, create, start, total: ms(t0) } };
  } catch (e) {
    await stopPod(rt, pod).catch(() => undefined);
    throw e;
  }
}

async function stopPod(rt: Runtime, pod: Pod): Promise<void> {
  if (pod.ctrId) {
    await rt.cri.runtime.stopContainer({ containerId: pod.ctrId, timeout: 0n }, call());
    await rt.cri.runtime.removeContainer({ containerId: pod.ctrId }, call());
  }
  await rt.cri.runtime.stopPodSandbox({ podSandboxId: pod.podId }, call());
  await rt.cri.runtime.removePodSandbox({ podSandboxId: pod.podId }, call());
  // What the kubelet does after the runtime: drop the pod's cgroup and files.
  for (const d of cgroupDirs(`${CGROUP_PARENT}/pod${pod.uid}`)) removeCgroupTree(d);
  rmSync(pod.dir, { recursive: true, force: true });
}

/** Best effort: every container and pod the runtime still has, stopped and removed. */
async function removeEverything(rt: Runtime): Promise<void> {
  const cs = await rt.cri.runtime.listContainers({}, call()).catch(() => undefined);
  for (const c of cs?.containers ?? []) {
    await rt.cri.runtime.stopContainer({ containerId: c.id, timeout: 0n }, call()).catch(() => undefined);
    await rt.cri.runtime.removeContainer({ containerId: c.id }, call()).catch(() => undefined);
  }
  const ps = await rt.cri.runtime.listPodSandbox({}, call()).catch(() => undefined);
  for (const p of ps?.items ?? []) {
    rt.net.podIds.add(p.id);
    await rt.cri.runtime.stopPodSandbox({ podSandboxId: p.id }, call()).catch(() => undefined);
    await rt.cri.runtime.removePodSandbox({ podSandboxId: p.id }, call()).catch(() => undefined);
  }
}

// ---- cgroups (cgroupfs driver: the same parent for both runtimes) ------------------------

function cgroupDirs(path: string): string[] {
  const v2 = existsSync(join(CGROUP_ROOT, 'cgroup.controllers'));
  const hierarchies = v2 ? [CGROUP_ROOT] : readdirSync(CGROUP_ROOT).map((h) => join(CGROUP_ROOT, h));
  return hierarchies.map((h) => join(h, path)).filter((d) => existsSync(d));
}

/** Kills what still runs in a cgroup tree (only after a failure), then removes it bottom-up. */
function removeCgroupTree(dir: string, kill = false): void {
  let entries: string[] = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return;
  }
  for (const e of entries) removeCgroupTree(join(dir, e), kill);
  if (kill) {
    try {
      for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    } catch {
      /* gone */
    }
  }
  try {
    rmdirSync(dir);
  } catch {
    /* busy: reported by the leftover check */
  }
}

// ---- runtimes ----------------------------------------------------------------------------

/**
 * NODE_OPTIONS may not carry --cpu-prof, so critterd gets a preload (--import) that runs the
 * inspector's profiler in its main thread and writes <dir>/critterd-<pid>.cpuprofile at exit.
 */
function profilerPreload(benchDir: string, profDir: string): string {
  const file = join(benchDir, 'cpu-prof-preload.mjs');
  writeFileSync(
    file,
    `import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
const s = new Session();
s.connect();
s.post('Profiler.enable');
s.post('Profiler.setSamplingInterval', { interval: 200 });
s.post('Profiler.start');
process.on('exit', () => {
  // A same-thread session answers synchronously, so this runs before the process is gone.
  s.post('Profiler.stop', (err, res) => {
    if (!err) writeFileSync(${JSON.stringify(profDir)} + '/critterd-' + process.pid + '.cpuprofile', JSON.stringify(res.profile));
  });
});
`,
  );
  return file;
}

async function startCritter(certs: string, benchDir: string): Promise<Runtime> {
  const dir = newTestDir('critter-bench-');
  const net = createTestNetwork(dir);
  const config = `[network]\ncni_conf_dir = "${net.confDir}"\ncni_bin_dirs = ["${CNI_BIN_DIR}"]\n[image]\nregistry_config_dir = "${certs}"\n[cgroup]\ndriver = "cgroupfs"\n`;
  const profDir = opts['cpu-prof'];
  const before = process.env.NODE_OPTIONS;
  if (profDir) {
    mkdirSync(profDir, { recursive: true });
    process.env.NODE_OPTIONS = `${before ?? ''} --import=${profilerPreload(benchDir, resolve(profDir))}`.trim();
  }
  let d: CritterdHandle;
  try {
    d = await startCritterd({ dir, config, logLevel: LOG_LEVEL });
  } catch (e) {
    net.teardown();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  } finally {
    if (profDir) {
      if (before === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = before;
    }
  }
  const rt: Runtime = {
    name: 'critterd',
    cri: d.clients,
    dir,
    net,
    monitorComm: 'conmon',
    daemonPid: () => d.process.pid,
    logs: () => d.logs(),
    async stop() {
      await removeEverything(rt);
      const keep = opts['critterd-log'];
      if (keep) writeFileSync(keep, d.logs());
      try {
        await d.stop(); // throws on leftover processes or mounts
      } finally {
        net.teardown();
      }
    },
  };
  return rt;
}

async function startCtrd(certs: string, pauseRef: string): Promise<Runtime> {
  const net = createTestNetwork(newTestDir('critter-bench-ctrd-net-'));
  let c: ContainerdHandle;
  try {
    c = await startContainerd('', {
      cniConfDir: net.confDir,
      cniBinDir: CNI_BIN_DIR,
      sandboxImage: pauseRef,
      registryConfigPath: certs,
      // Some hosts refuse to lower oom_score_adj, which containerd does for pause containers.
      restrictOomScoreAdj: true,
    });
  } catch (e) {
    net.teardown();
    throw e;
  }
  const cri = makeCriClients(c.socket);
  const netParent = join(net.confDir, '..');
  const rt: Runtime = {
    name: 'containerd',
    cri,
    dir: c.dir,
    net,
    monitorComm: 'containerd-shim',
    logs: () => '',
    daemonPid: () => listProcs().find((p) => p.comm === 'containerd' && p.cmdline.includes(c.dir))?.pid,
    async stop() {
      const problems: string[] = [];
      try {
        await removeEverything(rt);
        cri.close();
        const shims = procsNamed('containerd-shim', c.dir);
        if (shims.length > 0) {
          problems.push(`containerd left ${shims.length} shim(s) after removing every pod; killed`);
          for (const s of shims) process.kill(s.pid, 'SIGKILL');
        }
        const mounts = mountsUnder(c.dir);
        if (mounts.length > 0) {
          // Never let the handle's rm -rf walk into a container's rootfs.
          for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
          problems.push(`containerd left mounts: ${mounts.join(', ')}`);
        }
      } finally {
        await c.stop();
        net.teardown();
        rmSync(netParent, { recursive: true, force: true });
      }
      if (problems.length > 0) throw new Error(problems.join(' | '));
    },
  };
  return rt;
}

// ---- measurements -------------------------------------------------------------------------

function monitorMems(rt: Runtime): ProcMem[] {
  return procsNamed(rt.monitorComm, rt.dir).map((p) => procMem(p.pid)).filter((m): m is ProcMem => m !== undefined);
}

function daemonMem(rt: Runtime): ProcMem | undefined {
  const pid = rt.daemonPid();
  return pid === undefined ? undefined : procMem(pid);
}

/** critterd's own RPC durations (ms) from its debug `rpc` lines in `logs`. */
function serverDurations(logs: string): Map<string, number[]> {
  const byMethod = new Map<string, number[]>();
  for (const line of logs.split('\n')) {
    if (!line.includes('"durationMs"')) continue;
    try {
      const j = JSON.parse(line) as { method?: unknown; durationMs?: unknown; msg?: unknown };
      if (j.msg !== 'rpc' || typeof j.method !== 'string' || typeof j.durationMs !== 'number') continue;
      const m = j.method.split('/').pop()!;
      byMethod.set(m, [...(byMethod.get(m) ?? []), j.durationMs]);
    } catch {
      /* not JSON */
    }
  }
  return byMethod;
}

async function podStart(runtimes: Runtime[], images: Record<Name, string>, benchDir: string, logs: () => string): Promise<void> {
  const timings = new Map<Name, Timing[]>(runtimes.map((r) => [r.name, []]));
  let logMark = 0;
  for (let i = -WARMUP; i < ITERATIONS; i++) {
    if (i === 0) logMark = logs().length;
    const order = ((i % 2) + 2) % 2 === 0 ? runtimes : [...runtimes].reverse();
    for (const rt of order) {
      checkInterrupted();
      const { pod, t } = await startPod(rt, images[rt.name], benchDir);
      await stopPod(rt, pod);
      if (i < 0) {
        note(`warm-up ${rt.name}: ${f1(t.total)} ms`);
        continue;
      }
      timings.get(rt.name)!.push(t);
      note(`#${String(i + 1).padStart(2)} ${rt.name.padEnd(10)} run ${pad(f1(t.run), 6)}  create ${pad(f1(t.create), 6)}  start ${pad(f1(t.start), 6)}  total ${pad(f1(t.total), 6)} ms`);
    }
  }
  const serverLogs = logs().slice(logMark);

  out(`\n== pod start: RunPodSandbox + CreateContainer + StartContainer, ${ITERATIONS} iterations each, ms ==`);
  out(`${'runtime'.padEnd(11)}${pad('median', 8)}${pad('p90', 8)}${pad('min', 8)}${pad('max', 8)}   median per RPC: run / create / start`);
  const med = new Map<Name, number>();
  for (const rt of runtimes) {
    const ts = timings.get(rt.name)!;
    const tot = ts.map((t) => t.total);
    med.set(rt.name, median(tot));
    const per = (k: keyof Timing): string => f1(median(ts.map((t) => t[k])));
    out(`${rt.name.padEnd(11)}${pad(f1(median(tot)), 8)}${pad(f1(quantile(tot, 0.9)), 8)}${pad(f1(Math.min(...tot)), 8)}${pad(f1(Math.max(...tot)), 8)}   ${per('run')} / ${per('create')} / ${per('start')}`);
  }
  if (med.has('containerd')) {
    out(`ratio critterd/containerd (median): ${(med.get('critterd')! / med.get('containerd')!).toFixed(2)}  (target <= 0.60)`);
  }
  const server = serverDurations(serverLogs);
  if (server.size > 0) {
    const s = (m: string): string => f1(median(server.get(m) ?? []));
    out(`critterd server-side medians (its rpc log lines): RunPodSandbox ${s('RunPodSandbox')} / CreateContainer ${s('CreateContainer')} / StartContainer ${s('StartContainer')} ms`);
    out('critterd phases (medians from its debug log, whole ms):');
    for (const [phase, xs] of critterdPhases(serverLogs)) out(`  ${pad(f1(median(xs)), 6)} ms  ${phase}  (n=${xs.length})`);
  }
}

function memLine(label: string, s: MemSummary | undefined): string {
  if (!s || s.count === 0) return `${label.padEnd(26)} none found`;
  return `${label.padEnd(26)}${pad(String(s.count), 4)}${pad(f1(s.pss / 1024), 9)}${pad(f1(s.rss / 1024), 9)}${pad(f1(s.uss / 1024), 9)}${pad(f1(s.totalPss / 1024), 11)}`;
}

async function monitorMemory(runtimes: Runtime[], images: Record<Name, string>, benchDir: string): Promise<void> {
  const pods = new Map<Name, Pod[]>(runtimes.map((r) => [r.name, []]));
  try {
    for (let i = 0; i < PODS; i++) {
      for (const rt of runtimes) {
        checkInterrupted();
        pods.get(rt.name)!.push((await startPod(rt, images[rt.name], benchDir)).pod);
      }
    }
    // Let the monitors settle (first writes, lazy page faults) before reading.
    await new Promise((r) => setTimeout(r, 3000));
    out(`\n== memory with ${PODS} pods of one container on each runtime, MB ==`);
    out(`${'processes'.padEnd(26)}${pad('n', 4)}${pad('PSS/ea', 9)}${pad('RSS/ea', 9)}${pad('USS/ea', 9)}${pad('PSS total', 11)}`);
    const per = new Map<Name, MemSummary>();
    for (const rt of runtimes) {
      const mems = monitorMems(rt);
      const s = mems.length > 0 ? summarise(mems) : undefined;
      if (s) per.set(rt.name, s);
      out(memLine(rt.name === 'critterd' ? 'critterd: conmon' : 'containerd: shim-runc-v2', s));
    }
    out('per container (monitor memory / containers):');
    for (const rt of runtimes) {
      const s = per.get(rt.name);
      if (s) out(`  ${rt.name.padEnd(11)} PSS ${f1(s.totalPss / 1024 / PODS)} MB   RSS ${f1(s.totalRss / 1024 / PODS)} MB   (${s.count} monitor processes for ${PODS} containers)`);
    }
    const a = per.get('critterd');
    const b = per.get('containerd');
    if (a && b) out(`ratio critterd/containerd per container: PSS ${(a.totalPss / b.totalPss).toFixed(2)}, RSS ${(a.totalRss / b.totalRss).toFixed(2)}`);
    out('daemons:');
    for (const rt of runtimes) {
      const m = daemonMem(rt);
      out(`  ${rt.name.padEnd(11)} ${m ? `RSS ${f1(m.rss / 1024)} MB   PSS ${f1(m.pss / 1024)} MB   USS ${f1(m.uss / 1024)} MB` : 'not found'}`);
    }
    const da = daemonMem(runtimes[0]!);
    const db = runtimes[1] ? daemonMem(runtimes[1]) : undefined;
    if (da && db) out(`ratio critterd/containerd daemon RSS: ${(da.rss / db.rss).toFixed(2)}`);
  } finally {
    for (const rt of runtimes) {
      for (const p of pods.get(rt.name)!) await stopPod(rt, p).catch((e: unknown) => note(`${rt.name}: removing ${p.podId}: ${String(e)}`));
    }
  }
}

// ---- main ---------------------------------------------------------------------------------

function ensureBuilt(): void {
  if (existsSync(join(REPO, 'dist', 'cmd', 'critterd.js'))) return;
  note('building dist/ ...');
  spawnSync('npm', ['run', 'build'], { cwd: REPO, stdio: 'inherit' });
  if (!existsSync(join(REPO, 'dist', 'cmd', 'critterd.js'))) throw new Error('npm run build did not produce dist/');
}

async function main(): Promise<number> {
  ensureBuilt();
  const benchDir = newTestDir('critter-bench-pod-');
  const dirs: string[] = [benchDir];
  const runtimes: Runtime[] = [];
  let reg: TestRegistry | undefined;
  const problems: string[] = [];
  try {
    reg = await startRegistry();
    await pushImage(reg, 'busybox', ['latest'], await fixtures.busybox());
    // containerd's pause stand-in: busybox that sleeps for ever.
    const pause = await buildImage({ layers: [{ entries: busyboxEntries() }], config: { Env: [DEFAULT_PATH_ENV], Entrypoint: ['/bin/sleep', '2147483647'] } });
    await pushImage(reg, 'pause', ['1'], pause);
    const busybox = `${reg.host}/busybox:latest`;
    const pauseRef = `${reg.host}/pause:1`;
    const certs = join(benchDir, 'certs.d');
    mkdirSync(join(certs, reg.host), { recursive: true });
    writeFileSync(join(certs, reg.host, 'hosts.toml'), `server = "${reg.url}"\n\n[host."${reg.url}"]\n  capabilities = ["pull", "resolve"]\n`);

    const critter = await startCritter(certs, benchDir);
    runtimes.push(critter);
    dirs.push(critter.dir);
    if (containerdAvailable()) {
      const ctrd = await startCtrd(certs, pauseRef);
      runtimes.push(ctrd);
      dirs.push(ctrd.dir);
    } else {
      note('containerd is not installed: measuring critterd alone');
    }
    for (const rt of runtimes) {
      await rt.cri.image.pullImage({ image: { image: busybox } }, call(120));
      if (rt.name === 'containerd') await rt.cri.image.pullImage({ image: { image: pauseRef } }, call(120));
    }
    out(`host: ${spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()} cores, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}; critterd --log-level ${LOG_LEVEL}`);
    await podStart(runtimes, { critterd: busybox, containerd: busybox }, benchDir, () => critter.logs());
    await monitorMemory(runtimes, { critterd: busybox, containerd: busybox }, benchDir);
    out(`load average after: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  } catch (e) {
    problems.push(`benchmark failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  } finally {
    for (const rt of [...runtimes].reverse()) {
      try {
        await rt.stop();
      } catch (e) {
        problems.push(`${rt.name}: ${String(e)}`);
      }
    }
    for (const d of cgroupDirs(CGROUP_PARENT)) removeCgroupTree(d, true);
    await reg?.stop().catch((e: unknown) => problems.push(`registry: ${String(e)}`));
    // Verify: no monitor, shim or other process of ours is left, no mount, no cgroup.
    const left = listProcs().filter((p) => p.pid !== process.pid && dirs.some((dir) => p.cmdline.includes(dir)));
    const monitors = left.filter((p) => p.comm === 'conmon' || p.comm === 'containerd-shim');
    if (left.length > 0) problems.push(`processes left: ${left.map((p) => `${p.pid} ${p.comm}`).join(', ')}`);
    for (const dir of dirs) {
      const m = mountsUnder(dir);
      if (m.length > 0) problems.push(`mounts left under ${dir}: ${m.join(', ')}`);
      else if (processesUnder(dir).length === 0) rmSync(dir, { recursive: true, force: true });
    }
    const cg = cgroupDirs(CGROUP_PARENT);
    if (cg.length > 0) problems.push(`cgroups left: ${cg.join(', ')}`);
    note(`cleanup: ${monitors.length} conmon/shim processes left, ${left.length} processes in all${cg.length > 0 ? `, ${cg.length} cgroup dirs` : ''}`);
  }
  if (problems.length > 0) {
    note(problems.join('\n'));
    return 1;
  }
  return 0;
}

process.exitCode = await main();
