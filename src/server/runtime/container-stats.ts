import type { ContainerStatsRequest } from '../../gen/runtime/v1/api_pb.js';
import type { ServerDeps } from '../deps.js';
import { requireString } from '../validate.js';
import { toContainerStats } from './stats-mapping.js';

export const containerStats = (deps: ServerDeps) => async (req: ContainerStatsRequest) => ({
  stats: toContainerStats(await deps.stats.container(requireString('container_id', req.containerId))),
});
