// Capability sets: the runtime default (the same 14 containerd and CRI-O grant), adjusted by
// the request's add/drop lists. CRI names come without the CAP_ prefix from the kubelet; both
// spellings are taken, case-insensitively, and "ALL" means every capability this kernel has.
import { invalidArgument } from '../../util/errors.js';
import type { Capability } from '../../gen/runtime/v1/api_pb.js';
import type { OciCapabilities } from './types.js';

/** Indexed by capability number (linux/capability.h). */
export const KNOWN_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/**
 * Every capability a container can be given: those the kernel knows (0..cap_last_cap) that
 * critter can name, within critterd's own bounding set when known (a runtime cannot grant what
 * its parent lacks: privileged means "all critterd has", as containerd's current capabilities).
 */
export function allCapabilities(capLastCap: number, bounding?: readonly string[]): string[] {
  const known = KNOWN_CAPABILITIES.slice(0, Math.max(0, capLastCap) + 1);
  return bounding ? known.filter((c) => bounding.includes(c)) : known;
}

/** The capability names of a CapBnd-style hex mask (as in /proc/self/status). */
export function capabilitiesOfMask(hex: string): string[] {
  const mask = BigInt(`0x${hex}`);
  return KNOWN_CAPABILITIES.filter((_, i) => (mask >> BigInt(i)) & 1n);
}

/** "chown", "CAP_CHOWN", "cap_chown" -> "CAP_CHOWN"; anything unknown is refused. */
export function normalizeCapability(name: string): string {
  const upper = name.trim().toUpperCase();
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!KNOWN_CAPABILITIES.includes(full)) throw invalidArgument(`unknown capability ${JSON.stringify(name)}`);
  return full;
}

const isAll = (name: string): boolean => name.trim().toUpperCase() === 'ALL';

/**
 * The capability sets of a container. Add is applied before drop, so add ALL + drop X is
 * everything but X, and drop ALL + add X is only X. Ambient capabilities also go to the
 * inheritable set, which the kernel requires of them.
 */
export function capabilitySets(
  caps: Capability | undefined,
  privileged: boolean,
  capLastCap: number,
  warnings: string[],
  bounding?: readonly string[],
): OciCapabilities {
  const available = allCapabilities(capLastCap, bounding);
  if (privileged) return { bounding: [...available], effective: [...available], permitted: [...available] };

  const add = caps?.addCapabilities ?? [];
  const drop = caps?.dropCapabilities ?? [];
  const ambientReq = caps?.addAmbientCapabilities ?? [];
  const addNames = add.filter((c) => !isAll(c)).map(normalizeCapability);
  const dropNames = drop.filter((c) => !isAll(c)).map(normalizeCapability);
  const ambient = ambientReq.map((c) => {
    if (isAll(c)) throw invalidArgument('"ALL" is not valid among ambient capabilities');
    return normalizeCapability(c);
  });

  let set: string[] = [...DEFAULT_CAPABILITIES];
  if (add.some(isAll)) set = [...available];
  if (drop.some(isAll)) set = [];
  for (const c of [...addNames, ...ambient]) if (!set.includes(c)) set.push(c);
  set = set.filter((c) => !dropNames.includes(c));

  const unavailable = set.filter((c) => !available.includes(c));
  if (unavailable.length > 0) {
    warnings.push(`capabilities this kernel or critterd's bounding set lacks are left out: ${unavailable.join(', ')}`);
    set = set.filter((c) => available.includes(c));
  }
  const out: OciCapabilities = { bounding: [...set], effective: [...set], permitted: [...set] };
  const amb = ambient.filter((c) => set.includes(c));
  if (amb.length > 0) {
    out.inheritable = [...amb];
    out.ambient = [...amb];
  }
  return out;
}
