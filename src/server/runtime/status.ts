import type { StatusRequest } from '../../gen/runtime/v1/api_pb.js';
import type { ServerDeps } from '../deps.js';

export const status = (deps: ServerDeps) => async (req: StatusRequest) => {
  const s = await deps.runtimeStatus.status();
  const info: Record<string, string> = {};
  if (req.verbose) {
    info.config = JSON.stringify(deps.runtimeStatus.effectiveConfig());
    // Notes include the host's LSMs ("apparmor", "selinux") and clamped settings. The CRI says
    // every info value is JSON, so each note is a JSON string.
    for (const [k, v] of Object.entries(s.notes)) info[k] = JSON.stringify(v);
  }
  return {
    status: { conditions: s.conditions },
    info,
    // Per handler, from what its OCI runtime reports (see RuntimeStatusService).
    runtimeHandlers: s.handlers.map((h) => ({
      name: h.name,
      features: { recursiveReadOnlyMounts: h.recursiveReadOnlyMounts, userNamespaces: h.userNamespaces },
    })),
    // The spec builder implements both policies (Merge and Strict) for every handler.
    features: { supplementalGroupsPolicy: true },
  };
};
