// What a container joins of its pod: the sandbox's namespaces, files and cgroup, in the spec
// builder's terms. The PID namespace is the one choice made per container.
import { NamespaceMode, type ContainerConfig } from '../gen/runtime/v1/api_pb.js';
import type { PidNamespace, SandboxContext } from '../oci/spec/index.js';
import type { Sandbox } from '../pod/sandbox/types.js';
import { failedPrecondition, invalidArgument } from '../util/errors.js';

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

/**
 * A container asking for the pod's user namespace (mode POD) joins the one its sandbox holds,
 * with the same mappings: a pod in the host's user namespace has none to join. The rest of the
 * container's user namespace options are checked by the spec builder.
 */
export function checkPodUserNamespace(config: ContainerConfig, sandbox: Sandbox): void {
  const u = config.linux?.securityContext?.namespaceOptions?.usernsOptions;
  if (!u || u.mode !== NamespaceMode.POD) return;
  const pod = sandbox.namespaces.user;
  if (!sandbox.userNamespacePath || !pod) {
    throw invalidArgument(`user namespaces: the container asks for its pod's user namespace (mode POD), but pod sandbox ${sandbox.id} runs in the host's`);
  }
  const same = (a: readonly { containerId: number; hostId: number; length: number }[], b: typeof a): boolean =>
    a.length === b.length && a.every((m, i) => m.containerId === b[i]!.containerId && m.hostId === b[i]!.hostId && m.length === b[i]!.length);
  if (!same(u.uids, pod.uids) || !same(u.gids, pod.gids)) {
    throw invalidArgument(`user namespaces: the container's uid/gid mappings differ from those of pod sandbox ${sandbox.id}, whose user namespace it joins`);
  }
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
    userNamespacePath: sandbox.userNamespacePath,
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
