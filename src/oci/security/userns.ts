// User namespaces (KEP-127): a pod either runs in the host's (NODE) or in one of its own (POD),
// whose id mappings the kubelet chose: one range for uids and one for gids, mapping container
// id 0. Containers join the pod's namespace when the sandbox holds one, else get their own with
// the same mappings. CONTAINER and TARGET are not defined for user namespaces and are refused.
import { NamespaceMode, type IDMapping, type LinuxContainerSecurityContext, type Mount } from '../../gen/runtime/v1/api_pb.js';
import { posix } from 'node:path';
import { failedPrecondition, invalidArgument } from '../../util/errors.js';
import type { RuntimeFeatures } from '../features.js';
import type { OciIdMapping, OciMount, OciNamespace } from '../spec/types.js';

/**
 * The runtime says it creates user namespaces (its `features` report). One that cannot say is
 * not trusted with them: crun 1.8.1, for one, chowns the host's /dev/null (a container's stdin
 * under conmon) to the namespace's root.
 */
export function reportsUserNamespaces(f: RuntimeFeatures | null): boolean {
  return f?.linux?.namespaces?.includes('user') ?? false;
}

export interface UserNamespacePlan {
  namespace: OciNamespace;
  uidMappings: OciIdMapping[];
  gidMappings: OciIdMapping[];
}

const ID_LIMIT = 2 ** 32;
const MODE_NAME: Record<number, string> = {
  [NamespaceMode.POD]: 'POD',
  [NamespaceMode.CONTAINER]: 'CONTAINER',
  [NamespaceMode.NODE]: 'NODE',
  [NamespaceMode.TARGET]: 'TARGET',
};

function mapping(list: IDMapping[], kind: 'uid' | 'gid', what: string): OciIdMapping[] {
  return list.map((m, i) => {
    const where = `${what}: ${kind} mapping ${i}`;
    if (m.length === 0) throw invalidArgument(`${where} has length 0`);
    if (m.hostId + m.length > ID_LIMIT) throw invalidArgument(`${where} (host ${m.hostId}, length ${m.length}) runs past the largest ${kind}`);
    if (m.containerId + m.length > ID_LIMIT) throw invalidArgument(`${where} (container ${m.containerId}, length ${m.length}) runs past the largest ${kind}`);
    return { containerID: m.containerId, hostID: m.hostId, size: m.length };
  });
}

function podMapping(list: IDMapping[], kind: 'uid' | 'gid'): OciIdMapping[] {
  if (list.length !== 1) {
    throw invalidArgument(`user namespaces: mode POD needs exactly one ${kind} mapping, got ${list.length}`);
  }
  const [m] = mapping(list, kind, 'user namespaces');
  if (m!.containerID !== 0) throw invalidArgument(`user namespaces: the ${kind} mapping must map container ${kind} 0 (it starts at ${m!.containerID})`);
  return [m!];
}

/**
 * The container's user namespace from its NamespaceOption, or undefined for the host's.
 * `sandboxPath` is the pod's user namespace file when its sandbox holds one.
 */
export function userNamespacePlan(
  sc: LinuxContainerSecurityContext | undefined,
  sandboxPath: string | undefined,
  runtime: { handler: string; userNamespaces: boolean },
): UserNamespacePlan | undefined {
  const opts = sc?.namespaceOptions;
  const userns = opts?.usernsOptions;
  const mode = userns?.mode ?? NamespaceMode.NODE;
  if (mode === NamespaceMode.NODE) {
    if (userns && (userns.uids.length > 0 || userns.gids.length > 0)) {
      throw invalidArgument('user namespaces: mode NODE (the host user namespace) takes no uid/gid mappings');
    }
    if (sandboxPath) throw invalidArgument('user namespaces: mode NODE, but the pod sandbox runs in a user namespace of its own');
    return undefined;
  }
  if (mode !== NamespaceMode.POD) {
    throw invalidArgument(`user namespaces: mode ${MODE_NAME[mode] ?? String(mode)} is not supported; a pod's containers share one user namespace (mode POD) or the host's (NODE)`);
  }
  // The apiserver refuses hostUsers: false with host namespaces; a request that has both is malformed.
  const host = (['network', 'pid', 'ipc'] as const).filter((k) => opts?.[k] === NamespaceMode.NODE);
  if (host.length > 0) throw invalidArgument(`user namespaces: mode POD cannot be combined with the host's ${host.join(', ')} namespace`);
  const uidMappings = podMapping(userns!.uids, 'uid');
  const gidMappings = podMapping(userns!.gids, 'gid');
  // A well-formed request the handler cannot serve.
  if (!runtime.userNamespaces) {
    throw failedPrecondition(`user namespaces: runtime handler ${JSON.stringify(runtime.handler)} does not report that it supports them`);
  }
  return { namespace: sandboxPath ? { type: 'user', path: sandboxPath } : { type: 'user' }, uidMappings, gidMappings };
}

const mapped = (id: number, maps: readonly OciIdMapping[]): boolean => maps.some((m) => id >= m.containerID && id < m.containerID + m.size);

/** The process's ids must exist inside the namespace, or the runtime fails obscurely at setuid. */
export function checkUserMapped(plan: UserNamespacePlan, user: { uid: number; gid: number; additionalGids: number[] }): void {
  if (!mapped(user.uid, plan.uidMappings)) throw invalidArgument(`user namespaces: the container's uid ${user.uid} is outside the pod's uid mapping`);
  for (const g of [user.gid, ...user.additionalGids]) {
    if (!mapped(g, plan.gidMappings)) throw invalidArgument(`user namespaces: the container's gid ${g} is outside the pod's gid mapping`);
  }
}

/** CRI mounts that ask to be idmapped; refused when the runtime or kernel cannot. */
export function idmappedMounts(
  mounts: readonly Mount[],
  plan: UserNamespacePlan | undefined,
  supported: boolean,
  runtimeHandler: string,
): Map<string, { uidMappings: OciIdMapping[]; gidMappings: OciIdMapping[] }> {
  const out = new Map<string, { uidMappings: OciIdMapping[]; gidMappings: OciIdMapping[] }>();
  for (const m of mounts) {
    if (m.uidMappings.length === 0 && m.gidMappings.length === 0) continue;
    const what = `mount ${JSON.stringify(m.containerPath)}`;
    if (!plan) throw invalidArgument(`${what}: idmapped mounts are only for containers in a user namespace`);
    if (m.uidMappings.length === 0 || m.gidMappings.length === 0) throw invalidArgument(`${what}: an idmapped mount needs both uid and gid mappings`);
    if (!supported) {
      throw failedPrecondition(
        `${what} needs an idmapped mount, which runtime handler ${JSON.stringify(runtimeHandler)} does not support here (it must report the idmap mount extension, on Linux 5.12 or later)`,
      );
    }
    out.set(posix.normalize(m.containerPath).replace(/(.)\/$/, '$1'), { uidMappings: mapping(m.uidMappings, 'uid', what), gidMappings: mapping(m.gidMappings, 'gid', what) });
  }
  return out;
}

/** Puts the mappings on the bind mounts they belong to. */
export function applyIdmaps(mounts: OciMount[], idmaps: ReadonlyMap<string, { uidMappings: OciIdMapping[]; gidMappings: OciIdMapping[] }>): void {
  for (const m of mounts) {
    const maps = idmaps.get(m.destination);
    if (maps) {
      m.uidMappings = maps.uidMappings;
      m.gidMappings = maps.gidMappings;
    }
  }
}
