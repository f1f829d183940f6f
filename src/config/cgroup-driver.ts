// The kubelet and the runtime must agree on the cgroup driver; with none configured we follow
// what the node runs: systemd manages cgroups only when it is PID 1.
import { readFileSync } from 'node:fs';
import type { CgroupDriver } from './types.js';

export function detectCgroupDriver(readComm: () => string = () => readFileSync('/proc/1/comm', 'utf8')): CgroupDriver {
  try {
    return readComm().trim() === 'systemd' ? 'systemd' : 'cgroupfs';
  } catch {
    return 'cgroupfs';
  }
}
