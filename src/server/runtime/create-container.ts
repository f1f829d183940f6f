import type { CreateContainerRequest } from '../../gen/runtime/v1/api_pb.js';
import type { CallContext } from '../instrument.js';
import type { ServerDeps } from '../deps.js';
import { toContainerRequest } from './container-mapping.js';

export const createContainer = (deps: ServerDeps) => async (req: CreateContainerRequest, ctx: CallContext) => ({
  containerId: await deps.containers.create(toContainerRequest(req), ctx.signal),
});
