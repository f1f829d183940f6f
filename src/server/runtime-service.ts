// RuntimeService: one thin file per RPC under runtime/, assembled here. RPCs not listed answer
// UNIMPLEMENTED (through instrument) until their issue lands.
import type { RuntimeService } from '../gen/runtime/v1/api_pb.js';
import type { MethodsOf, ServiceHandlers } from './instrument.js';
import type { ServerDeps } from './deps.js';
import { version } from './runtime/version.js';
import { status } from './runtime/status.js';
import { runtimeConfig } from './runtime/runtime-config.js';
import { updateRuntimeConfig } from './runtime/update-runtime-config.js';
import { runPodSandbox } from './runtime/run-pod-sandbox.js';
import { stopPodSandbox } from './runtime/stop-pod-sandbox.js';
import { removePodSandbox } from './runtime/remove-pod-sandbox.js';
import { podSandboxStatus } from './runtime/pod-sandbox-status.js';
import { listPodSandbox } from './runtime/list-pod-sandbox.js';

export function runtimeHandlers(deps: ServerDeps): ServiceHandlers<MethodsOf<typeof RuntimeService>> {
  return {
    version: version(deps),
    status: status(deps),
    runtimeConfig: runtimeConfig(deps),
    updateRuntimeConfig: updateRuntimeConfig(deps),
    runPodSandbox: runPodSandbox(deps),
    stopPodSandbox: stopPodSandbox(deps),
    removePodSandbox: removePodSandbox(deps),
    podSandboxStatus: podSandboxStatus(deps),
    listPodSandbox: listPodSandbox(deps),
  };
}
