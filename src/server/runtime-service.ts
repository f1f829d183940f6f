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
import { createContainer } from './runtime/create-container.js';
import { startContainer } from './runtime/start-container.js';
import { stopContainer } from './runtime/stop-container.js';
import { removeContainer } from './runtime/remove-container.js';
import { containerStatus } from './runtime/container-status.js';
import { listContainers } from './runtime/list-containers.js';
import { updateContainerResources } from './runtime/update-container-resources.js';
import { execSync } from './runtime/exec-sync.js';
import { reopenContainerLog } from './runtime/reopen-container-log.js';
import { containerStats } from './runtime/container-stats.js';
import { listContainerStats } from './runtime/list-container-stats.js';
import { podSandboxStats } from './runtime/pod-sandbox-stats.js';
import { listPodSandboxStats } from './runtime/list-pod-sandbox-stats.js';

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
    createContainer: createContainer(deps),
    startContainer: startContainer(deps),
    stopContainer: stopContainer(deps),
    removeContainer: removeContainer(deps),
    containerStatus: containerStatus(deps),
    listContainers: listContainers(deps),
    updateContainerResources: updateContainerResources(deps),
    execSync: execSync(deps),
    reopenContainerLog: reopenContainerLog(deps),
    containerStats: containerStats(deps),
    listContainerStats: listContainerStats(deps),
    podSandboxStats: podSandboxStats(deps),
    listPodSandboxStats: listPodSandboxStats(deps),
  };
}
