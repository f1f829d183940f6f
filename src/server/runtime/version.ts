import type { VersionRequest } from '../../gen/runtime/v1/api_pb.js';
import type { ServerDeps } from '../deps.js';

// The kubelet sends its API version; v1 is the only one critter speaks, so answer regardless.
export const version = (deps: ServerDeps) => async (_req: VersionRequest) => ({
  version: '0.1.0',
  runtimeName: 'critter',
  runtimeVersion: deps.version,
  runtimeApiVersion: 'v1',
});
