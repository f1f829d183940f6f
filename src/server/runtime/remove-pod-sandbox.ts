import type { RemovePodSandboxRequest } from '../../gen/runtime/v1/api_pb.js';
import type { CallContext } from '../instrument.js';
import type { ServerDeps } from '../deps.js';
import { requireString } from '../validate.js';

// Idempotent: an id that is gone (or never was) answers OK, as the CRI asks.
export const removePodSandbox = (deps: ServerDeps) => async (req: RemovePodSandboxRequest, ctx: CallContext) => {
  await deps.sandboxes.remove(requireString('pod_sandbox_id', req.podSandboxId), ctx.signal);
  return {};
};
