import type { ReopenContainerLogRequest } from '../../gen/runtime/v1/api_pb.js';
import type { ServerDeps } from '../deps.js';
import { requireString } from '../validate.js';

// async: a refusal must reach the client as a status, not escape as a synchronous throw.
export const reopenContainerLog = (deps: ServerDeps) => async (req: ReopenContainerLogRequest) => {
  deps.containers.reopenLog(requireString('container_id', req.containerId));
  return {};
};
