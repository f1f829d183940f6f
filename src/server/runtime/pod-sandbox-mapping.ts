// Between the CRI's pod sandbox messages and the sandbox domain types.
import { toJson, type MessageInitShape } from '@bufbuild/protobuf';
import {
  NamespaceMode as CriNamespaceMode,
  PodSandboxConfigSchema,
  PodSandboxSchema,
  PodSandboxStatusSchema,
  PodSandboxState,
  Protocol,
  type NamespaceOption,
  type PodSandboxConfig,
  type PodSandboxFilter,
  type RunPodSandboxRequest,
} from '../../gen/runtime/v1/api_pb.js';
import type { NamespaceMode, PortProtocol, Sandbox, SandboxFilter, SandboxRequest } from '../../pod/sandbox/types.js';
import { checkAnnotations, checkLabels, checkPodMetadata, requirePresent } from '../validate.js';

const NS_MODES: Record<CriNamespaceMode, NamespaceMode> = {
  [CriNamespaceMode.POD]: 'pod',
  [CriNamespaceMode.CONTAINER]: 'container',
  [CriNamespaceMode.NODE]: 'node',
  [CriNamespaceMode.TARGET]: 'target',
};
const CRI_NS_MODES: Record<NamespaceMode, CriNamespaceMode> = {
  pod: CriNamespaceMode.POD,
  container: CriNamespaceMode.CONTAINER,
  node: CriNamespaceMode.NODE,
  target: CriNamespaceMode.TARGET,
};
const PROTOCOLS: Record<Protocol, PortProtocol> = { [Protocol.TCP]: 'tcp', [Protocol.UDP]: 'udp', [Protocol.SCTP]: 'sctp' };

const nsMode = (m: CriNamespaceMode): NamespaceMode => NS_MODES[m] ?? 'container';

/** userns_options as asked; absent options are the host's user namespace. Checked by the sandbox service. */
function userNamespace(opts: Partial<NamespaceOption>): SandboxRequest['namespaces']['user'] {
  const u = opts.usernsOptions;
  if (!u) return undefined;
  const ids = (l: typeof u.uids) => l.map((m) => ({ containerId: m.containerId, hostId: m.hostId, length: m.length }));
  return { mode: nsMode(u.mode), uids: ids(u.uids), gids: ids(u.gids) };
}

export function toSandboxRequest(req: RunPodSandboxRequest): SandboxRequest {
  const config: PodSandboxConfig = requirePresent('config', req.config);
  checkPodMetadata(config.metadata);
  checkLabels('config.labels', config.labels);
  checkAnnotations('config.annotations', config.annotations);
  const md = config.metadata!;
  const linux = config.linux;
  const sc = linux?.securityContext;
  // Absent namespace options are the proto defaults: network/ipc POD, pid CONTAINER.
  const opts: Partial<NamespaceOption> = sc?.namespaceOptions ?? {};
  return {
    metadata: { name: md.name, namespace: md.namespace, uid: md.uid, attempt: md.attempt },
    hostname: config.hostname,
    logDirectory: config.logDirectory,
    dns: config.dnsConfig ? { servers: [...config.dnsConfig.servers], searches: [...config.dnsConfig.searches], options: [...config.dnsConfig.options] } : undefined,
    portMappings: config.portMappings.map((p) => ({ protocol: PROTOCOLS[p.protocol] ?? 'tcp', containerPort: p.containerPort, hostPort: p.hostPort, hostIp: p.hostIp })),
    labels: { ...config.labels },
    annotations: { ...config.annotations },
    runtimeHandler: req.runtimeHandler,
    cgroupParent: linux?.cgroupParent ?? '',
    namespaces: {
      network: nsMode(opts.network ?? CriNamespaceMode.POD),
      pid: nsMode(opts.pid ?? CriNamespaceMode.POD),
      ipc: nsMode(opts.ipc ?? CriNamespaceMode.POD),
      targetId: opts.targetId ?? '',
      user: userNamespace(opts),
    },
    privileged: sc?.privileged ?? false,
    sysctls: { ...(linux?.sysctls ?? {}) },
    config: toJson(PodSandboxConfigSchema, config),
  };
}

export function toSandboxFilter(f: PodSandboxFilter | undefined): SandboxFilter | undefined {
  if (!f) return undefined;
  return {
    id: f.id,
    state: f.state === undefined ? undefined : f.state.state === PodSandboxState.SANDBOX_READY ? 'ready' : 'notready',
    labels: { ...f.labelSelector },
  };
}

const criState = (s: Sandbox): PodSandboxState => (s.state === 'ready' ? PodSandboxState.SANDBOX_READY : PodSandboxState.SANDBOX_NOTREADY);

/** PodSandbox (ListPodSandbox). */
export function toPodSandbox(s: Sandbox): MessageInitShape<typeof PodSandboxSchema> {
  return {
    id: s.id,
    metadata: { ...s.metadata },
    state: criState(s),
    createdAt: s.createdAt,
    labels: s.labels,
    annotations: s.annotations,
    runtimeHandler: s.runtimeHandler,
  };
}

/** PodSandboxStatus. */
export function toPodSandboxStatus(s: Sandbox): MessageInitShape<typeof PodSandboxStatusSchema> {
  // PodSandboxStatus repeats PodSandbox's fields (same names and numbers' meaning) and adds more.
  const { $typeName: _listItem, ...common } = toPodSandbox(s);
  return {
    ...common,
    network: { ip: s.network.ip, additionalIps: s.network.additionalIps.map((ip) => ({ ip })) },
    linux: {
      namespaces: {
        options: {
          network: CRI_NS_MODES[s.namespaces.network],
          pid: CRI_NS_MODES[s.namespaces.pid],
          ipc: CRI_NS_MODES[s.namespaces.ipc],
          targetId: s.namespaces.targetId,
        },
      },
    },
  };
}
