import type { ListContainersRequest } from '../../gen/runtime/v1/api_pb.js';
import type { ServerDeps } from '../deps.js';
import { toContainer, toContainerFilter } from './container-mapping.js';

export const listContainers = (deps: ServerDeps) => async (req: ListContainersRequest) => ({
  containers: deps.containers.list(toContainerFilter(req.filter)).map(toContainer),
});
