// The pod's /etc/hosts: localhost entries plus the pod's own addresses under its hostname, so
// that `hostname -i` and lookups of the own name work. Host-network pods get the node's file.
import { readFileSync } from 'node:fs';
import { errorMessage, internal } from '../../util/errors.js';

export const HOST_HOSTS = '/etc/hosts';

const LOCAL = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'fe00::0\tip6-mcastprefix',
  'fe00::1\tip6-allnodes',
  'fe00::2\tip6-allrouters',
];

export function podHostsContent(hostname: string, ips: readonly string[]): string {
  const own = ips.filter((ip) => ip !== '').map((ip) => `${ip}\t${hostname}`);
  return `${[...LOCAL, ...own].join('\n')}\n`;
}

export function hostHostsContent(hostFile = HOST_HOSTS): string {
  try {
    return readFileSync(hostFile, 'utf8');
  } catch (e) {
    throw internal(`cannot read the node's ${hostFile} for a host-network pod: ${errorMessage(e)}`, e);
  }
}
