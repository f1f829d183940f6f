// How an exited container is reported: containerd's reasons. OOMKilled wins over the exit code
// (an OOM-killed process exits 137 like any SIGKILL); a container whose end nobody saw (conmon
// gone, node rebooted) gets 255 and Unknown.
import type { ExitInfo } from './monitor/conmon.js';

export const REASON_COMPLETED = 'Completed';
export const REASON_ERROR = 'Error';
export const REASON_OOM = 'OOMKilled';
export const REASON_UNKNOWN = 'Unknown';
export const REASON_START_ERROR = 'StartError';
export const UNKNOWN_EXIT_CODE = 255;
/** containerd's exit code for a container whose start failed. */
export const START_ERROR_EXIT_CODE = 128;

export function exitReason(info: ExitInfo): string {
  if (info.oomKilled) return REASON_OOM;
  return info.exitCode === 0 ? REASON_COMPLETED : REASON_ERROR;
}
