// Runs one runc-compatible CLI command and collects its output. The runtime logs its errors as
// JSON lines into a per-call --log file; the last error there is the most precise message.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cancelled, deadlineExceeded, errnoCode, internal } from '../util/errors.js';

export interface CallOptions {
  /** Cancels the call; the runtime process is SIGKILLed. */
  signal?: AbortSignal;
  /** Milliseconds; the driver's default when absent. */
  timeoutMs?: number;
}

export interface RunRequest {
  runtimePath: string;
  /** Global flags (--root ...) before the command; --log and --log-format are added here. */
  globalArgs: string[];
  args: string[];
  stdin?: string;
  logDir: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The last error message the runtime logged, or its stderr when it logged none. */
  errorMessage: string;
}

const OUTPUT_LIMIT = 4 * 1024 * 1024;
const EXIT_DRAIN_MS = 500;

/** The last `msg` of an error-level JSON log line; runc and crun both write `{"level","msg"}`. */
export function lastLoggedError(logText: string): string | undefined {
  let found: string | undefined;
  for (const line of logText.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const v = JSON.parse(line) as { level?: unknown; msg?: unknown };
      if ((v.level === 'error' || v.level === 'fatal') && typeof v.msg === 'string') found = v.msg;
    } catch {
      // A torn or foreign line: skip it.
    }
  }
  return found;
}

export function runRuntime(req: RunRequest): Promise<RunResult> {
  const what = `${req.runtimePath} ${req.args.join(' ')}`;
  if (req.signal?.aborted) return Promise.reject(cancelled(`${what}: cancelled before it ran`));
  const tmp = mkdtempSync(join(req.logDir, 'critter-runtime-call-'));
  const logFile = join(tmp, 'log.json');
  const argv = [...req.globalArgs, '--log', logFile, '--log-format', 'json', ...req.args];
  // stdin is a regular file, not a pipe: Node's pipes are socketpairs, and crun reads "-" by
  // opening /dev/stdin, which fails on a socket (ENXIO).
  let stdinFd: number | undefined;
  if (req.stdin !== undefined) {
    const f = join(tmp, 'stdin');
    writeFileSync(f, req.stdin);
    stdinFd = openSync(f, 'r');
  }
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(req.runtimePath, argv, { stdio: [stdinFd ?? 'ignore', 'pipe', 'pipe'] });
    if (stdinFd !== undefined) closeSync(stdinFd);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    child.stdout?.on('data', (b: Buffer) => {
      if (outLen < OUTPUT_LIMIT) out.push(b);
      outLen += b.length;
    });
    child.stderr?.on('data', (b: Buffer) => {
      if (errLen < OUTPUT_LIMIT) err.push(b);
      errLen += b.length;
    });
    let settled = false;
    // Settle at once on timeout or abort: a grandchild holding the runtime's stdout open would
    // otherwise delay 'close' past the deadline. The temp dir is removed on 'close' regardless.
    const stop = (why: 'timeout' | 'abort'): void => {
      child.kill('SIGKILL');
      if (settled) return;
      settled = true;
      finish();
      reject(why === 'timeout' ? deadlineExceeded(`${what}: no answer within ${req.timeoutMs} ms`) : cancelled(`${what}: cancelled`));
    };
    const timer = setTimeout(() => stop('timeout'), req.timeoutMs);
    const onAbort = (): void => stop('abort');
    req.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (): void => {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (e) => {
      finish();
      rmSync(tmp, { recursive: true, force: true });
      if (settled) return;
      settled = true;
      reject(internal(`cannot run ${req.runtimePath}: ${errnoCode(e) ?? e.message}`, e));
    });
    // A process the runtime left behind may hold our pipes open; don't wait on it for long.
    child.on('exit', () => {
      setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, EXIT_DRAIN_MS).unref();
    });
    child.on('close', (code, sig) => {
      finish();
      let logText = '';
      try {
        logText = readFileSync(logFile, 'utf8');
      } catch {
        // No log: the runtime had nothing to say.
      }
      rmSync(tmp, { recursive: true, force: true });
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (settled) return;
      settled = true;
      const errorMessage = lastLoggedError(logText) ?? stderr.trim();
      resolve({ code, signal: sig, stdout, stderr, errorMessage });
    });
  });
}
