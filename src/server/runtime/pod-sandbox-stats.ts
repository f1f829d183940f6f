import type { PodSandboxStatsRequest } from '../../gen/runtime/v1/api_pb.js';
import type { ServerDeps } from '../deps.js';
import { requireString } from '../validate.js';
import { toPodSandboxStats } from './stats-mapping.js';

export const podSandboxStats = (deps: ServerDeps) => async (req: PodSandboxStatsRequest) => ({
  stats: toPodSandboxStats(await deps.stats.pod(requireString('pod_sandbox_id', req.podSandboxId))),
});
