import type { UpdateContainerResourcesRequest } from '../../gen/runtime/v1/api_pb.js';
import type { ServerDeps } from '../deps.js';
import { requirePresent, requireString } from '../validate.js';

export const updateContainerResources = (deps: ServerDeps) => async (req: UpdateContainerResourcesRequest) => {
  const id = requireString('container_id', req.containerId);
  await deps.containers.updateResources(id, requirePresent('linux', req.linux));
  return {};
};
