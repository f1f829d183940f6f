// What the gRPC layer needs from the domain: handed in by the composition root (src/daemon).
import type { CritterConfig } from '../config/types.js';
import type { RuntimeStatusService } from '../daemon/runtime-status.js';
import type { NetworkConfigStore } from '../pod/network-config.js';

export interface ServerDeps {
  version: string;
  config: CritterConfig;
  runtimeStatus: RuntimeStatusService;
  networkConfig: NetworkConfigStore;
}
