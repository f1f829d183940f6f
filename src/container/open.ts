// Builds the container service and what only it uses (one runtime driver and one conmon monitor
// per runtime handler, the host facts the spec builder needs) from the config; called by the
// composition root.
import { join } from 'node:path';
import type { CritterConfig } from '../config/types.js';
import type { ImageService } from '../image/image-service.js';
import type { Snapshotter } from '../image/snapshot/snapshotter.js';
import { OciRuntimeDriver } from '../oci/runtime-driver.js';
import { securityHost } from '../oci/security/lsm-host.js';
import { probeHost, readOwnOomScoreAdj } from '../oci/spec/index.js';
import type { Sandbox } from '../pod/sandbox/types.js';
import { internal } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { ConmonMonitor } from './monitor/conmon.js';
import { ContainerService, type HandlerRuntime } from './service.js';

export interface OpenedContainers {
  containers: ContainerService;
  /** critterd's own oom_score_adj, the floor of every container's. */
  ownOomScoreAdj: number;
  close(): void;
}

export async function openContainers(
  config: CritterConfig,
  deps: { images: ImageService; snapshots: Snapshotter; sandboxes: { get(id: string): Sandbox }; log: Logger },
): Promise<OpenedContainers> {
  const log = deps.log.child({ component: 'containers' });
  const runtimes = new Map<string, HandlerRuntime>();
  const runtimeFor = (handler: string): HandlerRuntime => {
    let r = runtimes.get(handler);
    if (r) return r;
    const h = config.runtime.handlers[handler];
    if (!h) throw internal(`runtime handler "${handler}" is not configured`);
    const driver = new OciRuntimeDriver({ handler: h, cgroupDriver: config.cgroup.driver, log });
    // Exit files live in the state dir: after a reboot they are gone, as the containers are.
    const dir = join(config.state, 'monitor', handler);
    const monitor = new ConmonMonitor({
      conmonPath: config.monitor.conmonPath,
      runtime: driver,
      cgroupDriver: config.cgroup.driver,
      exitDir: join(dir, 'exits'),
      socketDir: join(dir, 'sockets'),
      log,
    });
    r = { driver, monitor };
    runtimes.set(handler, r);
    return r;
  };
  const ownOomScoreAdj = readOwnOomScoreAdj();
  const containers = await ContainerService.open({
    stateDir: join(config.state, 'containers'),
    recordsDir: join(config.root, 'containers'),
    runtimeFor,
    sandboxes: deps.sandboxes,
    images: deps.images,
    snapshots: deps.snapshots,
    cgroupDriver: config.cgroup.driver,
    host: probeHost(),
    ownOomScoreAdj,
    security: securityHost(),
    // A pod must never reach the runtime's own state, whatever the list says.
    forbiddenHostPaths: [...config.security.forbiddenHostPaths, config.root, config.state],
    log,
  });
  return {
    containers,
    ownOomScoreAdj,
    close() {
      containers.close();
      for (const r of runtimes.values()) r.monitor.close();
    },
  };
}
