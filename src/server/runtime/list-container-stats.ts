import type { ListContainerStatsRequest } from '../../gen/runtime/v1/api_pb.js';
import type { ServerDeps } from '../deps.js';
import { toContainerStats, toContainerStatsFilter } from './stats-mapping.js';

export const listContainerStats = (deps: ServerDeps) => async (req: ListContainerStatsRequest) => ({
  stats: (await deps.stats.listContainers(toContainerStatsFilter(req.filter))).map(toContainerStats),
});
