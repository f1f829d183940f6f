import type { ListPodSandboxRequest } from '../../gen/runtime/v1/api_pb.js';
import type { ServerDeps } from '../deps.js';
import { toPodSandbox, toSandboxFilter } from './pod-sandbox-mapping.js';

export const listPodSandbox = (deps: ServerDeps) => async (req: ListPodSandboxRequest) => ({
  items: deps.sandboxes.list(toSandboxFilter(req.filter)).map(toPodSandbox),
});
