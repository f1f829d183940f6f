// The CRI endpoint: both services on a unix socket with the message limits the kubelet and
// crictl use (16 MiB each way; grpc-js would otherwise refuse replies over 4 MiB).
import { chmodSync } from 'node:fs';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { ImageService, RuntimeService } from '../gen/runtime/v1/api_pb.js';
import type { Logger } from '../util/log.js';
import { instrument } from './instrument.js';
import { CRI_CHANNEL_OPTIONS, serviceDefinition } from './service-definitions.js';
import type { ServerDeps } from './deps.js';
import { runtimeHandlers } from './runtime-service.js';
import { imageHandlers } from './image-service.js';
import { pullProgressDefinition } from './image/progress-protocol.js';
import { pullProgressService } from './image/progress-service.js';

export interface CriServer {
  /** Stops accepting, waits up to graceMs for in-flight calls, then cancels the rest. */
  stop(graceMs: number): Promise<void>;
}

export async function startCriServer(socketPath: string, deps: ServerDeps, log: Logger): Promise<CriServer> {
  const server = new Server(CRI_CHANNEL_OPTIONS);
  server.addService(serviceDefinition(RuntimeService), instrument(RuntimeService, runtimeHandlers(deps), log));
  server.addService(serviceDefinition(ImageService), instrument(ImageService, imageHandlers(deps), log));
  // critter's own pull-progress watch for its client (not CRI; see docs/images.md).
  server.addService(pullProgressDefinition, pullProgressService(deps.images, log));
  await new Promise<void>((ok, fail) => {
    server.bindAsync(`unix://${socketPath}`, ServerCredentials.createInsecure(), (err) => (err ? fail(err) : ok()));
  });
  // Owner and group only: anyone who can talk to the CRI can run anything on the node.
  chmodSync(socketPath, 0o660);
  return {
    stop: (graceMs) =>
      new Promise<void>((ok) => {
        const timer = setTimeout(() => {
          log.warn({ graceMs }, 'in-flight calls did not finish in time; cancelling them');
          server.forceShutdown();
          ok();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          ok();
        });
      }),
  };
}
