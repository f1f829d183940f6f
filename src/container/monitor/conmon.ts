// Runs containers under conmon so they outlive critterd. conmon double-forks: the process we
// spawn writes the --conmon-pidfile and exits at once, and its child (in its own session,
// reparented away from us) runs `<runtime> create`, reports the container pid on the sync pipe,
// copies the container's output into the CRI log, serves the attach socket and the ctl fifo,
// and writes the exit file. We hold nothing of it afterwards: our end of the sync pipe is
// closed once the pid arrived, so our death cannot take it down.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable, Readable } from 'node:stream';
import type { CgroupDriver } from '../../config/types.js';
import { cancelled, deadlineExceeded, errnoCode, failedPrecondition, internal, invalidArgument, unavailable } from '../../util/errors.js';
import { silentLogger, type Logger } from '../../util/log.js';
import type { OciRuntimeDriver, CallOptions } from '../../oci/runtime-driver.js';
import { lastLoggedError } from '../../oci/run-runtime.js';
import { buildConmonArgs } from './conmon-args.js';
import type { ConmonLogLevel, ExitInfo } from './conmon-types.js';
import { readExitFile } from './exit-file.js';
import { ExitWatcher, type ExitCallback } from './exit-watcher.js';
import { SyncReader } from './sync-pipe.js';

export type { ExitInfo } from './conmon-types.js';

export interface ConmonMonitorOptions {
  conmonPath: string;
  runtime: OciRuntimeDriver;
  cgroupDriver: CgroupDriver;
  /** One dir for every container's exit file, watched as a whole. */
  exitDir: string;
  /** Base of conmon's --socket-dir-path (unused for the attach socket with --full-attach). */
  socketDir: string;
  log?: Logger;
  logLevel?: ConmonLogLevel;
  /** Fallback poll period of exit watching, milliseconds. */
  exitPollMs?: number;
}

export interface CreateOptions extends CallOptions {
  id: string;
  name?: string;
  /** OCI bundle (config.json + rootfs); conmon also keeps its ctl/winsz fifos and attach socket here. */
  bundle: string;
  /** The CRI log file. */
  logPath: string;
  /** Where conmon writes `exit` and `oom`; the bundle by default. */
  persistDir?: string;
  terminal?: boolean;
  stdin?: boolean;
  /** CRI stdin_once: close the container's stdin when the first attach ends. */
  stdinOnce?: boolean;
  logSizeMax?: number;
  /**
   * Called with conmon's pid while conmon waits on its start pipe, before it forks anything:
   * the place to move it into a cgroup.
   */
  placeConmon?: (conmonPid: number) => Promise<void>;
  /** Extra environment for conmon and hence the runtime (PATH is always set). */
  env?: Record<string, string>;
}

/** A container under conmon, as a record the container store can persist for recovery. */
export interface MonitoredContainer {
  id: string;
  uuid: string;
  bundle: string;
  persistDir: string;
  logPath: string;
  pidFile: string;
  conmonPidFile: string;
  /** Host pid of the container's init process. */
  pid: number;
  conmonPid: number;
}

const DEFAULT_CREATE_TIMEOUT_MS = 60_000;
const STDERR_LIMIT = 8192;

export class ConmonMonitor {
  private readonly log: Logger;
  private readonly watcher: ExitWatcher;

  constructor(private readonly opts: ConmonMonitorOptions) {
    this.log = opts.log ?? silentLogger();
    mkdirSync(opts.exitDir, { recursive: true, mode: 0o700 });
    mkdirSync(opts.socketDir, { recursive: true, mode: 0o700 });
    this.watcher = new ExitWatcher(opts.exitDir, this.log, opts.exitPollMs);
  }

  get runtime(): OciRuntimeDriver {
    return this.opts.runtime;
  }

  /**
   * `<runtime> create` under conmon; resolves once the container exists (state "created") with
   * its pid and conmon's. Start it with start().
   */
  async create(o: CreateOptions): Promise<MonitoredContainer> {
    const persistDir = o.persistDir ?? o.bundle;
    const uuid = randomUUID();
    const rec: MonitoredContainer = {
      id: o.id,
      uuid,
      bundle: o.bundle,
      persistDir,
      logPath: o.logPath,
      pidFile: join(persistDir, 'pidfile'),
      conmonPidFile: join(persistDir, 'conmon-pidfile'),
      pid: 0,
      conmonPid: 0,
    };
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(o.id)) throw invalidArgument(`bad container id ${JSON.stringify(o.id)}`);
    mkdirSync(persistDir, { recursive: true, mode: 0o700 });
    // A leftover from an earlier container of the same id would read as this one's exit.
    rmSync(join(this.opts.exitDir, o.id), { force: true });
    for (const f of [rec.pidFile, rec.conmonPidFile, join(persistDir, 'oom'), join(persistDir, 'exit')]) rmSync(f, { force: true });
    const runtimeLogPath = join(persistDir, 'runtime-create.log');
    const args = buildConmonArgs({
      id: o.id,
      uuid,
      name: o.name ?? o.id,
      runtimePath: this.opts.runtime.runtimePath,
      runtimeRoot: this.opts.runtime.root,
      systemdCgroup: this.opts.cgroupDriver === 'systemd',
      bundle: o.bundle,
      pidFile: rec.pidFile,
      conmonPidFile: rec.conmonPidFile,
      logPath: o.logPath,
      exitDir: this.opts.exitDir,
      persistDir,
      socketDir: this.opts.socketDir,
      runtimeLogPath,
      terminal: o.terminal ?? false,
      stdin: o.stdin ?? false,
      leaveStdinOpen: (o.stdin ?? false) && !(o.stdinOnce ?? false),
      logLevel: this.opts.logLevel ?? 'error',
      logSizeMax: o.logSizeMax,
    });
    const { pid, conmonPid } = await this.spawnConmon(o, args, rec, runtimeLogPath);
    rec.pid = pid;
    rec.conmonPid = conmonPid;
    return rec;
  }

  /** Starts a created container's process (`<runtime> start`). */
  start(id: string, opts: CallOptions = {}): Promise<void> {
    return this.opts.runtime.start(id, opts);
  }

  /** The exit of a container that ended, or null while it runs (or never ran under conmon). */
  readExit(id: string, persistDir?: string): ExitInfo | null {
    return readExitFile(this.opts.exitDir, id, persistDir);
  }

  /** Calls `cb` once when the container has exited (at once if it already has); returns a canceller. */
  watchExit(id: string, cb: ExitCallback, persistDir?: string): () => void {
    return this.watcher.watch(id, cb, persistDir);
  }

  /** A promise of the container's exit, rejected on abort. */
  waitExit(id: string, persistDir?: string, signal?: AbortSignal): Promise<ExitInfo> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(cancelled(`waiting for container ${id} to exit: cancelled`));
      const onAbort = (): void => {
        stop();
        reject(cancelled(`waiting for container ${id} to exit: cancelled`));
      };
      const stop = this.watchExit(
        id,
        (info) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(info);
        },
        persistDir,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Forgets the exit file of a removed container. */
  removeExit(id: string): void {
    rmSync(join(this.opts.exitDir, id), { force: true });
  }

  /** Stops all exit watching (daemon shutdown). */
  close(): void {
    this.watcher.close();
  }

  /** conmon's attach socket (SOCK_SEQPACKET; with --full-attach it lives in the bundle). */
  attachSocketPath(c: Pick<MonitoredContainer, 'bundle'>): string {
    return join(c.bundle, 'attach');
  }

  /** Asks conmon to reopen the CRI log file (after the kubelet rotated it). */
  async reopenLog(c: Pick<MonitoredContainer, 'bundle' | 'id' | 'logPath'>, timeoutMs = 5000): Promise<void> {
    this.writeCtl(c, '2 0 0\n');
    // conmon acts on the request asynchronously; the kubelet (and critest) expect the new file
    // to exist when the call returns, so wait for it.
    if (c.logPath === '' || c.logPath === '/dev/null') return;
    const until = Date.now() + timeoutMs;
    while (!existsSync(c.logPath)) {
      if (Date.now() > until) throw unavailable(`conmon did not reopen the log ${c.logPath} of container ${c.id} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Resizes the container's terminal. */
  resizeTerminal(c: Pick<MonitoredContainer, 'bundle' | 'id'>, height: number, width: number): void {
    if (!Number.isInteger(height) || !Number.isInteger(width) || height < 0 || width < 0) {
      throw invalidArgument(`bad terminal size ${height}x${width}`);
    }
    this.writeCtl(c, `1 ${height} ${width}\n`);
  }

  /** True while the conmon of this container is alive (for recovery after a daemon restart). */
  conmonRunning(c: Pick<MonitoredContainer, 'conmonPid' | 'id'>): boolean {
    try {
      const argv = readFileSync(`/proc/${c.conmonPid}/cmdline`, 'utf8').split('\0');
      return argv.includes('--cid') && argv[argv.indexOf('--cid') + 1] === c.id;
    } catch {
      return false;
    }
  }

  // ctl messages are "<type> <height> <width>\n": type 1 resizes, 2 reopens the log.
  private writeCtl(c: Pick<MonitoredContainer, 'bundle' | 'id'>, msg: string): void {
    const fifo = join(c.bundle, 'ctl');
    let fd: number;
    try {
      // Non-blocking: with conmon gone there is no reader and a blocking open would hang.
      fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (e) {
      const code = errnoCode(e);
      if (code === 'ENXIO' || code === 'ENOENT') throw failedPrecondition(`conmon of container ${c.id} is not running`, e);
      throw internal(`cannot open conmon ctl fifo ${fifo}`, e);
    }
    try {
      writeSync(fd, msg);
    } finally {
      closeSync(fd);
    }
  }

  private spawnConmon(
    o: CreateOptions,
    args: string[],
    rec: MonitoredContainer,
    runtimeLogPath: string,
  ): Promise<{ pid: number; conmonPid: number }> {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      ...o.env,
      _OCI_SYNCPIPE: '3',
    };
    if (o.placeConmon) env._OCI_STARTPIPE = '4';
    this.log.debug({ id: o.id, conmon: this.opts.conmonPath, args }, 'spawning conmon');
    const child = spawn(this.opts.conmonPath, args, {
      cwd: o.bundle,
      env,
      // Its own session: nothing aimed at our process group (a terminal's ^C) reaches it.
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', ...(o.placeConmon ? (['pipe'] as const) : [])],
    });
    const stderr = child.stdio[2] as Readable;
    const syncStream = child.stdio[3] as Readable;
    const startPipe = o.placeConmon ? (child.stdio[4] as Writable) : undefined;
    const sync = new SyncReader(syncStream);
    let stderrText = '';
    stderr.setEncoding('utf8');
    stderr.on('data', (s: string) => {
      if (stderrText.length < STDERR_LIMIT) stderrText += s;
    });
    const parentExit = new Promise<number | null>((resolve) => {
      child.on('exit', (code) => resolve(code));
      child.on('error', (e) => {
        this.log.error({ err: e, id: o.id }, 'cannot spawn conmon');
        resolve(null);
      });
    });
    // Drop every handle on the conmon process: streams closed, child not keeping the loop alive.
    const release = (): void => {
      for (const s of child.stdio) s?.destroy();
      child.unref();
    };
    const timeoutMs = o.timeoutMs ?? DEFAULT_CREATE_TIMEOUT_MS;
    let onAbort: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const interrupted = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(deadlineExceeded(`conmon did not report container ${o.id} within ${timeoutMs} ms`)), timeoutMs);
      onAbort = () => reject(cancelled(`creating container ${o.id}: cancelled`));
      if (o.signal?.aborted) onAbort();
      else o.signal?.addEventListener('abort', onAbort, { once: true });
    });
    const work = async (): Promise<{ pid: number; conmonPid: number }> => {
      if (o.placeConmon && startPipe) {
        if (child.pid === undefined) throw internal(`cannot spawn conmon ${this.opts.conmonPath}: ${stderrText.trim()}`);
        await o.placeConmon(child.pid);
        startPipe.end('0');
      }
      const msg = await sync.next();
      const code = await parentExit;
      if (!msg) {
        throw internal(`conmon for container ${o.id} ended without a report (exit ${code}): ${stderrText.trim() || 'no message'}`);
      }
      if (msg.data <= 0) {
        const said = lastLoggedError(safeRead(runtimeLogPath)) ?? msg.message?.trim() ?? 'no message';
        throw internal(`${this.opts.runtime.name} create container ${o.id} failed: ${said}`);
      }
      const conmonPid = Number.parseInt(safeRead(rec.conmonPidFile).trim(), 10);
      if (!Number.isInteger(conmonPid) || conmonPid <= 0) throw internal(`conmon for container ${o.id} wrote no pid file`);
      return { pid: msg.data, conmonPid };
    };
    return Promise.race([work(), interrupted])
      .catch((e: unknown) => {
        this.abandon(rec, child.exitCode === null ? child.pid : undefined);
        throw e;
      })
      .finally(() => {
        if (timer) clearTimeout(timer);
        if (onAbort) o.signal?.removeEventListener('abort', onAbort);
        release();
      });
  }

  // A create that failed or was given up: make sure no conmon of it is left behind. The
  // runtime's half-made container is the caller's to delete (runtime delete --force).
  private abandon(rec: MonitoredContainer, spawnedPid: number | undefined): void {
    const recorded = Number.parseInt(safeRead(rec.conmonPidFile).trim(), 10);
    // The pid file may be stale or the pid reused: only signal a conmon of this very container.
    const pids = [this.conmonRunning({ conmonPid: recorded, id: rec.id }) ? recorded : 0, spawnedPid ?? 0];
    for (const p of pids) {
      if (!Number.isInteger(p) || p <= 0) continue;
      try {
        // SIGTERM: conmon forwards it to the runtime child or container, then exits.
        process.kill(p, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
