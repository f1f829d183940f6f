// Builds the sandbox service and the parts only it uses (CNI manager, one conmon monitor per
// runtime handler for pause processes) from the config; called by the composition root.
import { join } from 'node:path';
import type { CritterConfig } from '../../config/types.js';
import { ConmonMonitor } from '../../container/monitor/conmon.js';
import { OciRuntimeDriver } from '../../oci/runtime-driver.js';
import { reportsUserNamespaces } from '../../oci/security/userns.js';
import { idmapSupport } from '../../container/idmap.js';
import { internal } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { CniManager } from '../cni/manager.js';
import type { NetworkConfigStore } from '../network-config.js';
import { nativeBinaryPath } from '../../util/native-binary.js';
import { PauseInfra } from '../infra/pause-infra.js';
import type { SandboxContainers } from './containers-hook.js';
import { SandboxService } from './service.js';

export interface OpenedSandboxes {
  sandboxes: SandboxService;
  cni: CniManager;
  close(): void;
}

export async function openSandboxes(
  config: CritterConfig,
  deps: { networkConfig: NetworkConfigStore; containers: SandboxContainers; log: Logger; pausePath?: string },
): Promise<OpenedSandboxes> {
  const log = deps.log.child({ component: 'sandboxes' });
  const cni = new CniManager({
    confDir: config.network.cniConfDir,
    binDirs: config.network.cniBinDirs,
    cacheDir: join(config.root, 'cni', 'results'),
    logger: log,
  });
  const monitors = new Map<string, ConmonMonitor>();
  const monitorFor = (handler: string): ConmonMonitor => {
    let m = monitors.get(handler);
    if (m) return m;
    const h = config.runtime.handlers[handler];
    if (!h) throw internal(`runtime handler "${handler}" is not configured`);
    const dir = join(config.state, 'pause', handler);
    m = new ConmonMonitor({
      conmonPath: config.monitor.conmonPath,
      runtime: new OciRuntimeDriver({ handler: h, cgroupDriver: config.cgroup.driver, log }),
      cgroupDriver: config.cgroup.driver,
      exitDir: join(dir, 'exits'),
      socketDir: join(dir, 'sockets'),
      log,
    });
    monitors.set(handler, m);
    return m;
  };
  const infra = new PauseInfra({ pausePath: deps.pausePath ?? nativeBinaryPath('pause'), cgroupDriver: config.cgroup.driver, monitorFor, log });
  const sandboxes = await SandboxService.open({
    stateDir: join(config.state, 'sandboxes'),
    recordsDir: join(config.root, 'sandboxes'),
    defaultHandler: config.runtime.defaultHandler,
    handlers: Object.keys(config.runtime.handlers),
    cgroupDriver: config.cgroup.driver,
    network: cni,
    podCidrs: () => deps.networkConfig.podCidr,
    infra,
    containers: deps.containers,
    log,
    // Exactly what Status reports as the handler's user_namespaces feature.
    userNamespaceSupport: async (handler) => {
      const driver = monitorFor(handler).runtime;
      const idmap = await idmapSupport(config.state);
      return { userNamespaces: reportsUserNamespaces(await driver.features()), idmappedMounts: idmap.ok, idmapProblem: idmap.ok ? undefined : idmap.reason };
    },
  });
  return {
    sandboxes,
    cni,
    close() {
      sandboxes.close();
      for (const m of monitors.values()) m.close();
    },
  };
}
