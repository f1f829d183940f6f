import type { ContainerStatusRequest } from '../../gen/runtime/v1/api_pb.js';
import type { ServerDeps } from '../deps.js';
import { requireString } from '../validate.js';
import { toContainerStatus } from './container-mapping.js';

// Verbose details go in info["info"] as one JSON document, where crictl inspect looks.
export const containerStatus = (deps: ServerDeps) => async (req: ContainerStatusRequest) => {
  const { container, info } = deps.containers.status(requireString('container_id', req.containerId));
  const out: Record<string, string> = req.verbose ? { info: JSON.stringify(info) } : {};
  return { status: toContainerStatus(container), info: out };
};
