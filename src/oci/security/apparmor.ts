// The container's AppArmor profile. On an AppArmor host: unset or RuntimeDefault is critter's
// default profile (loaded with apparmor_parser; failing that, containerd's or Docker's default
// if loaded), Localhost a profile that must already be loaded, Unconfined none; privileged
// containers get no default. On a host without AppArmor nothing is applied, but a Localhost
// profile is refused, as containerd does: the pod asked for confinement the node cannot give.
import type { LinuxContainerSecurityContext } from '../../gen/runtime/v1/api_pb.js';
import { failedPrecondition } from '../../util/errors.js';
import { CRITTER_APPARMOR_PROFILE, FOREIGN_DEFAULT_PROFILES } from './apparmor-profile.js';
import type { AppArmorHost } from './lsm-host.js';
import { profileRequest } from './profile-request.js';

function defaultProfile(host: AppArmorHost): string | undefined {
  if (host.loadedProfiles().includes(CRITTER_APPARMOR_PROFILE) || host.loadDefault()) return CRITTER_APPARMOR_PROFILE;
  const loaded = host.loadedProfiles();
  return FOREIGN_DEFAULT_PROFILES.find((p) => loaded.includes(p));
}

export function containerApparmor(
  sc: LinuxContainerSecurityContext | undefined,
  privileged: boolean,
  host: AppArmorHost,
  warnings: string[],
): string | undefined {
  const req = profileRequest('apparmor', sc?.apparmor, sc?.apparmorProfile ?? '');
  if (!host.enabled) {
    if (req.kind === 'localhost') {
      throw failedPrecondition(`apparmor profile ${JSON.stringify(req.ref)} was requested, but AppArmor is not enabled on this host`);
    }
    if (req.kind === 'runtime-default') warnings.push('AppArmor is not enabled on this host; the RuntimeDefault AppArmor profile is not applied');
    return undefined;
  }
  switch (req.kind) {
    case 'unconfined':
      return undefined;
    case 'localhost':
      if (!host.loadedProfiles().includes(req.ref)) {
        throw failedPrecondition(`apparmor profile ${JSON.stringify(req.ref)} is not loaded on this host (see /sys/kernel/security/apparmor/profiles)`);
      }
      return req.ref;
    case 'unset':
    case 'runtime-default': {
      if (privileged) return undefined;
      const p = defaultProfile(host);
      if (p) return p;
      const msg = `no default AppArmor profile: apparmor_parser is not installed to load ${CRITTER_APPARMOR_PROFILE}, and neither of ${FOREIGN_DEFAULT_PROFILES.join(', ')} is loaded`;
      // An explicit request must not silently run unconfined; an unset one follows containerd,
      // which treats a host without apparmor_parser as one without AppArmor.
      if (req.kind === 'runtime-default') throw failedPrecondition(msg);
      warnings.push(`${msg}; the container runs without an AppArmor profile`);
      return undefined;
    }
  }
}
