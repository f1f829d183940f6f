// The pod's resolv.conf. With a DNSConfig (kubelet's ClusterFirst, and ClusterFirstWithHostNet
// for host-network pods) it is written from it; without one the node's file is copied, as
// containerd and CRI-O do.
import { isIP } from 'node:net';
import { readFileSync } from 'node:fs';
import { errorMessage, internal, invalidArgument } from '../../util/errors.js';
import type { DnsConfig } from '../sandbox/types.js';

export const HOST_RESOLV_CONF = '/etc/resolv.conf';

const NO_SPACE = /^\S+$/;

/** Refuses what would corrupt the file: non-IP servers, blanks or newlines inside entries. */
export function checkDnsConfig(dns: DnsConfig): void {
  for (const s of dns.servers) if (isIP(s) === 0) throw invalidArgument(`dns_config server "${s}" is not an IP address`);
  for (const s of dns.searches) if (!NO_SPACE.test(s)) throw invalidArgument(`dns_config search domain ${JSON.stringify(s)} holds whitespace`);
  for (const o of dns.options) if (!NO_SPACE.test(o)) throw invalidArgument(`dns_config option ${JSON.stringify(o)} holds whitespace`);
}

/** An empty DNSConfig (no servers, searches or options) counts as none. */
export function hasDnsConfig(dns: DnsConfig | undefined): dns is DnsConfig {
  return dns !== undefined && dns.servers.length + dns.searches.length + dns.options.length > 0;
}

export function resolvConfContent(dns: DnsConfig | undefined, hostFile = HOST_RESOLV_CONF): string {
  if (!hasDnsConfig(dns)) {
    try {
      return readFileSync(hostFile, 'utf8');
    } catch (e) {
      throw internal(`cannot read the node's ${hostFile} for the pod: ${errorMessage(e)}`, e);
    }
  }
  const lines: string[] = [];
  if (dns.searches.length > 0) lines.push(`search ${dns.searches.join(' ')}`);
  for (const s of dns.servers) lines.push(`nameserver ${s}`);
  if (dns.options.length > 0) lines.push(`options ${dns.options.join(' ')}`);
  return `${lines.join('\n')}\n`;
}
