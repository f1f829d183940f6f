// What the gRPC layer needs from the domain: handed in by the composition root (src/daemon).
import type { CritterConfig } from '../config/types.js';
import type { RuntimeStatusService } from '../daemon/runtime-status.js';
import type { NetworkConfigStore } from '../pod/network-config.js';
import type { ImageService } from '../image/image-service.js';
import type { SandboxService } from '../pod/sandbox/service.js';
import type { ContainerService } from '../container/service.js';
import type { StatsService } from '../stats/service.js';

export interface ServerDeps {
  version: string;
  config: CritterConfig;
  runtimeStatus: RuntimeStatusService;
  networkConfig: NetworkConfigStore;
  images: ImageService;
  sandboxes: SandboxService;
  containers: ContainerService;
  stats: StatsService;
}
