// critter's default AppArmor profile (what RuntimeDefault means on an AppArmor host) and its
// loading with apparmor_parser. The rules keep a container from remounting things, from the
// host-wide knobs under /proc and /sys, and from tracing or signalling outside its own profile;
// everything else (files, network, capabilities) is left to DAC, capabilities and seccomp.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { errorMessage, failedPrecondition } from '../../util/errors.js';

export const CRITTER_APPARMOR_PROFILE = 'critter-default';
/** Defaults other runtimes load, used when critter cannot load its own. */
export const FOREIGN_DEFAULT_PROFILES: readonly string[] = ['cri-containerd.apparmor.d', 'docker-default'];

const APPARMOR_DIR = '/etc/apparmor.d';

/** The profile text; base rules are included only where the host's policy tree has them. */
export function defaultProfileText(name = CRITTER_APPARMOR_PROFILE, haveIncludes = existsSync(`${APPARMOR_DIR}/tunables/global`)): string {
  const lines = [
    ...(haveIncludes ? ['#include <tunables/global>', ''] : []),
    `profile ${name} flags=(attach_disconnected,mediate_deleted) {`,
    ...(haveIncludes ? ['  #include <abstractions/base>'] : []),
    '  file,',
    '  network,',
    '  capability,',
    '  umount,',
    // The runtime that starts and stops the container is unconfined; peers share this profile.
    '  signal (receive) peer=unconfined,',
    `  signal (send,receive) peer=${name},`,
    `  ptrace (trace,read,tracedby,readby) peer=${name},`,
    '  deny mount,',
    '  deny pivot_root,',
    '  deny @{PROC}/sysrq-trigger rwklx,',
    '  deny @{PROC}/kcore rwklx,',
    '  deny @{PROC}/sys/** wklx,',
    '  deny /sys/firmware/** rwklx,',
    '  deny /sys/kernel/security/** rwklx,',
    '  deny /sys/[^f]*/** wklx,',
    '  deny /sys/f[^s]*/** wklx,',
    '  deny /sys/fs/[^c]*/** wklx,',
    '}',
    '',
  ];
  return lines.join('\n');
}

export function findApparmorParser(): string | undefined {
  return ['/sbin/apparmor_parser', '/usr/sbin/apparmor_parser'].find((p) => existsSync(p));
}

/** Loads (or replaces) the default profile into the kernel. */
export function loadDefaultProfile(parser: string): void {
  try {
    // -K: no cache files on the node; -r: replace a stale copy from an older critter.
    execFileSync(parser, ['-Kr'], { input: defaultProfileText(), timeout: 30_000, stdio: ['pipe', 'ignore', 'pipe'] });
  } catch (e) {
    throw failedPrecondition(`loading the AppArmor profile ${CRITTER_APPARMOR_PROFILE} with ${parser} failed: ${errorMessage(e)}`, e);
  }
}
