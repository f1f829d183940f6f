// One driver per runtime handler, speaking the runc command line (runc and crun both do).
// Containers are created by the monitor (conmon runs `<runtime> create`); everything else the
// daemon asks of a container's lifecycle goes through here.
import { spawn, type ChildProcess } from 'node:child_process';
import { release, tmpdir } from 'node:os';
import type { CgroupDriver, RuntimeHandlerConfig } from '../config/types.js';
import { CritterError, failedPrecondition, internal, invalidArgument, notFound } from '../util/errors.js';
import { silentLogger, type Logger } from '../util/log.js';
import {
  parseFeatures,
  supportsIdmappedMounts,
  supportsRecursiveReadOnly,
  supportsUserNamespaces,
  type RuntimeFeatures,
} from './features.js';
import type { LinuxResources } from './resources.js';
import { runRuntime, type CallOptions, type RunResult } from './run-runtime.js';
import { parseOciState, type OciState } from './state.js';

export type { CallOptions } from './run-runtime.js';

export interface RuntimeDriverOptions {
  handler: RuntimeHandlerConfig;
  cgroupDriver: CgroupDriver;
  log?: Logger;
  /** Per-call deadline when the caller gives none; milliseconds. */
  defaultTimeoutMs?: number;
  /** Where per-call runtime log files are made (and removed); the OS temp dir by default. */
  logDir?: string;
  /** For tests: the kernel release features are judged against (os.release() by default). */
  kernelRelease?: string;
}

export interface ExecSpawnOptions {
  /** process.json (an OCI `process` object) for `exec --process`. */
  processSpecPath: string;
  /** Where the runtime writes the host pid of the exec'd process. */
  pidFile: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export class OciRuntimeDriver {
  readonly name: string;
  readonly runtimePath: string;
  readonly root: string;
  private readonly systemd: boolean;
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly logDir: string;
  private readonly kernelRelease: string;
  private featuresCache?: Promise<RuntimeFeatures | null>;

  constructor(opts: RuntimeDriverOptions) {
    this.name = opts.handler.name;
    this.runtimePath = opts.handler.runtimePath;
    this.root = opts.handler.runtimeRoot;
    this.systemd = opts.cgroupDriver === 'systemd';
    this.log = opts.log ?? silentLogger();
    this.timeoutMs = opts.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.logDir = opts.logDir ?? tmpdir();
    this.kernelRelease = opts.kernelRelease ?? release();
  }

  /** Flags every command gets: the handler's state root, and the cgroup manager. */
  globalArgs(): string[] {
    return ['--root', this.root, ...(this.systemd ? ['--systemd-cgroup'] : [])];
  }

  async state(id: string, opts: CallOptions = {}): Promise<OciState> {
    const r = await this.run(['state', id], id, opts);
    if (r.code !== 0) throw this.failure('state', id, r);
    return parseOciState(r.stdout, id);
  }

  async start(id: string, opts: CallOptions = {}): Promise<void> {
    const r = await this.run(['start', id], id, opts);
    if (r.code !== 0) throw this.failure('start', id, r);
  }

  /** Signals the init process, or with `all` every process of the container. */
  async kill(id: string, signal: string | number, opts: CallOptions & { all?: boolean } = {}): Promise<void> {
    const sig = String(signal);
    if (!/^(SIG)?[A-Z0-9+-]+$/.test(sig)) throw invalidArgument(`bad signal ${JSON.stringify(sig)}`);
    const r = await this.run(['kill', ...(opts.all ? ['--all'] : []), id, sig], id, opts);
    if (r.code !== 0) throw this.failure('kill', id, r);
  }

  /** Removes the container's runtime state; a container the runtime does not know is fine. */
  async delete(id: string, opts: CallOptions & { force?: boolean } = {}): Promise<void> {
    const r = await this.run(['delete', ...(opts.force ? ['--force'] : []), id], id, opts);
    if (r.code === 0) return;
    const e = this.failure('delete', id, r);
    if (e.kind === 'NotFound') return;
    throw e;
  }

  /** Applies new cgroup limits to a live container. */
  async update(id: string, resources: LinuxResources, opts: CallOptions = {}): Promise<void> {
    const r = await this.run(['update', '--resources', '-', id], id, opts, JSON.stringify(resources));
    if (r.code !== 0) throw this.failure('update', id, r);
  }

  /** Host pids of the container's processes. */
  async ps(id: string, opts: CallOptions = {}): Promise<number[]> {
    const r = await this.run(['ps', '--format', 'json', id], id, opts);
    if (r.code !== 0) throw this.failure('ps', id, r);
    let v: unknown;
    try {
      v = JSON.parse(r.stdout.trim() || '[]');
    } catch (e) {
      throw internal(`${this.name} ps ${id}: output is not JSON: ${r.stdout.slice(0, 200)}`, e);
    }
    if (!Array.isArray(v)) throw internal(`${this.name} ps ${id}: output is not a list`);
    return v.filter((p): p is number => typeof p === 'number');
  }

  /**
   * The runtime's feature report, asked once and cached; null when the runtime has no
   * `features` command (crun before 1.9, for instance).
   */
  features(opts: CallOptions = {}): Promise<RuntimeFeatures | null> {
    this.featuresCache ??= this.loadFeatures(opts).catch((e: unknown) => {
      // A failed call (timeout, cancel) must not be remembered as the answer.
      this.featuresCache = undefined;
      throw e;
    });
    return this.featuresCache;
  }

  async supportsRecursiveReadOnly(): Promise<boolean> {
    return supportsRecursiveReadOnly(await this.features(), this.kernelRelease);
  }

  async supportsIdmappedMounts(): Promise<boolean> {
    return supportsIdmappedMounts(await this.features(), this.kernelRelease);
  }

  async supportsUserNamespaces(): Promise<boolean> {
    return supportsUserNamespaces(await this.features(), this.kernelRelease);
  }

  /**
   * Starts `<runtime> exec --process <spec> --pid-file <file> <id>` with piped output and returns
   * it unwaited; the caller owns its lifetime (see container/monitor/exec-sync.ts).
   */
  spawnExec(id: string, opts: ExecSpawnOptions): ChildProcess {
    this.checkId(id);
    const argv = [...this.globalArgs(), 'exec', '--process', opts.processSpecPath, '--pid-file', opts.pidFile, id];
    this.log.debug({ runtime: this.name, argv }, 'runtime exec');
    return spawn(this.runtimePath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  }

  private async loadFeatures(opts: CallOptions): Promise<RuntimeFeatures | null> {
    const r = await this.run(['features'], undefined, opts);
    if (r.code === 0) return parseFeatures(r.stdout);
    // Runtimes without the command say so and exit non-zero; that is "reports nothing".
    this.log.info({ runtime: this.name, error: r.errorMessage }, 'runtime reports no features');
    return null;
  }

  private checkId(id: string): void {
    if (!CONTAINER_ID.test(id)) throw invalidArgument(`bad container id ${JSON.stringify(id)}`);
  }

  private run(args: string[], id: string | undefined, opts: CallOptions, stdin?: string): Promise<RunResult> {
    if (id !== undefined) this.checkId(id);
    this.log.debug({ runtime: this.name, args }, 'runtime call');
    return runRuntime({
      runtimePath: this.runtimePath,
      globalArgs: this.globalArgs(),
      args,
      stdin,
      logDir: this.logDir,
      timeoutMs: opts.timeoutMs ?? this.timeoutMs,
      signal: opts.signal,
    });
  }

  /** A domain error for a failed command, kinded by what the runtime said. */
  private failure(cmd: string, id: string, r: RunResult): CritterError {
    const said = r.errorMessage || `exit ${r.code ?? r.signal}`;
    const msg = `${this.name} ${cmd} container ${id}: ${said}`;
    if (isNotFound(said, id)) return notFound(msg);
    if (/not running|already (finished|stopped)|process already|container is stopped|is not running/i.test(said)) {
      return failedPrecondition(msg);
    }
    return internal(msg);
  }
}

/** runc says "container does not exist"; crun fails to open the container's state dir. */
export function isNotFound(message: string, id: string): boolean {
  if (/container does not exist|container .* does not exist/i.test(message)) return true;
  return /No such file or directory/.test(message) && (message.includes(`/${id}/`) || message.includes(`/${id}'`) || message.includes(`/${id}\``));
}
