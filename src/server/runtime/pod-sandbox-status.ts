import type { PodSandboxStatusRequest } from '../../gen/runtime/v1/api_pb.js';
import type { ServerDeps } from '../deps.js';
import { requireString } from '../validate.js';
import { toPodSandboxStatus } from './pod-sandbox-mapping.js';

// Verbose details go in info["info"] as one JSON document, where crictl inspectp looks.
export const podSandboxStatus = (deps: ServerDeps) => async (req: PodSandboxStatusRequest) => {
  const { sandbox, info } = deps.sandboxes.status(requireString('pod_sandbox_id', req.podSandboxId));
  const out: Record<string, string> = req.verbose ? { info: JSON.stringify(info) } : {};
  return { status: toPodSandboxStatus(sandbox), info: out };
};
