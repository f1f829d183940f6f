// The container's seccomp filter from its request: RuntimeDefault is critter's default profile,
// Localhost a file on the node, Unconfined none. Unset (neither field) is unconfined, as in
// containerd: the kubelet always says which it wants (Unconfined unless seccompDefault is on).
// A privileged container gets no filter, whatever it asked for.
import type { LinuxContainerSecurityContext } from '../../gen/runtime/v1/api_pb.js';
import type { OciSeccomp } from '../spec/types.js';
import { profileRequest } from './profile-request.js';
import { runtimeDefaultSeccomp, type SeccompTarget } from './seccomp-default.js';
import { loadLocalhostSeccomp } from './seccomp-localhost.js';

export function containerSeccomp(
  sc: LinuxContainerSecurityContext | undefined,
  privileged: boolean,
  target: SeccompTarget,
): OciSeccomp | undefined {
  // The request is checked even when privileged: a malformed one is an error either way.
  const req = profileRequest('seccomp', sc?.seccomp, sc?.seccompProfilePath ?? '', ['runtime/default', 'docker/default']);
  if (privileged) return undefined;
  switch (req.kind) {
    case 'unset':
    case 'unconfined':
      return undefined;
    case 'runtime-default':
      return runtimeDefaultSeccomp(target);
    case 'localhost':
      return loadLocalhostSeccomp(req.ref, target);
  }
}
