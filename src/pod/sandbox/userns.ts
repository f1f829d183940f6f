// A pod's user namespace (KEP-127), checked at RunPodSandbox: NODE (or no options) is the host's;
// POD takes exactly the one uid and one gid range the kubelet picked, each mapping container id
// 0. CONTAINER and TARGET are not defined for user namespaces. The containers' own options are
// checked again at CreateContainer (src/oci/security/userns.ts), against the pod's namespace.
import { failedPrecondition, invalidArgument } from '../../util/errors.js';
import type { IdMapping, SandboxNamespaces, UserNamespaceRequest } from './types.js';

const ID_LIMIT = 2 ** 32;

/** The mappings to create the namespace with; undefined for the host's user namespace. */
export interface PodUserNamespace {
  uid: IdMapping;
  gid: IdMapping;
}

function oneMapping(list: IdMapping[], kind: 'uid' | 'gid'): IdMapping {
  if (list.length !== 1) throw invalidArgument(`user namespaces: mode POD needs exactly one ${kind} mapping, got ${list.length}`);
  const m = list[0]!;
  const where = `user namespaces: the ${kind} mapping (container ${m.containerId}, host ${m.hostId}, length ${m.length})`;
  if (m.length === 0) throw invalidArgument(`${where} has length 0`);
  if (m.containerId !== 0) throw invalidArgument(`${where} must map container ${kind} 0`);
  if (m.hostId + m.length > ID_LIMIT) throw invalidArgument(`${where} runs past the largest ${kind}`);
  return { ...m };
}

/** Checks the request's user namespace options; InvalidArgument names what is wrong. */
export function podUserNamespace(ns: SandboxNamespaces): PodUserNamespace | undefined {
  const u: UserNamespaceRequest | undefined = ns.user;
  if (!u || u.mode === 'node') {
    if (u && (u.uids.length > 0 || u.gids.length > 0)) {
      throw invalidArgument('user namespaces: mode NODE (the host user namespace) takes no uid/gid mappings');
    }
    return undefined;
  }
  if (u.mode !== 'pod') {
    throw invalidArgument(
      `user namespaces: mode ${u.mode.toUpperCase()} is not supported; a pod's containers share one user namespace (mode POD) or the host's (NODE)`,
    );
  }
  const host = (['network', 'pid', 'ipc'] as const).filter((k) => ns[k] === 'node');
  if (host.length > 0) throw invalidArgument(`user namespaces: mode POD cannot be combined with the host's ${host.join(', ')} namespace`);
  return { uid: oneMapping(u.uids, 'uid'), gid: oneMapping(u.gids, 'gid') };
}

/** What a handler can do for user-namespaced pods. */
export interface UserNamespaceSupport {
  /** Its runtime creates and joins user namespaces (its `features` report). */
  userNamespaces: boolean;
  /**
   * critter can idmap the containers' rootfs and volumes on this node (probed once), which it
   * does itself rather than through the runtime.
   */
  idmappedMounts: boolean;
  /** Why it cannot, when it cannot. */
  idmapProblem?: string;
}

/**
 * A well-formed POD request the handler cannot serve is FailedPrecondition: without idmapped
 * mounts the image's files and the pod's volumes would show up owned by the overflow id.
 */
export function checkUserNamespaceSupport(handler: string, s: UserNamespaceSupport): void {
  if (!s.userNamespaces) {
    throw failedPrecondition(`runtime handler ${handler} does not report support for user namespaces (its runtime's \`features\`), which the pod asks for`);
  }
  if (!s.idmappedMounts) {
    throw failedPrecondition(
      `user namespaces need idmapped container filesystems, which critter cannot make on this node (an overlay over idmapped layers needs Linux 5.19 or later)${s.idmapProblem ? `: ${s.idmapProblem}` : ''}`,
    );
  }
}
