// Where seccomp, AppArmor and SELinux enter the spec. NOT IMPLEMENTED YET: every hook answers
// "unconfined" (no linux.seccomp, no apparmorProfile, no labels), whatever the request asks.
// The security-contexts work replaces the bodies; buildSpec already calls them after all else,
// with the spec as built so far, and places what they return.
import type { LinuxContainerSecurityContext } from '../../gen/runtime/v1/api_pb.js';
import type { OciSeccomp, OciSpec } from './types.js';

export interface SecurityHookContext {
  securityContext: LinuxContainerSecurityContext | undefined;
  privileged: boolean;
  /** The spec so far (read-only for the hooks: they return what to set). */
  spec: Readonly<OciSpec>;
  warnings: string[];
}

/** linux.seccomp for the container; undefined is unconfined. */
export function applySeccomp(_ctx: SecurityHookContext): OciSeccomp | undefined {
  return undefined;
}

/** process.apparmorProfile; undefined is unconfined. */
export function applyApparmor(_ctx: SecurityHookContext): string | undefined {
  return undefined;
}

/** process.selinuxLabel and linux.mountLabel; empty is no labelling. */
export function applySelinux(_ctx: SecurityHookContext): { processLabel?: string; mountLabel?: string } {
  return {};
}
