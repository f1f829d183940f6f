import type { UpdateRuntimeConfigRequest } from '../../gen/runtime/v1/api_pb.js';
import type { ServerDeps } from '../deps.js';

// The kubelet sends the node's pod CIDR here; CNI gets it as the ipRanges capability.
export const updateRuntimeConfig = (deps: ServerDeps) => async (req: UpdateRuntimeConfigRequest) => {
  const cidr = req.runtimeConfig?.networkConfig?.podCidr ?? '';
  deps.networkConfig.setPodCidr(cidr);
  return {};
};
