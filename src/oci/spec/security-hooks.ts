// Where seccomp, AppArmor and SELinux enter the spec. buildSpec calls these after all else, with
// the spec as built so far (the capability sets decide the seccomp profile's conditional
// groups), and places what they return. The policies live in src/oci/security/.
import type { LinuxContainerSecurityContext } from '../../gen/runtime/v1/api_pb.js';
import { containerApparmor } from '../security/apparmor.js';
import type { SecurityHost } from '../security/lsm-host.js';
import { containerSeccomp } from '../security/seccomp.js';
import { containerSelinux } from '../security/selinux.js';
import type { OciSeccomp, OciSpec } from './types.js';

export interface SecurityHookContext {
  securityContext: LinuxContainerSecurityContext | undefined;
  privileged: boolean;
  /** The spec so far (read-only for the hooks: they return what to set). */
  spec: Readonly<OciSpec>;
  /** What the host offers (LSMs, architecture, kernel). */
  host: SecurityHost;
  /** The pod's id: its containers share an SELinux level derived from it. */
  sandboxId: string;
  warnings: string[];
}

/** linux.seccomp for the container; undefined is unconfined. */
export function applySeccomp(ctx: SecurityHookContext): OciSeccomp | undefined {
  return containerSeccomp(ctx.securityContext, ctx.privileged, {
    capabilities: ctx.spec.process.capabilities.bounding,
    arch: ctx.host.arch,
    kernelRelease: ctx.host.kernelRelease,
  });
}

/** process.apparmorProfile; undefined is unconfined. */
export function applyApparmor(ctx: SecurityHookContext): string | undefined {
  return containerApparmor(ctx.securityContext, ctx.privileged, ctx.host.apparmor, ctx.warnings);
}

/** process.selinuxLabel and linux.mountLabel; empty is no labelling. */
export function applySelinux(ctx: SecurityHookContext): { processLabel?: string; mountLabel?: string } {
  return containerSelinux(ctx.securityContext?.selinuxOptions, ctx.privileged, ctx.sandboxId, ctx.host.selinux, ctx.warnings);
}
