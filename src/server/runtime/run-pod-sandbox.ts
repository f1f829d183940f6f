import type { RunPodSandboxRequest } from '../../gen/runtime/v1/api_pb.js';
import type { CallContext } from '../instrument.js';
import type { ServerDeps } from '../deps.js';
import { toSandboxRequest } from './pod-sandbox-mapping.js';

export const runPodSandbox = (deps: ServerDeps) => async (req: RunPodSandboxRequest, ctx: CallContext) => ({
  podSandboxId: await deps.sandboxes.run(toSandboxRequest(req), ctx.signal),
});
