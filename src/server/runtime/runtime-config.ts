import { CgroupDriver, type RuntimeConfigRequest } from '../../gen/runtime/v1/api_pb.js';
import type { ServerDeps } from '../deps.js';

export const runtimeConfig = (deps: ServerDeps) => async (_req: RuntimeConfigRequest) => ({
  linux: { cgroupDriver: deps.config.cgroup.driver === 'systemd' ? CgroupDriver.SYSTEMD : CgroupDriver.CGROUPFS },
});
