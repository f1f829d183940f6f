// RuntimeService: one thin file per RPC under runtime/, assembled here. RPCs not listed answer
// UNIMPLEMENTED (through instrument) until their issue lands.
import type { RuntimeService } from '../gen/runtime/v1/api_pb.js';
import type { MethodsOf, ServiceHandlers } from './instrument.js';
import type { ServerDeps } from './deps.js';
import { version } from './runtime/version.js';
import { status } from './runtime/status.js';
import { runtimeConfig } from './runtime/runtime-config.js';
import { updateRuntimeConfig } from './runtime/update-runtime-config.js';

export function runtimeHandlers(deps: ServerDeps): ServiceHandlers<MethodsOf<typeof RuntimeService>> {
  return {
    version: version(deps),
    status: status(deps),
    runtimeConfig: runtimeConfig(deps),
    updateRuntimeConfig: updateRuntimeConfig(deps),
  };
}
