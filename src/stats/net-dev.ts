// A network namespace's interface counters, from /proc/net/dev as seen inside it.
import { runInNetns } from '../pod/netns/netns-exec.js';
import type { InterfaceStats, NetworkStats } from './types.js';

export const DEFAULT_INTERFACE = 'eth0';

/**
 * /proc/net/dev: two header lines, then "name: rx_bytes rx_packets rx_errs rx_drop rx_fifo
 * rx_frame rx_compressed rx_multicast tx_bytes tx_packets tx_errs ...". Loopback is left out.
 */
export function parseNetDev(text: string): InterfaceStats[] {
  const out: InterfaceStats[] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const f = line.slice(colon + 1).trim().split(/\s+/);
    if (name === '' || name === 'lo' || f.length < 16 || !f.every((x) => /^\d+$/.test(x))) continue;
    out.push({ name, rxBytes: BigInt(f[0]!), rxErrors: BigInt(f[2]!), txBytes: BigInt(f[8]!), txErrors: BigInt(f[10]!) });
  }
  return out;
}

export function networkStats(interfaces: InterfaceStats[], timestampNs: bigint): NetworkStats {
  const def = interfaces.find((i) => i.name === DEFAULT_INTERFACE) ?? interfaces[0];
  return { timestampNs, ...(def ? { defaultInterface: def } : {}), interfaces };
}

/** The counters of the namespace at netnsPath; undefined when they cannot be read. */
export async function readNetns(netnsPath: string, timestampNs: bigint): Promise<NetworkStats | undefined> {
  let r;
  try {
    r = await runInNetns(netnsPath, ['cat', '/proc/net/dev'], { signal: AbortSignal.timeout(5_000) });
  } catch {
    return undefined;
  }
  if (r.code !== 0) return undefined;
  return networkStats(parseNetDev(r.stdout), timestampNs);
}
