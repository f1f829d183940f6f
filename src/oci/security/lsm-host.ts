// What this host offers for confining containers, probed once: whether AppArmor and SELinux are
// on, and the architecture and kernel the seccomp profile is built for. Tests pass their own.
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { CRITTER_APPARMOR_PROFILE, findApparmorParser, loadDefaultProfile } from './apparmor-profile.js';

export interface AppArmorHost {
  enabled: boolean;
  /** Names of the profiles loaded into the kernel now (they can change while critter runs). */
  loadedProfiles(): string[];
  /** Makes critter's default profile loaded, if this host can (apparmor_parser); false if not. */
  loadDefault(): boolean;
}

export type SelinuxMode = 'enforcing' | 'permissive' | 'disabled';

export interface SelinuxHost {
  mode: SelinuxMode;
  /** The policy's defaults for containers (lxc_contexts): process and file labels. */
  processLabel: string;
  fileLabel: string;
}

export interface SecurityHost {
  /** process.arch */
  arch: string;
  kernelRelease: string;
  apparmor: AppArmorHost;
  selinux: SelinuxHost;
}

const APPARMOR_ENABLED = '/sys/module/apparmor/parameters/enabled';
const APPARMOR_PROFILES = '/sys/kernel/security/apparmor/profiles';
const SELINUX_ENFORCE = '/sys/fs/selinux/enforce';

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** "name (enforce)" lines of securityfs' profile list -> names. */
export function parseLoadedProfiles(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/\s+\([a-z]+\)\s*$/, '').trim())
    .filter((l) => l !== '');
}

export function probeAppArmor(): AppArmorHost {
  const enabled = (read(APPARMOR_ENABLED) ?? '').startsWith('Y') && existsSync('/sys/kernel/security/apparmor');
  let loaded = false;
  return {
    enabled,
    loadedProfiles: () => (enabled ? parseLoadedProfiles(read(APPARMOR_PROFILES) ?? '') : []),
    loadDefault(): boolean {
      if (!enabled) return false;
      if (loaded) return true;
      const parser = findApparmorParser();
      if (!parser) return false;
      loadDefaultProfile(parser);
      loaded = parseLoadedProfiles(read(APPARMOR_PROFILES) ?? '').includes(CRITTER_APPARMOR_PROFILE);
      return loaded;
    },
  };
}

// The policy's container contexts when it does not say (the container-selinux defaults).
const DEFAULT_PROCESS_LABEL = 'system_u:system_r:container_t:s0';
const DEFAULT_FILE_LABEL = 'system_u:object_r:container_file_t:s0';

/** `key = "value"` lines of an lxc_contexts file. */
export function parseLxcContexts(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([a-z_]+)\s*=\s*"?([^"#]*?)"?\s*(#.*)?$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

export function probeSelinux(): SelinuxHost {
  const enforce = read(SELINUX_ENFORCE)?.trim();
  const mode: SelinuxMode = enforce === '1' ? 'enforcing' : enforce === '0' ? 'permissive' : 'disabled';
  let contexts: Record<string, string> = {};
  if (mode !== 'disabled') {
    const policy = /^SELINUXTYPE=(\S+)/m.exec(read('/etc/selinux/config') ?? '')?.[1] ?? 'targeted';
    contexts = parseLxcContexts(read(`/etc/selinux/${policy}/contexts/lxc_contexts`) ?? '');
  }
  return { mode, processLabel: contexts.process || DEFAULT_PROCESS_LABEL, fileLabel: contexts.file || DEFAULT_FILE_LABEL };
}

let cached: SecurityHost | undefined;

/** The host's facts, probed on first use and kept for the daemon's life. */
export function securityHost(): SecurityHost {
  cached ??= { arch: process.arch, kernelRelease: release(), apparmor: probeAppArmor(), selinux: probeSelinux() };
  return cached;
}

/** One line per module for Status' info. */
export function lsmSummary(h: SecurityHost): { apparmor: string; selinux: string } {
  return {
    apparmor: h.apparmor.enabled ? 'enabled' : 'not available on this host',
    selinux: h.selinux.mode,
  };
}
