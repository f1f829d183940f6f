import type { ListPodSandboxStatsRequest } from '../../gen/runtime/v1/api_pb.js';
import type { ServerDeps } from '../deps.js';
import { toPodSandboxStats, toPodSandboxStatsFilter } from './stats-mapping.js';

export const listPodSandboxStats = (deps: ServerDeps) => async (req: ListPodSandboxStatsRequest) => ({
  stats: (await deps.stats.listPods(toPodSandboxStatsFilter(req.filter))).map(toPodSandboxStats),
});
