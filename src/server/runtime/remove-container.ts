import type { RemoveContainerRequest } from '../../gen/runtime/v1/api_pb.js';
import type { CallContext } from '../instrument.js';
import type { ServerDeps } from '../deps.js';
import { requireString } from '../validate.js';

// Idempotent: an id that is gone (or never was) answers OK, as the CRI asks.
export const removeContainer = (deps: ServerDeps) => async (req: RemoveContainerRequest, ctx: CallContext) => {
  await deps.containers.remove(requireString('container_id', req.containerId), ctx.signal);
  return {};
};
