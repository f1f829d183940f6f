// Reading a CNI ADD result: interfaces, IPs (with the index of their interface), routes and
// DNS; and the pod IPs the kubelet wants from it. Results older than 0.3.0 (ip4/ip6 objects)
// are read too, so that an old plugin still yields the pod IP.
import { internal } from '../../util/errors.js';

export interface CniInterface {
  name: string;
  mac?: string;
  /** The netns path for interfaces inside the pod; absent for host-side ones. */
  sandbox?: string;
}

export interface CniIpConfig {
  /** CIDR form, e.g. "10.22.0.5/24". */
  address: string;
  gateway?: string;
  /** Index into interfaces. */
  interface?: number;
}

export interface CniRoute {
  dst: string;
  gw?: string;
}

export interface CniDns {
  nameservers: string[];
  domain?: string;
  search: string[];
  options: string[];
}

export interface CniResult {
  cniVersion: string;
  interfaces: CniInterface[];
  ips: CniIpConfig[];
  routes: CniRoute[];
  dns: CniDns;
}

export interface PodIps {
  /** The first IPv4 address (IPv6 when there is none), without prefix length. */
  primary: string;
  /** The rest, in result order. */
  additional: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);

function routes(v: unknown): CniRoute[] {
  if (!Array.isArray(v)) return [];
  return v.filter(isObj).flatMap((r) => {
    const dst = str(r.dst);
    if (!dst) return [];
    const gw = str(r.gw);
    return [gw ? { dst, gw } : { dst }];
  });
}

function dns(v: unknown): CniDns {
  const d = isObj(v) ? v : {};
  const domain = str(d.domain);
  return { nameservers: strings(d.nameservers), ...(domain ? { domain } : {}), search: strings(d.search), options: strings(d.options) };
}

/** Parses a plugin's result document; what is malformed inside it is skipped, not fatal. */
export function parseCniResult(doc: unknown): CniResult {
  if (!isObj(doc)) throw internal('the CNI result is not a JSON object');
  const cniVersion = typeof doc.cniVersion === 'string' ? doc.cniVersion : '';
  const interfaces: CniInterface[] = Array.isArray(doc.interfaces)
    ? doc.interfaces.filter(isObj).map((i) => {
        const out: CniInterface = { name: typeof i.name === 'string' ? i.name : '' };
        const mac = str(i.mac);
        const sandbox = str(i.sandbox);
        if (mac) out.mac = mac;
        if (sandbox) out.sandbox = sandbox;
        return out;
      })
    : [];
  const ips: CniIpConfig[] = [];
  const allRoutes = routes(doc.routes);
  if (Array.isArray(doc.ips)) {
    for (const ip of doc.ips.filter(isObj)) {
      const address = str(ip.address);
      if (!address) continue;
      const c: CniIpConfig = { address };
      const gw = str(ip.gateway);
      if (gw) c.gateway = gw;
      if (typeof ip.interface === 'number' && Number.isInteger(ip.interface) && ip.interface >= 0) c.interface = ip.interface;
      ips.push(c);
    }
  }
  // 0.1.0 / 0.2.0 results.
  for (const key of ['ip4', 'ip6'] as const) {
    const old = doc[key];
    if (!isObj(old)) continue;
    const address = str(old.ip);
    if (address) {
      const gw = str(old.gateway);
      ips.push(gw ? { address, gateway: gw } : { address });
    }
    allRoutes.push(...routes(old.routes));
  }
  return { cniVersion, interfaces, ips, routes: allRoutes, dns: dns(doc.dns) };
}

const bare = (cidr: string): string => cidr.split('/')[0] ?? cidr;
const isV4 = (ip: string): boolean => /^\d{1,3}(\.\d{1,3}){3}$/.test(ip);

/**
 * The pod's IPs: those on an interface inside the pod's netns (sandbox set), preferring the
 * interface named ifName when it has any. IPs that name no interface count as the pod's
 * (simpler plugins leave the index out); IPs on host-side interfaces never do. Undefined when
 * the result has none.
 */
export function podIps(result: CniResult, ifName?: string): PodIps | undefined {
  const sandboxed = result.ips.filter((ip) => ip.interface === undefined || result.interfaces[ip.interface]?.sandbox !== undefined);
  const named = sandboxed.filter((ip) => ip.interface !== undefined && result.interfaces[ip.interface]?.name === ifName);
  const chosen = ifName !== undefined && named.length > 0 ? named : sandboxed;
  const all = [...new Set(chosen.map((ip) => bare(ip.address)))];
  if (all.length === 0) return undefined;
  const primary = all.find(isV4) ?? all[0]!;
  return { primary, additional: all.filter((ip) => ip !== primary) };
}
