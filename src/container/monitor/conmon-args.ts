// conmon's command line (conmon 2.1). Kept pure so the flags can be checked without conmon.
import type { ConmonLogLevel } from './conmon-types.js';

export interface ConmonArgsInput {
  id: string;
  /** conmon's --cuuid; names the attach-socket dir when --full-attach is off. */
  uuid: string;
  name: string;
  runtimePath: string;
  runtimeRoot: string;
  systemdCgroup: boolean;
  /** Bundle of the container, or for an exec a private dir conmon may use for its sockets. */
  bundle: string;
  /** The container (or exec'd) process pid file. */
  pidFile: string;
  conmonPidFile: string;
  /** CRI log file ("RFC3339Nano stream P|F text" lines). */
  logPath: string;
  exitDir: string;
  persistDir: string;
  socketDir: string;
  /** The runtime's own JSON log for the create (or exec) it runs under conmon. */
  runtimeLogPath: string;
  terminal: boolean;
  stdin: boolean;
  /** Keep the container's stdin open when the last attached client leaves. */
  leaveStdinOpen: boolean;
  logLevel: ConmonLogLevel;
  /** Bytes; absent means no limit. */
  logSizeMax?: number;
  /** For --exec: the process.json the runtime is given. */
  exec?: { processSpecPath: string; attach: boolean; timeoutSeconds?: number };
}

export function buildConmonArgs(i: ConmonArgsInput): string[] {
  const a = [
    '--api-version', '1',
    '--cid', i.id,
    '--cuuid', i.uuid,
    '--name', i.name,
    '--runtime', i.runtimePath,
    // Runtime args go before the runtime's command; conmon adds --systemd-cgroup itself for
    // create when told with -s, so it is not repeated here.
    '--runtime-arg', `--root=${i.runtimeRoot}`,
    '--runtime-arg', `--log=${i.runtimeLogPath}`,
    '--runtime-arg', '--log-format=json',
    '--bundle', i.bundle,
    '--container-pidfile', i.pidFile,
    '--conmon-pidfile', i.conmonPidFile,
    '--log-path', i.logPath,
    '--exit-dir', i.exitDir,
    '--persist-dir', i.persistDir,
    '--socket-dir-path', i.socketDir,
    // The attach socket then sits at <bundle>/attach, free of the 108-byte sun_path limit.
    '--full-attach',
    '--log-level', i.logLevel,
  ];
  if (i.systemdCgroup) a.push('--systemd-cgroup');
  if (i.terminal) a.push('--terminal');
  if (i.stdin) a.push('--stdin');
  if (i.stdin && i.leaveStdinOpen) a.push('--leave-stdin-open');
  if (i.logSizeMax !== undefined && i.logSizeMax > 0) a.push('--log-size-max', String(i.logSizeMax));
  if (i.exec) {
    a.push('--exec', '--exec-process-spec', i.exec.processSpecPath);
    if (i.exec.attach) a.push('--exec-attach');
    if (i.exec.timeoutSeconds !== undefined && i.exec.timeoutSeconds > 0) a.push('--timeout', String(i.exec.timeoutSeconds));
  }
  return a;
}
