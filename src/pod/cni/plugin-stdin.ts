// What each plugin of a chain reads on stdin, and the CNI_ARGS the runtime passes (the same
// shape libcni builds): the plugin's own conf, plus the list's name and cniVersion, the
// previous plugin's result, and runtimeConfig holding only the capabilities it declares.
import { invalidArgument } from '../../util/errors.js';
import type { CniPluginConf } from './conf-dir.js';

export type PortProtocol = 'tcp' | 'udp' | 'sctp';

export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: PortProtocol;
  /** Empty for every host address. */
  hostIP: string;
}

/** Bits per second and bits, as the bandwidth plugin reads them. */
export interface BandwidthLimits {
  ingressRate?: number;
  ingressBurst?: number;
  egressRate?: number;
  egressBurst?: number;
}

export interface DnsCapability {
  servers: string[];
  searches: string[];
  options: string[];
}

export interface IpRange {
  subnet: string;
}

/** The values of the well-known capabilities; a plugin gets the ones it declares. */
export interface CapabilityArgs {
  portMappings?: PortMapping[];
  bandwidth?: BandwidthLimits;
  dns?: DnsCapability;
  ipRanges?: IpRange[][];
}

/** What the runtime knows about a pod that plugins may be told. */
export interface PodNetworkOptions {
  portMappings?: readonly { hostPort: number; containerPort: number; protocol?: string; hostIP?: string }[];
  bandwidth?: BandwidthLimits;
  dns?: { servers?: readonly string[]; searches?: readonly string[]; options?: readonly string[] };
  /** The node's pod CIDRs (UpdateRuntimeConfig), handed to IPAM as ipRanges. */
  podCidrs?: readonly string[];
}

/**
 * The capability values for a pod. Mappings without a host port are dropped (nothing to map),
 * and each pod CIDR is its own range set so that dual-stack IPAM hands out one IP per family.
 */
export function capabilityArgs(o: PodNetworkOptions): CapabilityArgs {
  const caps: CapabilityArgs = {};
  const ports = (o.portMappings ?? []).filter((p) => p.hostPort > 0);
  if (ports.length > 0) {
    caps.portMappings = ports.map((p) => ({
      hostPort: p.hostPort,
      containerPort: p.containerPort,
      protocol: normaliseProtocol(p.protocol),
      hostIP: p.hostIP ?? '',
    }));
  }
  if (o.bandwidth) {
    const b: BandwidthLimits = {};
    for (const k of ['ingressRate', 'ingressBurst', 'egressRate', 'egressBurst'] as const) {
      const v = o.bandwidth[k];
      if (v !== undefined && v > 0) b[k] = v;
    }
    if (Object.keys(b).length > 0) caps.bandwidth = b;
  }
  if (o.dns) {
    caps.dns = { servers: [...(o.dns.servers ?? [])], searches: [...(o.dns.searches ?? [])], options: [...(o.dns.options ?? [])] };
  }
  const cidrs = (o.podCidrs ?? []).filter((c) => c !== '');
  if (cidrs.length > 0) caps.ipRanges = cidrs.map((subnet) => [{ subnet }]);
  return caps;
}

function normaliseProtocol(p: string | undefined): PortProtocol {
  const l = (p ?? 'tcp').toLowerCase();
  return l === 'udp' || l === 'sctp' ? l : 'tcp';
}

export interface ChainIdentity {
  name: string;
  cniVersion: string;
}

/** The stdin document of one plugin. prevResult is left out when undefined. */
export function pluginStdin(
  plugin: CniPluginConf,
  chain: ChainIdentity,
  prevResult: Record<string, unknown> | undefined,
  caps: CapabilityArgs,
): Record<string, unknown> {
  const doc: Record<string, unknown> = { ...plugin, name: chain.name, cniVersion: chain.cniVersion };
  delete doc.prevResult;
  if (prevResult !== undefined) doc.prevResult = prevResult;
  const declared = plugin.capabilities;
  const runtimeConfig: Record<string, unknown> = {};
  if (typeof declared === 'object' && declared !== null && !Array.isArray(declared)) {
    for (const [cap, on] of Object.entries(declared as Record<string, unknown>)) {
      const value = (caps as Record<string, unknown>)[cap];
      if (on === true && value !== undefined) runtimeConfig[cap] = value;
    }
  }
  // A runtimeConfig written in the conflist is the admin's; ours replaces it only when we have one.
  if (Object.keys(runtimeConfig).length > 0) doc.runtimeConfig = runtimeConfig;
  return doc;
}

export interface PodIdentity {
  namespace: string;
  name: string;
  /** The sandbox id, as containerd and CRI-O pass it. */
  infraContainerId: string;
  uid: string;
}

/** CNI_ARGS as the Kubernetes runtimes send it; IgnoreUnknown lets plugins skip keys they do not know. */
export function cniArgs(pod: PodIdentity): string {
  const pairs: [string, string][] = [
    ['IgnoreUnknown', '1'],
    ['K8S_POD_NAMESPACE', pod.namespace],
    ['K8S_POD_NAME', pod.name],
    ['K8S_POD_INFRA_CONTAINER_ID', pod.infraContainerId],
    ['K8S_POD_UID', pod.uid],
  ];
  for (const [k, v] of pairs) {
    if (/[;=]/.test(v)) throw invalidArgument(`${k} "${v}" cannot be passed in CNI_ARGS (it holds ";" or "=")`);
  }
  return pairs.map(([k, v]) => `${k}=${v}`).join(';');
}
