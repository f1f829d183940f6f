import type { StartContainerRequest } from '../../gen/runtime/v1/api_pb.js';
import type { ServerDeps } from '../deps.js';
import { requireString } from '../validate.js';

export const startContainer = (deps: ServerDeps) => async (req: StartContainerRequest) => {
  await deps.containers.start(requireString('container_id', req.containerId));
  return {};
};
