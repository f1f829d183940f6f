import type { ReopenContainerLogRequest } from '../../gen/runtime/v1/api_pb.js';
import type { ServerDeps } from '../deps.js';
import { requireString } from '../validate.js';

export const reopenContainerLog = (deps: ServerDeps) => async (req: ReopenContainerLogRequest) => {
  await deps.containers.reopenLog(requireString('container_id', req.containerId));
  return {};
};
