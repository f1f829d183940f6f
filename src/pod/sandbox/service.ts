// Pod sandboxes without a long-lived process (as CRI-O's drop_infra_ctr): namespace files pinned
// by bind mounts, the CNI attachment, the pod's hostname/resolv.conf/hosts files and /dev/shm.
// Only a pod sharing one PID namespace gets a process: the pause container that owns it.
//
// Every sandbox has a record written before each step that creates something, so a failure
// undoes exactly what exists, and a crash mid-way is undone at the next start.
import { mkdirSync, rmSync } from 'node:fs';
import { isIP } from 'node:net';
import type { CgroupDriver } from '../../config/types.js';
import { RecordStore } from '../../store/record-store.js';
import { orAbort } from '../../util/abort.js';
import { writeFileAtomic } from '../../store/atomic-file.js';
import { alreadyExists, errorMessage, internal, invalidArgument, isCritterError, notFound } from '../../util/errors.js';
import { silentLogger, type Logger } from '../../util/log.js';
import type { CniManager } from '../cni/manager.js';
import { KeyedMutex } from '../cni/keyed-mutex.js';
import { hostHostsContent, podHostsContent, HOST_HOSTS } from '../files/hosts.js';
import { checkHostname, podHostname, setUtsHostname } from '../files/hostname.js';
import { checkDnsConfig, hasDnsConfig, resolvConfContent, HOST_RESOLV_CONF } from '../files/resolv-conf.js';
import { DEFAULT_SHM_BYTES, mountShm, unmountShm } from '../files/shm.js';
import type { InfraRecord, InfraStartOptions } from '../infra/pause-infra.js';
import { isMountPoint } from '../netns/mountinfo.js';
import { createUserOwnedNamespaces, releaseNamespaceDir, removeNamespaceFile } from '../netns/namespace-file.js';
import { pinNamespaces } from '../netns/pin-namespaces.js';
import { bringLoopbackUp } from '../netns/netns-exec.js';
import { bandwidthFromAnnotations } from './bandwidth.js';
import type { SandboxContainers } from './containers-hook.js';
import { filterSandboxes } from './filter.js';
import { requestDigest, sandboxName } from './identity.js';
import { newObjectId } from '../../store/object-id.js';
import { sandboxLayout } from './layout.js';
import { parseSandboxRecord, type SandboxRecord } from './record.js';
import { NameReservations } from '../../store/name-reservations.js';
import { applySysctl, checkSysctls, needsPodInterfaces, sysctlPath } from './sysctls.js';
import type { Sandbox, SandboxFilter, SandboxRequest, SandboxStatusDetail } from './types.js';
import { checkUserNamespaceSupport, podUserNamespace, type PodUserNamespace, type UserNamespaceSupport } from './userns.js';

/** The parts of the CNI manager sandboxes use. */
export type PodNetwork = Pick<CniManager, 'add' | 'del' | 'attachment'>;

/** The parts of the pause runner sandboxes use. */
export interface InfraRunner {
  start(o: InfraStartOptions): Promise<InfraRecord>;
  stop(r: InfraRecord): Promise<void>;
  running(r: InfraRecord): Promise<boolean>;
  watch(r: InfraRecord, cb: () => void): () => void;
}

export interface SandboxServiceOptions {
  /** Per-sandbox folders: namespace files, shm, resolv.conf, ... (<state>/sandboxes). */
  stateDir: string;
  /** Sandbox records (<root>/sandboxes): they outlive a reboot, the namespaces do not. */
  recordsDir: string;
  defaultHandler: string;
  handlers: readonly string[];
  cgroupDriver: CgroupDriver;
  network: PodNetwork;
  /** The node's pod CIDRs (UpdateRuntimeConfig), for the ipRanges capability. */
  podCidrs: () => readonly string[];
  infra: InfraRunner;
  containers: SandboxContainers;
  log?: Logger;
  /** The node's files host-network pods (and pods without DNSConfig) get. */
  hostFiles?: { resolvConf: string; hosts: string };
  /** Bound on a RunPodSandbox that the client stopped waiting for. */
  createTimeoutMs?: number;
  /** What a handler's runtime can do for user-namespaced pods; absent: nothing. */
  userNamespaceSupport?: (handler: string) => Promise<UserNamespaceSupport>;
}

const DEFAULT_CREATE_TIMEOUT_MS = 4 * 60_000;
const NO_NETWORK = { ip: '', additionalIps: [] };

export class SandboxService {
  private readonly log: Logger;
  private readonly store: RecordStore<SandboxRecord>;
  private readonly records = new Map<string, SandboxRecord>();
  private readonly names = new NameReservations();
  private readonly locks = new KeyedMutex();
  private readonly infraWatches = new Map<string, () => void>();
  private readonly hostFiles: { resolvConf: string; hosts: string };

  private constructor(private readonly opts: SandboxServiceOptions) {
    this.log = opts.log ?? silentLogger();
    this.store = new RecordStore({ dir: opts.recordsDir, parse: parseSandboxRecord, log: this.log });
    this.hostFiles = opts.hostFiles ?? { resolvConf: HOST_RESOLV_CONF, hosts: HOST_HOSTS };
    mkdirSync(opts.stateDir, { recursive: true, mode: 0o711 });
  }

  /** Loads the records and brings them in line with the node (see recover). */
  static async open(opts: SandboxServiceOptions): Promise<SandboxService> {
    const s = new SandboxService(opts);
    await s.recover();
    return s;
  }

  /**
   * RunPodSandbox. The kubelet gives up on a slow call after its runtime-request-timeout and
   * sends the same request again; so creation is not tied to the caller's signal: it goes on,
   * and an identical request arriving meanwhile waits for it and gets its id. An identical
   * request for a sandbox that is already ready gets that sandbox's id too (the first answer may
   * never have reached the kubelet). Any other request for a reserved name is AlreadyExists.
   */
  async run(req: SandboxRequest, signal: AbortSignal): Promise<string> {
    const handler = this.checkRequest(req);
    if (podUserNamespace(req.namespaces)) {
      const support = this.opts.userNamespaceSupport;
      checkUserNamespaceSupport(handler, support ? await support(handler) : { userNamespaces: false, idmappedMounts: false });
    }
    const name = sandboxName(req.metadata);
    const digest = requestDigest(req.config, handler);
    const held = this.names.get(name);
    if (held) {
      if (held.digest === digest) {
        if (held.pending) {
          this.log.info({ name, id: held.id }, 'RunPodSandbox repeated while the first is in progress; waiting for it');
          return orAbort(held.pending, signal);
        }
        if (this.records.get(held.id)?.phase === 'ready') {
          this.log.info({ name, id: held.id }, 'RunPodSandbox repeated for a ready sandbox; returning it');
          return held.id;
        }
      }
      throw alreadyExists(`pod sandbox name "${name}" is reserved by sandbox ${held.id}`);
    }
    const id = newObjectId();
    const pending = this.locks.run(id, () => this.create(id, name, digest, handler, req));
    this.names.reserve(name, { id, digest, pending });
    pending.then(
      () => this.names.settle(name, id),
      (e: unknown) => {
        // A failed sandbox that could not be fully undone stays listed (NOTREADY) and keeps its name.
        if (!this.records.has(id)) this.names.release(name, id);
        this.log.warn({ name, id, err: errorMessage(e) }, 'RunPodSandbox failed');
      },
    );
    return orAbort(pending, signal);
  }

  /** StopPodSandbox: idempotent; an unknown id is fine. */
  async stop(id: string, signal: AbortSignal): Promise<void> {
    await this.locks.run(id, async () => {
      const rec = this.records.get(id);
      if (!rec || rec.phase === 'creating') return;
      await this.opts.containers.stopAll(id, signal);
      await this.teardown(rec, 'strict');
      if (rec.phase !== 'notready') {
        rec.phase = 'notready';
        this.persist(rec);
      }
      this.log.info({ id, name: rec.name }, 'pod sandbox stopped');
    });
  }

  /** RemovePodSandbox: stops if need be, removes containers and everything of the sandbox. */
  async remove(id: string, signal: AbortSignal): Promise<void> {
    await this.locks.run(id, async () => {
      const rec = this.records.get(id);
      if (!rec || rec.phase === 'creating') return;
      await this.opts.containers.stopAll(id, signal);
      await this.teardown(rec, 'strict');
      await this.opts.containers.removeAll(id, signal);
      this.removeDir(rec);
      this.forget(rec);
      this.log.info({ id, name: rec.name }, 'pod sandbox removed');
    });
  }

  /** The sandbox, for the container service and status; NotFound if unknown. */
  get(id: string): Sandbox {
    const s = this.find(id);
    if (!s) throw notFound(`pod sandbox ${id} not found`);
    return s;
  }

  find(id: string): Sandbox | undefined {
    const rec = this.records.get(id);
    return rec && rec.phase !== 'creating' ? this.view(rec) : undefined;
  }

  list(filter?: SandboxFilter): Sandbox[] {
    const all = [...this.records.values()].filter((r) => r.phase !== 'creating').map((r) => this.view(r));
    return filterSandboxes(all, filter);
  }

  status(id: string): SandboxStatusDetail {
    const rec = this.records.get(id);
    if (!rec || rec.phase === 'creating') throw notFound(`pod sandbox ${id} not found`);
    const sandbox = this.view(rec);
    const info: Record<string, unknown> = {
      pid: sandbox.infraPid ?? 0,
      infra: rec.infra ? { id: rec.infra.id, bundle: rec.infra.bundle, conmonPid: rec.infra.conmonPid } : null,
      infraless: rec.infra === undefined,
      netNamespacePath: sandbox.netnsPath ?? '',
      ipcNamespacePath: sandbox.ipcPath ?? '',
      utsNamespacePath: sandbox.utsPath ?? '',
      userNamespacePath: sandbox.userNamespacePath ?? '',
      netNamespaceClosed: sandbox.netnsPath !== undefined && !isMountPoint(sandbox.netnsPath),
      shmPath: sandbox.shmPath,
      files: sandbox.files,
      cgroupParent: sandbox.cgroupParent,
      sysctls: sandbox.sysctls,
      runtimeHandler: sandbox.runtimeHandler,
      reason: rec.reason ?? '',
      cniResult: rec.cniAttached ? (this.opts.network.attachment(id)?.result ?? null) : null,
      config: rec.request.config,
    };
    return { sandbox, info };
  }

  /** Stops watching pause processes (daemon shutdown); sandboxes stay as they are. */
  close(): void {
    for (const cancel of this.infraWatches.values()) cancel();
    this.infraWatches.clear();
  }

  // ---- creation -------------------------------------------------------------------------

  /** Checks what the server's validation cannot; returns the runtime handler to use. */
  private checkRequest(req: SandboxRequest): string {
    const handler = req.runtimeHandler === '' ? this.opts.defaultHandler : req.runtimeHandler;
    if (!this.opts.handlers.includes(handler)) {
      throw invalidArgument(`unknown runtime handler "${handler}": the configured handlers are ${this.opts.handlers.join(', ')}`);
    }
    const ns = req.namespaces;
    podUserNamespace(ns);
    if (ns.network === 'target' || ns.network === 'container') throw invalidArgument('network namespace mode must be POD or NODE');
    if (ns.ipc === 'target' || ns.ipc === 'container') throw invalidArgument('IPC namespace mode must be POD or NODE');
    const hostNet = ns.network === 'node';
    if (req.hostname !== '') checkHostname(req.hostname);
    if (req.dns) checkDnsConfig(req.dns);
    checkSysctls(req.sysctls, hostNet, ns.ipc === 'node');
    bandwidthFromAnnotations(req.annotations);
    for (const p of req.portMappings) {
      const port = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 65535;
      if (!port(p.containerPort) || !port(p.hostPort)) throw invalidArgument(`port mapping ${p.hostPort}:${p.containerPort} is out of range`);
      if (p.hostIp !== '' && isIP(p.hostIp) === 0) throw invalidArgument(`port mapping host_ip "${p.hostIp}" is not an IP address`);
    }
    this.checkCgroupParent(req.cgroupParent);
    return handler;
  }

  private checkCgroupParent(parent: string): void {
    if (parent === '') return;
    if (this.opts.cgroupDriver === 'systemd') {
      if (!/^[A-Za-z0-9_.@:-]+\.slice$/.test(parent)) {
        throw invalidArgument(`cgroup_parent "${parent}" is not a systemd slice (e.g. kubepods-burstable-pod<uid>.slice), as the systemd cgroup driver needs`);
      }
    } else if (parent.endsWith('.slice') || parent.split('/').some((p) => p === '..')) {
      throw invalidArgument(`cgroup_parent "${parent}" is not a cgroupfs path (e.g. /kubepods/burstable/pod<uid>), as the cgroupfs driver needs`);
    }
  }

  private async create(id: string, name: string, digest: string, handler: string, req: SandboxRequest): Promise<string> {
    const l = sandboxLayout(this.opts.stateDir, id);
    const hostNet = req.namespaces.network === 'node';
    const hostIpc = req.namespaces.ipc === 'node';
    const userns: PodUserNamespace | undefined = podUserNamespace(req.namespaces);
    const rec: SandboxRecord = {
      version: 1,
      id,
      name,
      digest,
      phase: 'creating',
      createdAt: (BigInt(Date.now()) * 1_000_000n).toString(),
      request: req,
      runtimeHandler: handler,
      hostname: podHostname(req.hostname, req.metadata.name, hostNet),
      dir: l.dir,
      netnsPath: hostNet ? undefined : l.net,
      ipcPath: hostIpc ? undefined : l.ipc,
      utsPath: hostNet ? undefined : l.uts,
      userNamespacePath: userns ? l.user : undefined,
      shmPath: hostIpc ? '/dev/shm' : l.shm,
      cniAttached: false,
      network: { ...NO_NETWORK },
    };
    const signal = AbortSignal.timeout(this.opts.createTimeoutMs ?? DEFAULT_CREATE_TIMEOUT_MS);
    this.records.set(id, rec);
    try {
      mkdirSync(l.dir, { recursive: true, mode: 0o711 });
      this.persist(rec);
      const sysctls = checkSysctls(req.sysctls, hostNet, hostIpc);
      // Sysctls of interfaces CNI has yet to create wait until after CNI ADD.
      let lateSysctls = sysctls.filter(needsPodInterfaces);
      if (userns && rec.userNamespacePath) {
        // The pod's namespaces belong to its user namespace, so its containers can join them.
        await createUserOwnedNamespaces({ user: rec.userNamespacePath, net: rec.netnsPath, ipc: rec.ipcPath, uts: rec.utsPath }, userns.uid, userns.gid);
        if (rec.netnsPath) await bringLoopbackUp(rec.netnsPath);
        if (rec.utsPath) await setUtsHostname(rec.utsPath, rec.hostname);
        if (!hostIpc) await mountShm(rec.shmPath);
        lateSysctls = sysctls;
      } else {
        // One native helper creates and pins the namespaces, sets the hostname, brings lo up,
        // writes the sysctls and mounts /dev/shm (see native/pinns.c).
        if (rec.utsPath) checkHostname(rec.hostname);
        await pinNamespaces({
          net: rec.netnsPath,
          ipc: rec.ipcPath,
          uts: rec.utsPath,
          hostname: rec.utsPath ? rec.hostname : undefined,
          loopbackUp: rec.netnsPath !== undefined,
          sysctls: sysctls.filter((x) => !needsPodInterfaces(x)).map((x) => ({ path: sysctlPath(x.name), value: x.value })),
          shm: hostIpc ? undefined : { dir: rec.shmPath, sizeBytes: DEFAULT_SHM_BYTES },
          signal,
        });
      }
      if (rec.netnsPath) {
        rec.cniAttached = true;
        this.persist(rec);
        const att = await this.addToNetwork(rec, {
          podId: id,
          netnsPath: rec.netnsPath,
          pod: { name: req.metadata.name, namespace: req.metadata.namespace, uid: req.metadata.uid },
          options: {
            portMappings: req.portMappings.map((p) => ({ hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol, hostIP: p.hostIp })),
            bandwidth: bandwidthFromAnnotations(req.annotations),
            dns: hasDnsConfig(req.dns) ? req.dns : undefined,
            podCidrs: this.opts.podCidrs(),
          },
          signal,
        });
        rec.network = { ip: att.ips.primary, additionalIps: att.ips.additional };
      }
      for (const s of lateSysctls) {
        const path = s.ns === 'net' ? rec.netnsPath : rec.ipcPath;
        if (path) await applySysctl(s, path);
      }
      this.writeFiles(rec, l);
      if (req.namespaces.pid === 'pod') {
        rec.infra = await this.opts.infra.start({
          sandboxId: id,
          handler,
          bundle: l.infraBundle,
          netnsPath: rec.netnsPath,
          ipcPath: rec.ipcPath,
          utsPath: rec.utsPath,
          userns: userns && rec.userNamespacePath ? { path: rec.userNamespacePath, uid: userns.uid, gid: userns.gid } : undefined,
          cgroupParent: req.cgroupParent,
          onPrepared: (r) => {
            rec.infra = r;
            this.persist(rec);
          },
        });
      }
      rec.phase = 'ready';
      this.persist(rec);
      this.watchInfra(rec);
      this.log.info({ id, name, ip: rec.network.ip, infra: rec.infra?.pid ?? 0 }, 'pod sandbox ready');
      return id;
    } catch (e) {
      await this.undoCreate(rec, e);
      throw e;
    }
  }

  /**
   * CNI ADD. A failed ADD is undone by the CNI manager itself (and its cache kept if that undo
   * failed), so the sandbox's own cleanup must not run DEL again: with a broken conflist that
   * second DEL would fail too and strand the sandbox.
   */
  private async addToNetwork(rec: SandboxRecord, req: Parameters<PodNetwork['add']>[0]): Promise<Awaited<ReturnType<PodNetwork['add']>>> {
    try {
      return await this.opts.network.add(req);
    } catch (e) {
      rec.cniAttached = false;
      this.persist(rec);
      throw e;
    }
  }

  private writeFiles(rec: SandboxRecord, l: ReturnType<typeof sandboxLayout>): void {
    const hostNet = rec.netnsPath === undefined;
    writeFileAtomic(l.hostname, `${rec.hostname}\n`, 0o644);
    writeFileAtomic(l.resolvConf, resolvConfContent(rec.request.dns, this.hostFiles.resolvConf), 0o644);
    const hosts = hostNet ? hostHostsContent(this.hostFiles.hosts) : podHostsContent(rec.hostname, [rec.network.ip, ...rec.network.additionalIps]);
    writeFileAtomic(l.hosts, hosts, 0o644);
  }

  /** After a failed creation: undo everything; what cannot be undone stays listed as NOTREADY. */
  private async undoCreate(rec: SandboxRecord, cause: unknown): Promise<void> {
    const problems = await this.teardown(rec, 'best-effort');
    if (problems.length === 0) {
      try {
        this.removeDir(rec);
        this.forget(rec);
        return;
      } catch (e) {
        problems.push(errorMessage(e));
      }
    }
    rec.phase = 'notready';
    rec.reason = `creation failed (${errorMessage(cause)}) and could not be fully undone: ${problems.join('; ')}`;
    this.persist(rec);
    this.log.error({ id: rec.id, problems }, 'a failed pod sandbox left resources behind; it stays listed as NOTREADY for the kubelet to remove');
  }

  // ---- teardown -------------------------------------------------------------------------

  /**
   * Releases what the sandbox holds on the node, in reverse order of creation: the pause
   * process, the CNI attachment, the namespace files, the shm mount. Every step is idempotent.
   * 'strict' stops at the first failure (the kubelet retries StopPodSandbox); 'best-effort'
   * tries them all and returns the failures.
   */
  private async teardown(rec: SandboxRecord, mode: 'strict' | 'best-effort'): Promise<string[]> {
    const problems: string[] = [];
    const step = async (what: string, fn: () => Promise<void>): Promise<boolean> => {
      try {
        await fn();
        return true;
      } catch (e) {
        if (mode === 'strict') throw isCritterError(e) ? e : internal(`${what} of pod sandbox ${rec.id}: ${errorMessage(e)}`, e);
        problems.push(`${what}: ${errorMessage(e)}`);
        this.log.warn({ id: rec.id, step: what, err: errorMessage(e) }, 'pod sandbox cleanup step failed');
        return false;
      }
    };
    this.infraWatches.get(rec.id)?.();
    this.infraWatches.delete(rec.id);
    const infra = rec.infra;
    if (infra && (await step('stopping the pause process', () => this.opts.infra.stop(infra)))) {
      rec.infra = undefined;
      this.persistIfKept(rec);
    }
    if (rec.cniAttached) {
      const netnsPath = rec.netnsPath;
      const m = rec.request.metadata;
      const ok = await step('CNI DEL', () =>
        this.opts.network.del({ podId: rec.id, netnsPath, pod: { name: m.name, namespace: m.namespace, uid: m.uid }, signal: AbortSignal.timeout(DEFAULT_CREATE_TIMEOUT_MS) }),
      );
      if (ok) {
        rec.cniAttached = false;
        this.persistIfKept(rec);
      }
    }
    rec.network = { ...NO_NETWORK };
    const l = sandboxLayout(this.opts.stateDir, rec.id);
    // The user namespace last: it owns the others.
    for (const p of [rec.netnsPath, rec.ipcPath, rec.utsPath, rec.userNamespacePath]) {
      if (p !== undefined) await step(`removing namespace file ${p}`, () => removeNamespaceFile(p));
    }
    await step('releasing the namespace folder', () => releaseNamespaceDir(l.nsDir));
    if (rec.shmPath !== '/dev/shm') await step('unmounting shm', () => unmountShm(rec.shmPath));
    return problems;
  }

  private removeDir(rec: SandboxRecord): void {
    // Never recurse into something still mounted (a tmpfs's files, a namespace).
    if (isMountPoint(rec.dir) || [rec.netnsPath, rec.ipcPath, rec.utsPath, rec.userNamespacePath, rec.shmPath].some((p) => p !== undefined && p.startsWith(`${rec.dir}/`) && isMountPoint(p))) {
      throw internal(`pod sandbox ${rec.id}: ${rec.dir} still holds mounts`);
    }
    rmSync(rec.dir, { recursive: true, force: true });
  }

  private forget(rec: SandboxRecord): void {
    this.store.delete(rec.id);
    this.records.delete(rec.id);
    this.names.release(rec.name, rec.id);
  }

  private persist(rec: SandboxRecord): void {
    this.store.put(rec.id, rec);
  }

  /** Progress during teardown is kept only for sandboxes that still have a record. */
  private persistIfKept(rec: SandboxRecord): void {
    if (this.records.has(rec.id)) this.persist(rec);
  }

  // ---- the pause process and recovery ----------------------------------------------------

  /** A pod whose pause process ends has lost its PID namespace: it is no longer ready. */
  private watchInfra(rec: SandboxRecord): void {
    const infra = rec.infra;
    if (!infra || rec.phase !== 'ready') return;
    const cancel = this.opts.infra.watch(infra, () => {
      this.infraWatches.delete(rec.id);
      void this.locks.run(rec.id, () => {
        if (this.records.get(rec.id) === rec && rec.phase === 'ready') this.markNotReady(rec, 'the pause process exited');
        return Promise.resolve();
      });
    });
    this.infraWatches.set(rec.id, cancel);
  }

  private markNotReady(rec: SandboxRecord, reason: string): void {
    rec.phase = 'notready';
    rec.reason = reason;
    this.persist(rec);
    this.log.warn({ id: rec.id, name: rec.name, reason }, 'pod sandbox is no longer ready');
  }

  /**
   * Half-created sandboxes (a crash during RunPodSandbox) are undone and dropped. Ready ones
   * stay ready only if their network namespace is still mounted (a reboot unmounts it) and
   * their pause process, if any, still runs.
   */
  private async recover(): Promise<void> {
    for (const { id, value: rec } of this.store.list()) {
      this.records.set(id, rec);
      this.names.reserve(rec.name, { id, digest: rec.digest });
      if (rec.phase === 'creating') {
        this.log.warn({ id, name: rec.name }, 'undoing a pod sandbox whose creation was interrupted');
        await this.undoCreate(rec, internal('critterd stopped during RunPodSandbox'));
        continue;
      }
      if (rec.phase !== 'ready') continue;
      if (rec.netnsPath !== undefined && !isMountPoint(rec.netnsPath)) {
        this.markNotReady(rec, 'the network namespace is gone (node restart?)');
      } else if (rec.infra && !(await this.opts.infra.running(rec.infra))) {
        this.markNotReady(rec, 'the pause process is not running');
      } else {
        this.watchInfra(rec);
      }
    }
    this.log.info({ sandboxes: this.records.size }, 'pod sandboxes loaded');
  }

  private view(rec: SandboxRecord): Sandbox {
    const req = rec.request;
    const l = sandboxLayout(this.opts.stateDir, rec.id);
    return {
      id: rec.id,
      name: rec.name,
      metadata: { ...req.metadata },
      state: rec.phase === 'ready' ? 'ready' : 'notready',
      createdAt: BigInt(rec.createdAt),
      runtimeHandler: rec.runtimeHandler,
      labels: { ...req.labels },
      annotations: { ...req.annotations },
      hostname: rec.hostname,
      logDirectory: req.logDirectory,
      namespaces: { ...req.namespaces },
      netnsPath: rec.netnsPath,
      ipcPath: rec.ipcPath,
      utsPath: rec.utsPath,
      userNamespacePath: rec.userNamespacePath,
      infraPid: rec.infra && rec.infra.pid > 0 && rec.phase === 'ready' ? rec.infra.pid : undefined,
      files: { hostname: l.hostname, resolvConf: l.resolvConf, hosts: l.hosts },
      shmPath: rec.shmPath,
      cgroupParent: req.cgroupParent,
      sysctls: { ...req.sysctls },
      privileged: req.privileged,
      portMappings: req.portMappings.map((p) => ({ ...p })),
      dns: req.dns ? { servers: [...req.dns.servers], searches: [...req.dns.searches], options: [...req.dns.options] } : undefined,
      network: { ip: rec.network.ip, additionalIps: [...rec.network.additionalIps] },
      dir: rec.dir,
    };
  }
}
