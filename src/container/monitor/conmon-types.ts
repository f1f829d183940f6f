// Shapes shared by the conmon monitor's parts.

export type ConmonLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** What conmon reports on the sync pipe: a pid (or exit code) or, when negative, a failure. */
export interface SyncMessage {
  data: number;
  message?: string;
}

/** How a monitored container ended, from conmon's exit file and OOM marker. */
export interface ExitInfo {
  /** As conmon writes it: the exit status, or 128 + signal; -1 when conmon timed it out. */
  exitCode: number;
  /** When the exit file was written. */
  finishedAt: Date;
  oomKilled: boolean;
}
