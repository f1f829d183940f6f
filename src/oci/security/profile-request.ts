// Which seccomp or AppArmor profile a container asked for: the SecurityProfile field when set,
// else the deprecated string field ("runtime/default", "unconfined", "localhost/<ref>"), else
// nothing. One shape for both, so the rules about Localhost refs live in one place.
import { SecurityProfile_ProfileType, type SecurityProfile } from '../../gen/runtime/v1/api_pb.js';
import { invalidArgument } from '../../util/errors.js';

export type ProfileRequest =
  | { kind: 'unset' }
  | { kind: 'runtime-default' }
  | { kind: 'unconfined' }
  | { kind: 'localhost'; ref: string };

const LOCALHOST_PREFIX = 'localhost/';

/**
 * `lsm` names the module in messages ("seccomp", "apparmor"); `legacyDefaults` are the
 * deprecated field's spellings of RuntimeDefault (seccomp also took "docker/default").
 */
export function profileRequest(
  lsm: string,
  field: SecurityProfile | undefined,
  deprecated: string,
  legacyDefaults: readonly string[] = ['runtime/default'],
): ProfileRequest {
  if (field) {
    const ref = field.localhostRef;
    switch (field.profileType) {
      case SecurityProfile_ProfileType.RuntimeDefault:
        if (ref !== '') throw invalidArgument(`${lsm} profile: localhost_ref ${JSON.stringify(ref)} is only valid with profile type Localhost`);
        return { kind: 'runtime-default' };
      case SecurityProfile_ProfileType.Unconfined:
        if (ref !== '') throw invalidArgument(`${lsm} profile: localhost_ref ${JSON.stringify(ref)} is only valid with profile type Localhost`);
        return { kind: 'unconfined' };
      case SecurityProfile_ProfileType.Localhost: {
        // The kubelet sends the bare reference; a "localhost/" prefix is tolerated, as containerd does.
        const bare = ref.startsWith(LOCALHOST_PREFIX) ? ref.slice(LOCALHOST_PREFIX.length) : ref;
        if (bare === '') throw invalidArgument(`${lsm} profile: type Localhost needs a localhost_ref`);
        return { kind: 'localhost', ref: bare };
      }
      default:
        throw invalidArgument(`${lsm} profile: unknown profile type ${String(field.profileType)}`);
    }
  }
  if (deprecated === '') return { kind: 'unset' };
  if (legacyDefaults.includes(deprecated)) return { kind: 'runtime-default' };
  if (deprecated === 'unconfined') return { kind: 'unconfined' };
  if (deprecated.startsWith(LOCALHOST_PREFIX) && deprecated.length > LOCALHOST_PREFIX.length) {
    return { kind: 'localhost', ref: deprecated.slice(LOCALHOST_PREFIX.length) };
  }
  throw invalidArgument(`${lsm} profile ${JSON.stringify(deprecated)}: expected "runtime/default", "unconfined" or "localhost/<profile>"`);
}
