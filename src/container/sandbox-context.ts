// What a container joins of its pod: the sandbox's namespaces, files and cgroup, in the spec
// builder's terms. The PID namespace is the one choice made per container.
import { NamespaceMode, type ContainerConfig } from '../gen/runtime/v1/api_pb.js';
import type { PidNamespace, SandboxContext } from '../oci/spec/index.js';
import type { Sandbox } from '../pod/sandbox/types.js';
import { failedPrecondition } from '../util/errors.js';

/**
 * The container's PID namespace. POD (the proto default, so also "unset") follows the pod:
 * the pause process's namespace when the pod shares one, else the container's own (critter
 * runs no pause process for such pods) or the host's for a hostPID pod.
 */
export function pidNamespaceFor(config: ContainerConfig, sandbox: Sandbox, targetPid: (id: string) => number): PidNamespace {
  const opts = config.linux?.securityContext?.namespaceOptions;
  const mode = opts?.pid ?? NamespaceMode.POD;
  switch (mode) {
    case NamespaceMode.NODE:
      return { mode: 'node' };
    case NamespaceMode.CONTAINER:
      return { mode: 'container' };
    case NamespaceMode.TARGET:
      return { mode: 'target', targetPid: targetPid(opts?.targetId ?? '') };
    default:
      break;
  }
  if (sandbox.namespaces.pid === 'node') return { mode: 'node' };
  if (sandbox.namespaces.pid !== 'pod') return { mode: 'container' };
  if (sandbox.infraPid === undefined) throw failedPrecondition(`pod sandbox ${sandbox.id} shares a PID namespace, but its pause process is not running`);
  return { mode: 'pod', infraPid: sandbox.infraPid };
}

export function sandboxContext(sandbox: Sandbox, pidNamespace: PidNamespace): SandboxContext {
  return {
    id: sandbox.id,
    name: sandbox.metadata.name,
    namespace: sandbox.metadata.namespace,
    uid: sandbox.metadata.uid,
    hostname: sandbox.hostname,
    netnsPath: sandbox.netnsPath,
    ipcPath: sandbox.ipcPath,
    utsPath: sandbox.utsPath,
    pidNamespace,
    resolvConfPath: sandbox.files.resolvConf,
    hostsPath: sandbox.files.hosts,
    hostnamePath: sandbox.files.hostname,
    shmPath: sandbox.shmPath,
    cgroupParent: sandbox.cgroupParent,
    sysctls: { ...sandbox.sysctls },
    privileged: sandbox.privileged,
  };
}
