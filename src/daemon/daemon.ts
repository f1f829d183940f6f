// The composition root: the only place that builds the parts and wires them together.
// Everything stateful that lives for the daemon's lifetime is created here and nowhere else.
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { CritterConfig } from '../config/types.js';
import { NetworkConfigStore } from '../pod/network-config.js';
import type { SandboxContainers } from '../pod/sandbox/containers-hook.js';
import { openContainers, type OpenedContainers } from '../container/open.js';
import { oomFloorNote } from '../container/oom-floor.js';
import { openSandboxes, type OpenedSandboxes } from '../pod/sandbox/open.js';
import { ContentStore } from '../image/content/store.js';
import { ImageService } from '../image/image-service.js';
import { DownloadLimiter } from '../image/pull/limiter.js';
import { TokenCache } from '../image/registry/auth.js';
import { Snapshotter } from '../image/snapshot/snapshotter.js';
import { OciRuntimeDriver } from '../oci/runtime-driver.js';
import { lsmSummary, securityHost } from '../oci/security/lsm-host.js';
import { startCriServer, type CriServer } from '../server/grpc-server.js';
import type { Logger } from '../util/log.js';
import { lockRoot, type RootLock } from './root-lock.js';
import { handlerCapabilities, RuntimeStatusService } from './runtime-status.js';
import { idmapSupport } from '../container/idmap.js';
import { prepareSocketPath } from './socket-path.js';
import { cgroupReader, detectCgroupLayout } from '../stats/cgroup.js';
import { StatsService } from '../stats/service.js';

export interface Daemon {
  stop(): Promise<void>;
}

export const SHUTDOWN_GRACE_MS = 10_000;

export async function startDaemon(config: CritterConfig, version: string, log: Logger): Promise<Daemon> {
  mkdirSync(config.root, { recursive: true, mode: 0o700 });
  mkdirSync(config.state, { recursive: true, mode: 0o711 });
  // Traversable, not listable: a user-namespaced container's runtime resolves its rootfs and
  // volume paths under <state> as the pod's root, an unprivileged uid on the host (containerd
  // keeps its state folders 0711 for the same reason). What is inside keeps its own modes.
  chmodSync(config.state, 0o711);
  const lock: RootLock = await lockRoot(config.root);
  let server: CriServer;
  let pods: OpenedSandboxes | undefined;
  let ctrs: OpenedContainers | undefined;
  try {
    // The socket's folder is private (0700); with the defaults it is --state itself, which
    // user-namespaced pods need traversable: then 0711, and the socket's own 0660 guards it.
    const socketFolderMode = resolve(dirname(config.socket)) === resolve(config.state) ? 0o711 : 0o700;
    const { removedStale } = await prepareSocketPath(config.socket, socketFolderMode);
    if (removedStale) log.info({ socket: config.socket }, 'removed a stale socket left by an earlier critterd');
    // Status asks each handler's runtime what it supports (`<runtime> features`, cached), and
    // critter's own idmapping probe for user namespaces.
    const statusDrivers = new Map(
      Object.values(config.runtime.handlers).map(
        (h) =>
          [h.name, handlerCapabilities(new OciRuntimeDriver({ handler: h, cgroupDriver: config.cgroup.driver, log }), () => idmapSupport(config.state))] as const,
      ),
    );
    const runtimeStatus = new RuntimeStatusService(config, statusDrivers);
    // Probed once, now (its temporary mounts must not outlive a quick stop): whether critter
    // can idmap user-namespaced containers' filesystems here.
    const idmap = await idmapSupport(config.state);
    if (idmap.ok) log.info('idmapped container filesystems work here: user-namespaced pods can run');
    else log.warn({ reason: idmap.reason }, 'critter cannot idmap container filesystems here: user-namespaced pods will be refused');
    for (const [lsm, state] of Object.entries(lsmSummary(securityHost()))) runtimeStatus.note(lsm, state);
    const networkConfig = new NetworkConfigStore(join(config.root, 'network', 'runtime-config.json'));
    const imageLog = log.child({ component: 'images' });
    const content = await ContentStore.open(config.root, imageLog);
    const snapshots = await Snapshotter.open(config.root, imageLog);
    const images = await ImageService.open({
      root: config.root,
      content,
      snapshots,
      tokenCache: new TokenCache(),
      limiter: new DownloadLimiter(config.image.maxConcurrentDownloads),
      log: imageLog,
      registryConfigDir: config.image.registryConfigDir,
      insecureRegistries: config.image.insecureRegistries,
      pullProgressTimeoutMs: config.image.pullProgressTimeoutMs,
      sandboxImage: config.image.sandboxImage,
    });
    // The sandbox and container services need each other: the pod's containers are reached
    // through this hook, bound once the container service exists (before anything is served).
    const podContainers: SandboxContainers = {
      stopAll: (id, signal) => ctrs?.containers.stopAll(id, signal) ?? Promise.resolve(),
      removeAll: (id, signal) => ctrs?.containers.removeAll(id, signal) ?? Promise.resolve(),
    };
    pods = await openSandboxes(config, { networkConfig, containers: podContainers, log });
    ctrs = await openContainers(config, { images, snapshots, sandboxes: pods.sandboxes, log });
    const oomNote = oomFloorNote(ctrs.ownOomScoreAdj);
    if (oomNote) runtimeStatus.note('oomScoreAdj', oomNote);
    const cgroupLayout = detectCgroupLayout();
    log.info({ cgroups: cgroupLayout.kind === 'unified' ? 'v2 (unified)' : cgroupLayout.hybrid ? 'v1 (hybrid)' : 'v1 (legacy)' }, 'cgroup layout for stats');
    const stats = new StatsService({
      containers: ctrs.containers,
      sandboxes: pods.sandboxes,
      snapshots,
      cgroups: cgroupReader(cgroupLayout),
      log: log.child({ component: 'stats' }),
    });
    server = await startCriServer(
      config.socket,
      { version, config, runtimeStatus, networkConfig, images, sandboxes: pods.sandboxes, containers: ctrs.containers, stats },
      log,
    );
  } catch (e) {
    ctrs?.close();
    pods?.close();
    await lock.release();
    throw e;
  }
  log.info({ socket: config.socket, root: config.root, state: config.state, config: config.source, cgroupDriver: config.cgroup.driver }, 'critterd serving CRI v1');
  return {
    async stop() {
      // Containers are never touched here: their monitors keep them alive without us.
      await server.stop(SHUTDOWN_GRACE_MS);
      ctrs?.close();
      pods?.close();
      rmSync(config.socket, { force: true });
      await lock.release();
      log.info('critterd stopped');
    },
  };
}
