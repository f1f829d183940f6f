// Containers of pod sandboxes: created, started, stopped and removed under conmon, so that they
// outlive critterd; their exits are watched and recorded as they happen (and, after a restart,
// as they happened while no critterd ran).
//
// Every container has a record written before anything is made for it (phase 'creating') and
// again once it exists, so a failure undoes exactly what exists and a crash mid-way is undone
// at the next start (see recover).
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, join, posix, relative } from 'node:path';
import type { CgroupDriver } from '../config/types.js';
import type { LinuxContainerResources, Mount } from '../gen/runtime/v1/api_pb.js';
import type { ImageService } from '../image/image-service.js';
import type { Snapshotter } from '../image/snapshot/snapshotter.js';
import { buildSpec, type HostInfo, type OciSpec } from '../oci/spec/index.js';
import type { OciRuntimeDriver } from '../oci/runtime-driver.js';
import type { SecurityHost } from '../oci/security/lsm-host.js';
import { reportsUserNamespaces } from '../oci/security/userns.js';
import { KeyedMutex } from '../pod/cni/keyed-mutex.js';
import type { SandboxContainers } from '../pod/sandbox/containers-hook.js';
import type { Sandbox } from '../pod/sandbox/types.js';
import { writeFileAtomic } from '../store/atomic-file.js';
import { RecordStore } from '../store/record-store.js';
import {
  alreadyExists,
  deadlineExceeded,
  errorMessage,
  failedPrecondition,
  internal,
  invalidArgument,
  isCritterError,
  notFound,
} from '../util/errors.js';
import { silentLogger, type Logger } from '../util/log.js';
import {
  exitReason,
  REASON_START_ERROR,
  REASON_UNKNOWN,
  START_ERROR_EXIT_CODE,
  UNKNOWN_EXIT_CODE,
} from './exit-reason.js';
import { filterContainers } from './filter.js';
import { containerName, requestDigest } from './identity.js';
import { newObjectId } from '../store/object-id.js';
import { runtimeDefaults } from './image-config.js';
import type { ConmonMonitor, ExitInfo } from './monitor/conmon.js';
import { execSync } from './monitor/exec-sync.js';
import { NameReservations } from '../store/name-reservations.js';
import { orAbort } from '../util/abort.js';
import { parseContainerRecord } from './record.js';
import { applyToSpec, fromCri, mergeResources, NO_RESOURCES, ociUpdate } from './resources.js';
import { idmapVolumes, mountIdmappedRootfs, mountsUnder, unmountIdmapped, type IdmapTarget } from './idmap.js';
import { mountRootfs, unmountRootfs } from './rootfs.js';
import { checkPodUserNamespace, pidNamespaceFor, sandboxContext } from './sandbox-context.js';
import { DEFAULT_STOP_SIGNAL, parseStopSignal } from './stop-signal.js';
import type {
  ContainerFilter,
  ContainerRecord,
  ContainerRequest,
  ContainerState,
  ContainerStatusDetail,
  ContainerView,
  ExecSyncOutcome,
} from './types.js';

/** A runtime handler's driver and the conmon monitor of its containers. */
export interface HandlerRuntime {
  driver: OciRuntimeDriver;
  monitor: ConmonMonitor;
}

export interface ContainerServiceOptions {
  /** Bundles (<state>/containers/<id>): gone after a reboot, as the containers are. */
  stateDir: string;
  /** Records (<root>/containers): they outlive a reboot, to report what ended. */
  recordsDir: string;
  runtimeFor: (handler: string) => HandlerRuntime;
  sandboxes: { get(id: string): Sandbox };
  images: Pick<ImageService, 'inspect' | 'status'>;
  snapshots: Pick<Snapshotter, 'createActive' | 'removeActive'>;
  cgroupDriver: CgroupDriver;
  host: HostInfo;
  /** critterd's own oom_score_adj: the floor of every container's. */
  ownOomScoreAdj: number;
  /** The host's LSMs, architecture and kernel; probed once by the spec builder when absent. */
  security?: SecurityHost;
  /** Host paths no CRI mount or device may use: the configured ones plus --root and --state. */
  forbiddenHostPaths?: readonly string[];
  log?: Logger;
  /** How long a SIGKILLed container is waited for before StopContainer fails. */
  killWaitMs?: number;
}

const DEFAULT_KILL_WAIT_MS = 30_000;
const CONMON_EXIT_WAIT_MS = 5_000;
// Two streams of 8 MiB stay within the kubelet's 16 MiB message limit for ExecSync.
const EXEC_OUTPUT_PER_STREAM = 8 * 1024 * 1024 - 64 * 1024;
// conmon needs a log file even when the kubelet asked for none.
const NO_LOG = '/dev/null';

const nowNs = (): string => (BigInt(Date.now()) * 1_000_000n).toString();
const dateNs = (d: Date): string => (BigInt(d.getTime()) * 1_000_000n).toString();

export class ContainerService implements SandboxContainers {
  private readonly log: Logger;
  private readonly store: RecordStore<ContainerRecord>;
  private readonly records = new Map<string, ContainerRecord>();
  private readonly names = new NameReservations();
  private readonly locks = new KeyedMutex();
  private readonly exitWatches = new Map<string, () => void>();

  private constructor(private readonly opts: ContainerServiceOptions) {
    this.log = opts.log ?? silentLogger();
    this.store = new RecordStore({ dir: opts.recordsDir, parse: parseContainerRecord, log: this.log });
    mkdirSync(opts.stateDir, { recursive: true, mode: 0o711 });
  }

  /** Loads the records and brings them in line with the node (see recover). */
  static async open(opts: ContainerServiceOptions): Promise<ContainerService> {
    const s = new ContainerService(opts);
    await s.recover();
    return s;
  }

  // ---- CreateContainer ------------------------------------------------------------------

  /**
   * CreateContainer. Like RunPodSandbox, creation is not tied to the caller: the kubelet gives
   * up on a slow call and sends the same request again, which then waits for the first and gets
   * its id. An identical request for a container that is created but not yet started gets its
   * id too (the first answer may never have reached the kubelet). Anything else for a reserved
   * name is AlreadyExists.
   */
  async create(req: ContainerRequest, signal: AbortSignal): Promise<string> {
    const sandbox = this.opts.sandboxes.get(req.sandboxId);
    if (sandbox.state !== 'ready') throw failedPrecondition(`pod sandbox ${sandbox.id} is not ready`);
    const md = req.config.metadata;
    if (!md) throw invalidArgument('config.metadata is required');
    const name = containerName(md, sandbox.metadata);
    const digest = requestDigest(req.sandboxId, req.configJson);
    const held = this.names.get(name);
    if (held) {
      if (held.digest === digest) {
        if (held.pending) {
          this.log.info({ name, id: held.id }, 'CreateContainer repeated while the first is in progress; waiting for it');
          return orAbort(held.pending, signal);
        }
        if (this.records.get(held.id)?.phase === 'created') {
          this.log.info({ name, id: held.id }, 'CreateContainer repeated for a created container; returning it');
          return held.id;
        }
      }
      throw alreadyExists(`container name "${name}" is reserved by container ${held.id}`);
    }
    const id = newObjectId();
    const pending = this.locks.run(id, () => this.createLocked(id, name, digest, sandbox, req));
    this.names.reserve(name, { id, digest, pending });
    pending.then(
      () => this.names.settle(name, id),
      (e: unknown) => {
        this.names.release(name, id);
        this.log.warn({ name, id, err: errorMessage(e) }, 'CreateContainer failed');
      },
    );
    return orAbort(pending, signal);
  }

  private async createLocked(id: string, name: string, digest: string, sandbox: Sandbox, req: ContainerRequest): Promise<string> {
    const cfg = req.config;
    checkPodUserNamespace(cfg, sandbox);
    const rt = this.opts.runtimeFor(sandbox.runtimeHandler);
    const requested = cfg.image?.image ?? '';
    const found = await this.opts.images.inspect(requested);
    if (!found) throw notFound(`image "${requested}" not found; pull it first`);
    const imageConfig = runtimeDefaults(found.config);
    const stopSignal = imageConfig.StopSignal ? parseStopSignal(imageConfig.StopSignal) : undefined;
    if (imageConfig.StopSignal && !stopSignal) {
      this.log.warn({ id, image: found.image.id, stopSignal: imageConfig.StopSignal }, 'the image names an unknown StopSignal; SIGTERM will be used');
    }
    const logPath = containerLogPath(sandbox.logDirectory, cfg.logPath);
    const bundle = join(this.opts.stateDir, id);
    const md = cfg.metadata ?? { name: '', attempt: 0 };
    const rec: ContainerRecord = {
      version: 1,
      id,
      name,
      digest,
      sandboxId: sandbox.id,
      phase: 'creating',
      runtimeHandler: sandbox.runtimeHandler,
      metadata: { name: md.name, attempt: md.attempt },
      labels: { ...cfg.labels },
      annotations: { ...cfg.annotations },
      image: {
        requested,
        userSpecified: cfg.image?.userSpecifiedImage ?? '',
        id: found.image.id,
        chainId: found.image.chainId,
        stopSignal: stopSignal ?? '',
      },
      logPath,
      bundle,
      rootfs: join(bundle, 'rootfs'),
      snapshotKey: id,
      resources: { ...NO_RESOURCES },
      user: { uid: 0, gid: 0, additionalGids: [] },
      createdAt: nowNs(),
      startedAt: '0',
      finishedAt: '0',
      exitCode: 0,
      reason: '',
      message: '',
      config: req.configJson,
    };
    this.records.set(id, rec);
    try {
      mkdirSync(bundle, { recursive: true, mode: 0o711 });
      this.persist(rec);
      const idmap = idmapTargetOf(sandbox);
      if (idmap) {
        checkVolumeMappings(cfg.mounts, sandbox);
        await mountIdmappedRootfs(this.opts.snapshots, rec.snapshotKey, rec.image.chainId, rec.rootfs, bundle, idmap);
      } else {
        await mountRootfs(this.opts.snapshots, rec.snapshotKey, rec.image.chainId, rec.rootfs);
      }
      const pidNamespace = pidNamespaceFor(cfg, sandbox, (target) => this.targetPid(target, sandbox.id));
      const features = await rt.driver.features();
      const built = buildSpec({
        containerId: id,
        config: cfg,
        image: { name: rec.image.userSpecified || requested, config: imageConfig },
        rootfs: { path: rec.rootfs, readonly: false },
        sandbox: sandboxContext(sandbox, pidNamespace),
        cgroupDriver: this.opts.cgroupDriver,
        host: this.opts.host,
        runtimeHandler: sandbox.runtimeHandler,
        runtimeFeatures: {
          recursiveReadOnly: await rt.driver.supportsRecursiveReadOnly(),
          // critter idmaps a user-namespaced pod's volumes itself (below).
          idmappedMounts: idmap ? true : await rt.driver.supportsIdmappedMounts(),
          userNamespaces: reportsUserNamespaces(features),
        },
        security: this.opts.security,
        forbiddenHostPaths: this.opts.forbiddenHostPaths,
        ownOomScoreAdj: this.opts.ownOomScoreAdj,
      });
      for (const w of built.warnings) this.log.warn({ id, name }, w);
      if (idmap) await idmapVolumes(built.spec.mounts, new Set(cfg.mounts.map((m) => cleanContainerPath(m.containerPath))), bundle, idmap);
      rec.user = built.resolvedUser;
      rec.resources = { ...fromCri(cfg.linux?.resources), oomScoreAdj: built.spec.process.oomScoreAdj ?? 0 };
      writeFileAtomic(join(bundle, 'config.json'), JSON.stringify(built.spec));
      if (logPath !== '') mkdirSync(dirname(logPath), { recursive: true, mode: 0o755 });
      rec.monitor = await rt.monitor.create({
        id,
        name,
        bundle,
        logPath: logPath || NO_LOG,
        terminal: cfg.tty,
        stdin: cfg.stdin,
        stdinOnce: cfg.stdinOnce,
      });
      rec.phase = 'created';
      this.persist(rec);
      this.watchExit(rec);
      this.log.info({ id, name, pid: rec.monitor.pid, image: rec.image.id }, 'container created');
      return id;
    } catch (e) {
      await this.undoCreate(rec);
      throw e;
    }
  }

  /** The pid of a running container of the same pod, for NamespaceMode.TARGET. */
  private targetPid(target: string, sandboxId: string): number {
    const t = this.records.get(target);
    if (!t || t.sandboxId !== sandboxId) throw notFound(`target container ${target} of pod sandbox ${sandboxId} not found`);
    if (t.phase !== 'running' || !t.monitor) throw failedPrecondition(`target container ${target} is not running`);
    return t.monitor.pid;
  }

  /** After a failed creation: undo everything; what cannot be undone waits for the next start. */
  private async undoCreate(rec: ContainerRecord): Promise<void> {
    const problems = await this.release(rec);
    this.records.delete(rec.id);
    if (problems.length === 0) {
      this.store.delete(rec.id);
      return;
    }
    // Left as 'creating': the next start tries again.
    this.log.error({ id: rec.id, problems }, 'a failed container creation left resources behind');
  }

  // ---- StartContainer -------------------------------------------------------------------

  async start(id: string): Promise<void> {
    await this.locks.run(id, async () => {
      const rec = this.mustGet(id);
      if (rec.phase !== 'created') throw failedPrecondition(`container ${id} is ${rec.phase}, not created: only a created container can be started`);
      const sandbox = this.opts.sandboxes.get(rec.sandboxId);
      if (sandbox.state !== 'ready') throw failedPrecondition(`pod sandbox ${rec.sandboxId} of container ${id} is not ready`);
      const rt = this.opts.runtimeFor(rec.runtimeHandler);
      // Taken before the call, so that a process that ends at once never finishes before it started.
      const startedAt = nowNs();
      try {
        await rt.monitor.start(id);
      } catch (e) {
        if (rec.phase === 'created') {
          rec.phase = 'exited';
          rec.startedAt = startedAt;
          rec.finishedAt = nowNs();
          rec.exitCode = START_ERROR_EXIT_CODE;
          rec.reason = REASON_START_ERROR;
          rec.message = errorMessage(e);
          this.persist(rec);
        }
        throw e;
      }
      rec.startedAt = startedAt;
      // The exit may already have been seen (a command that ends at once).
      if (rec.phase === 'created') rec.phase = 'running';
      this.persist(rec);
      this.log.info({ id, name: rec.name }, 'container started');
    });
  }

  // ---- StopContainer --------------------------------------------------------------------

  /**
   * StopContainer: the stop signal (the image's StopSignal, else SIGTERM), then SIGKILL after
   * `timeoutSeconds` (at once for 0). Idempotent: a container that is not running, or that
   * is not known at all, is fine (as containerd answers; the kubelet ignores NotFound anyway).
   */
  async stop(id: string, timeoutSeconds: number, signal: AbortSignal): Promise<void> {
    const rec = this.records.get(id);
    if (!rec || (rec.phase !== 'running' && rec.phase !== 'unknown')) return;
    const rt = this.opts.runtimeFor(rec.runtimeHandler);
    if (timeoutSeconds > 0) {
      const sig = rec.image.stopSignal || DEFAULT_STOP_SIGNAL;
      this.log.info({ id, signal: sig, timeoutSeconds }, 'stopping container');
      await this.signal(rt, rec, sig, false);
      if (await this.waitExited(rec, timeoutSeconds * 1000, signal)) return;
      if (signal.aborted) throw signal.reason as Error;
      this.log.info({ id, signal: sig }, 'container did not stop in time; killing it');
    }
    await this.signal(rt, rec, 'SIGKILL', true);
    const waitMs = this.opts.killWaitMs ?? DEFAULT_KILL_WAIT_MS;
    if (await this.waitExited(rec, waitMs, signal)) return;
    if (signal.aborted) throw signal.reason as Error;
    throw deadlineExceeded(`container ${id} did not exit within ${waitMs} ms of SIGKILL`);
  }

  // Signalling a container that already ended is not an error; a container the runtime lost
  // without conmon seeing its end is recorded as ended.
  private async signal(rt: HandlerRuntime, rec: ContainerRecord, sig: string, all: boolean): Promise<void> {
    try {
      // --all for SIGKILL: in a pod-shared PID namespace the init's death does not end the rest.
      await rt.driver.kill(rec.id, sig, { all });
    } catch (e) {
      if (!isCritterError(e) || (e.kind !== 'NotFound' && e.kind !== 'FailedPrecondition')) throw e;
      const exit = rt.monitor.readExit(rec.id, rec.bundle);
      if (exit) this.markExited(rec, exit);
      else if (!this.conmonAlive(rt, rec)) this.markLost(rec, `the runtime no longer knows the container: ${errorMessage(e)}`);
    }
  }

  /** True once the container is recorded as ended; false after `ms` or on abort. */
  private async waitExited(rec: ContainerRecord, ms: number, signal: AbortSignal): Promise<boolean> {
    if (rec.phase === 'exited') return true;
    const rt = this.opts.runtimeFor(rec.runtimeHandler);
    try {
      const info = await rt.monitor.waitExit(rec.id, rec.bundle, AbortSignal.any([signal, AbortSignal.timeout(ms)]));
      this.markExited(rec, info);
      return true;
    } catch {
      return (rec.phase as string) === 'exited';
    }
  }

  // ---- RemoveContainer ------------------------------------------------------------------

  /** RemoveContainer: a running container is killed first; a missing one is fine. The log stays. */
  async remove(id: string, signal: AbortSignal): Promise<void> {
    await this.locks.run(id, async () => {
      const rec = this.records.get(id);
      if (!rec) return;
      if (rec.phase === 'running' || rec.phase === 'unknown') await this.stop(id, 0, signal);
      const problems = await this.release(rec);
      if (problems.length > 0) throw internal(`removing container ${id}: ${problems.join('; ')}`);
      this.forget(rec);
      this.log.info({ id, name: rec.name }, 'container removed');
    });
  }

  /**
   * Releases what the container holds on the node: the runtime's container (and conmon), the
   * rootfs mount, the writable layer, the bundle. Every step is idempotent; the failures are
   * returned.
   */
  private async release(rec: ContainerRecord): Promise<string[]> {
    const problems: string[] = [];
    const step = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
      try {
        await fn();
      } catch (e) {
        problems.push(`${what}: ${errorMessage(e)}`);
      }
    };
    this.exitWatches.get(rec.id)?.();
    this.exitWatches.delete(rec.id);
    let rt: HandlerRuntime | undefined;
    try {
      rt = this.opts.runtimeFor(rec.runtimeHandler);
    } catch (e) {
      problems.push(errorMessage(e));
    }
    if (rt) {
      const r = rt;
      const hadConmon = this.conmonAlive(r, rec);
      await step('runtime delete', () => r.driver.delete(rec.id, { force: true }));
      // conmon writes the exit file as it goes; wait for it so none appears after we cleaned up.
      if (hadConmon) await r.monitor.waitExit(rec.id, rec.bundle, AbortSignal.timeout(CONMON_EXIT_WAIT_MS)).catch(() => undefined);
      r.monitor.removeExit(rec.id);
    }
    await step('unmounting the rootfs', () => unmountRootfs(rec.rootfs));
    // A user-namespaced pod's idmapped layers and volumes (nothing for the others).
    await step('unmounting the idmapped mounts', () => unmountIdmapped(rec.bundle));
    if (problems.length === 0) {
      // Never delete through a mount: a volume's files would go with the bundle.
      const left = mountsUnder(rec.bundle);
      if (left.length > 0) problems.push(`still mounted in the bundle: ${left.join(', ')}`);
    }
    if (problems.length === 0) {
      await step('removing the writable layer', () => this.opts.snapshots.removeActive(rec.snapshotKey));
      await step('removing the bundle', () => Promise.resolve(rmSync(rec.bundle, { recursive: true, force: true })));
    }
    return problems;
  }

  private forget(rec: ContainerRecord): void {
    this.store.delete(rec.id);
    this.records.delete(rec.id);
    this.names.release(rec.name, rec.id);
  }

  // ---- status and list ------------------------------------------------------------------

  status(id: string): ContainerStatusDetail {
    const rec = this.mustGet(id);
    const container = this.view(rec);
    let runtimeSpec: unknown = null;
    try {
      runtimeSpec = JSON.parse(readFileSync(join(rec.bundle, 'config.json'), 'utf8')) as unknown;
    } catch {
      // Gone with a reboot; the rest still says what there is to say.
    }
    const info: Record<string, unknown> = {
      sandboxID: rec.sandboxId,
      pid: rec.phase === 'running' ? (rec.monitor?.pid ?? 0) : 0,
      conmonPid: rec.monitor?.conmonPid ?? 0,
      removing: false,
      snapshotKey: rec.snapshotKey,
      snapshotter: 'overlayfs',
      runtimeHandler: rec.runtimeHandler,
      runtimeType: 'oci',
      bundle: rec.bundle,
      rootfs: rec.rootfs,
      imageId: rec.image.id,
      config: rec.config,
      runtimeSpec,
    };
    return { container, info };
  }

  list(filter?: ContainerFilter): ContainerView[] {
    const all = [...this.records.values()].filter((r) => r.phase !== 'creating').map((r) => this.view(r));
    return filterContainers(all, filter);
  }

  private view(rec: ContainerRecord): ContainerView {
    const image = this.opts.images.status(rec.image.id);
    return {
      id: rec.id,
      sandboxId: rec.sandboxId,
      state: rec.phase === 'creating' ? 'created' : rec.phase,
      metadata: { ...rec.metadata },
      labels: { ...rec.labels },
      annotations: { ...rec.annotations },
      image: { ...rec.image },
      imageRef: image?.repoDigests[0] ?? rec.image.id,
      imageTag: image?.repoTags[0] ?? '',
      logPath: rec.logPath,
      createdAt: BigInt(rec.createdAt),
      startedAt: BigInt(rec.startedAt),
      finishedAt: BigInt(rec.finishedAt),
      exitCode: rec.exitCode,
      reason: rec.reason,
      message: rec.message,
      resources: { ...rec.resources, hugepageLimits: rec.resources.hugepageLimits.map((h) => ({ ...h })), unified: { ...rec.resources.unified } },
      user: { ...rec.user, additionalGids: [...rec.user.additionalGids] },
      config: rec.config,
    };
  }

  // ---- UpdateContainerResources, ExecSync, ReopenContainerLog ----------------------------

  /**
   * Applies new limits to a created or running container and records them in its spec; for
   * one that ended only the spec changes (as containerd does), so status reports them.
   */
  async updateResources(id: string, r: LinuxContainerResources): Promise<void> {
    await this.locks.run(id, async () => {
      const rec = this.mustGet(id);
      const warnings: string[] = [];
      const update = ociUpdate(r, this.opts.host, warnings);
      const next = mergeResources(rec.resources, fromCri(r));
      for (const w of warnings) this.log.warn({ id }, w);
      if (rec.phase === 'created' || rec.phase === 'running') {
        await this.opts.runtimeFor(rec.runtimeHandler).driver.update(id, update);
      }
      const specFile = join(rec.bundle, 'config.json');
      try {
        const spec = JSON.parse(readFileSync(specFile, 'utf8')) as OciSpec;
        spec.linux.resources = applyToSpec(spec.linux.resources, update);
        writeFileAtomic(specFile, JSON.stringify(spec));
      } catch (e) {
        this.log.warn({ id, err: errorMessage(e) }, 'cannot record the new resources in the container spec');
      }
      rec.resources = next;
      this.persist(rec);
    });
  }

  /** ExecSync: the command's output and status; a timeout kills it and is DeadlineExceeded. */
  async execSync(id: string, cmd: string[], timeoutSeconds: number, signal: AbortSignal): Promise<ExecSyncOutcome> {
    const rec = this.mustGet(id);
    if (rec.phase !== 'running') throw failedPrecondition(`container ${id} is not running`);
    const rt = this.opts.runtimeFor(rec.runtimeHandler);
    const res = await execSync(rt.driver, id, {
      bundle: rec.bundle,
      cmd,
      timeoutMs: timeoutSeconds > 0 ? timeoutSeconds * 1000 : undefined,
      maxOutputBytes: EXEC_OUTPUT_PER_STREAM,
      workDir: rec.bundle,
      signal,
    });
    if (res.timedOut) throw deadlineExceeded(`command ${JSON.stringify(cmd)} in container ${id} timed out after ${timeoutSeconds} s and was killed`);
    return { stdout: res.stdout, stderr: res.stderr, exitCode: res.exitCode };
  }

  /** ReopenContainerLog: conmon reopens the log file (the kubelet renamed the old one first). */
  async reopenLog(id: string): Promise<void> {
    const rec = this.mustGet(id);
    if (rec.phase !== 'running' || !rec.monitor) throw failedPrecondition(`container ${id} is not running`);
    await this.opts.runtimeFor(rec.runtimeHandler).monitor.reopenLog(rec.monitor);
  }

  // ---- the pod's containers (SandboxContainers) -----------------------------------------

  /** StopPodSandbox: what still runs is killed at once (the kubelet already gave grace). */
  async stopAll(sandboxId: string, signal: AbortSignal): Promise<void> {
    const ids = [...this.records.values()].filter((r) => r.sandboxId === sandboxId).map((r) => r.id);
    await Promise.all(ids.map((id) => this.stop(id, 0, signal)));
  }

  async removeAll(sandboxId: string, signal: AbortSignal): Promise<void> {
    const ids = [...this.records.values()].filter((r) => r.sandboxId === sandboxId).map((r) => r.id);
    for (const id of ids) await this.remove(id, signal);
  }

  /** Stops exit watching (daemon shutdown); containers go on under conmon. */
  close(): void {
    for (const cancel of this.exitWatches.values()) cancel();
    this.exitWatches.clear();
  }

  // ---- exits ----------------------------------------------------------------------------

  private watchExit(rec: ContainerRecord): void {
    if (this.exitWatches.has(rec.id)) return;
    const rt = this.opts.runtimeFor(rec.runtimeHandler);
    const cancel = rt.monitor.watchExit(
      rec.id,
      (info) => {
        this.exitWatches.delete(rec.id);
        this.markExited(rec, info);
      },
      rec.bundle,
    );
    this.exitWatches.set(rec.id, cancel);
  }

  private markExited(rec: ContainerRecord, info: ExitInfo): void {
    if (rec.phase === 'exited' || rec.phase === 'creating') return;
    rec.phase = 'exited';
    rec.exitCode = info.exitCode;
    rec.finishedAt = dateNs(info.finishedAt);
    rec.reason = exitReason(info);
    rec.message = '';
    this.persistIfKept(rec);
    this.log.info({ id: rec.id, name: rec.name, exitCode: rec.exitCode, reason: rec.reason }, 'container exited');
  }

  /** The container ended without anyone seeing how (conmon gone, the node rebooted). */
  private markLost(rec: ContainerRecord, why: string): void {
    if (rec.phase === 'exited') return;
    rec.phase = 'exited';
    rec.exitCode = UNKNOWN_EXIT_CODE;
    rec.finishedAt = nowNs();
    rec.reason = REASON_UNKNOWN;
    rec.message = why;
    this.persistIfKept(rec);
    this.log.warn({ id: rec.id, name: rec.name, why }, 'container lost');
  }

  private conmonAlive(rt: HandlerRuntime, rec: ContainerRecord): boolean {
    return rec.monitor !== undefined && rec.monitor.conmonPid > 0 && rt.monitor.conmonRunning(rec.monitor);
  }

  // ---- recovery -------------------------------------------------------------------------

  /**
   * Half-created containers are undone. For the rest, the exit file says how a container ended
   * (also while no critterd ran); without one, the runtime's state says whether it still runs.
   * A container neither knows (its runtime state went with a reboot) is recorded as ended with
   * 255 and reason Unknown, as containerd does.
   */
  private async recover(): Promise<void> {
    for (const { id, value: rec } of this.store.list()) {
      this.records.set(id, rec);
      this.names.reserve(rec.name, { id, digest: rec.digest });
      if (rec.phase === 'creating') {
        this.log.warn({ id, name: rec.name }, 'undoing a container whose creation was interrupted');
        await this.undoCreate(rec);
        this.names.release(rec.name, id);
        continue;
      }
      if (rec.phase === 'exited') continue;
      let rt: HandlerRuntime;
      try {
        rt = this.opts.runtimeFor(rec.runtimeHandler);
      } catch (e) {
        this.markLost(rec, errorMessage(e));
        continue;
      }
      const exit = rt.monitor.readExit(id, rec.bundle);
      if (exit) {
        this.markExited(rec, exit);
        continue;
      }
      let status: string | undefined;
      try {
        status = (await rt.driver.state(id)).status;
      } catch (e) {
        this.log.debug({ id, err: errorMessage(e) }, 'runtime state unavailable');
      }
      const state: ContainerState | undefined =
        status === 'running' || status === 'paused' ? 'running' : status === 'created' ? 'created' : undefined;
      if (state) {
        if (state === 'running' && rec.phase !== 'running') {
          // Started, but critterd stopped before it recorded so.
          rec.phase = 'running';
          if (rec.startedAt === '0') rec.startedAt = nowNs();
          this.persist(rec);
        }
        this.watchExit(rec);
      } else if (status === 'stopped' && this.conmonAlive(rt, rec)) {
        // conmon is about to write the exit file.
        this.watchExit(rec);
      } else {
        this.markLost(rec, status === undefined ? 'the runtime no longer knows the container (node restart?)' : `the runtime reports it ${status}, and its monitor is gone`);
      }
    }
    this.log.info({ containers: this.records.size }, 'containers loaded');
  }

  // ---- helpers --------------------------------------------------------------------------

  private mustGet(id: string): ContainerRecord {
    const rec = this.records.get(id);
    if (!rec || rec.phase === 'creating') throw notFound(`container ${id} not found`);
    return rec;
  }

  private persist(rec: ContainerRecord): void {
    this.store.put(rec.id, rec);
  }

  private persistIfKept(rec: ContainerRecord): void {
    if (this.records.get(rec.id) === rec) this.persist(rec);
  }
}

/**
 * The CRI log file: the pod's log_directory joined with the container's log_path, when both are
 * set (the kubelet always sets both); it must stay inside the directory.
 */
export function containerLogPath(logDirectory: string, logPath: string): string {
  if (logDirectory === '' || logPath === '') return '';
  if (!isAbsolute(logDirectory)) throw invalidArgument(`log_directory ${JSON.stringify(logDirectory)} is not absolute`);
  const full = join(logDirectory, logPath);
  const rel = relative(logDirectory, full);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) throw invalidArgument(`log_path ${JSON.stringify(logPath)} leaves the pod's log directory`);
  return full;
}

/** The pod's user namespace, when it has one: the containers' rootfs and volumes are idmapped into it. */
function idmapTargetOf(sandbox: Sandbox): IdmapTarget | undefined {
  const u = sandbox.namespaces.user;
  const uid = u?.uids[0];
  const gid = u?.gids[0];
  if (!sandbox.userNamespacePath || !uid || !gid) return undefined;
  return { usernsFile: sandbox.userNamespacePath, rootUid: uid.hostId, rootGid: gid.hostId };
}

const cleanContainerPath = (p: string): string => posix.normalize(p).replace(/(.)\/$/, '$1');

/**
 * critter idmaps a user-namespaced pod's volumes with the pod's own namespace; a CRI mount that
 * asks for other mappings cannot be served that way.
 */
function checkVolumeMappings(mounts: readonly Mount[], sandbox: Sandbox): void {
  const pod = sandbox.namespaces.user;
  const same = (a: readonly { containerId: number; hostId: number; length: number }[], b: typeof a): boolean =>
    a.length === b.length && a.every((m, i) => m.containerId === b[i]!.containerId && m.hostId === b[i]!.hostId && m.length === b[i]!.length);
  for (const m of mounts) {
    if (m.uidMappings.length === 0 && m.gidMappings.length === 0) continue;
    if (!pod || !same(m.uidMappings, pod.uids) || !same(m.gidMappings, pod.gids)) {
      throw failedPrecondition(
        `mount ${JSON.stringify(m.containerPath)}: critter idmaps the volumes of a user-namespaced pod with the pod's own mappings, and this mount asks for others`,
      );
    }
  }
}
