// The composition root: the only place that builds the parts and wires them together.
// Everything stateful that lives for the daemon's lifetime is created here and nowhere else.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CritterConfig } from '../config/types.js';
import { NetworkConfigStore } from '../pod/network-config.js';
import { startCriServer, type CriServer } from '../server/grpc-server.js';
import type { Logger } from '../util/log.js';
import { lockRoot, type RootLock } from './root-lock.js';
import { RuntimeStatusService } from './runtime-status.js';
import { prepareSocketPath } from './socket-path.js';

export interface Daemon {
  stop(): Promise<void>;
}

export const SHUTDOWN_GRACE_MS = 10_000;

export async function startDaemon(config: CritterConfig, version: string, log: Logger): Promise<Daemon> {
  mkdirSync(config.root, { recursive: true, mode: 0o700 });
  mkdirSync(config.state, { recursive: true, mode: 0o700 });
  const lock: RootLock = await lockRoot(config.root);
  let server: CriServer;
  try {
    const { removedStale } = await prepareSocketPath(config.socket);
    if (removedStale) log.info({ socket: config.socket }, 'removed a stale socket left by an earlier critterd');
    const runtimeStatus = new RuntimeStatusService(config);
    const networkConfig = new NetworkConfigStore(join(config.root, 'network', 'runtime-config.json'));
    server = await startCriServer(config.socket, { version, config, runtimeStatus, networkConfig }, log);
  } catch (e) {
    await lock.release();
    throw e;
  }
  log.info({ socket: config.socket, root: config.root, state: config.state, config: config.source, cgroupDriver: config.cgroup.driver }, 'critterd serving CRI v1');
  return {
    async stop() {
      // Containers are never touched here: their monitors keep them alive without us.
      await server.stop(SHUTDOWN_GRACE_MS);
      rmSync(config.socket, { force: true });
      await lock.release();
      log.info('critterd stopped');
    },
  };
}
