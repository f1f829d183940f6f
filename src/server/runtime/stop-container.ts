import type { StopContainerRequest } from '../../gen/runtime/v1/api_pb.js';
import type { CallContext } from '../instrument.js';
import type { ServerDeps } from '../deps.js';
import { requireString } from '../validate.js';

// Idempotent: a stopped or unknown container answers OK, as containerd does.
export const stopContainer = (deps: ServerDeps) => async (req: StopContainerRequest, ctx: CallContext) => {
  const timeout = req.timeout < 0n ? 0 : Number(req.timeout > 86_400n ? 86_400n : req.timeout);
  await deps.containers.stop(requireString('container_id', req.containerId), timeout, ctx.signal);
  return {};
};
