// ExecSync: run a command in a container and collect its output, with a timeout.
//
// The simplest correct way is the runtime's own `exec --process` (not detached) with pipes: the
// runtime stays in the foreground until the command ends and exits with its status (128+N for a
// signal), so no conmon is needed. On timeout the runtime is killed together with the exec'd
// process tree (its host pid comes from --pid-file): killing `runc exec` alone would leave the
// command running in the container.
//
// Interactive exec (crictl exec -t/-i) is different and belongs to the streaming server: it will
// run `conmon --exec --exec-process-spec <process.json> --exec-attach [-t] [-i]` with
// _OCI_ATTACHPIPE (conmon says when the attach socket is ready) and _OCI_STARTPIPE (we say when
// we are attached), then speak conmon's attach socket (see conmon-args.ts and attachSocketPath).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { cancelled, failedPrecondition, internal, invalidArgument } from '../../util/errors.js';
import type { OciRuntimeDriver } from '../../oci/runtime-driver.js';
import { killTree } from './process-tree.js';

export interface ExecSyncOptions {
  /** The container's bundle: its config.json `process` is the template for the exec'd one. */
  bundle: string;
  cmd: string[];
  /** Milliseconds; 0 or absent means no timeout (CRI semantics). */
  timeoutMs?: number;
  /** Per-stream cap; output beyond it is dropped. 16 MiB by default. */
  maxOutputBytes?: number;
  /** Where process.json and the pid file are written (a private temp dir is made inside). */
  workDir: string;
  signal?: AbortSignal;
}

export interface ExecSyncResult {
  stdout: Buffer;
  stderr: Buffer;
  /** The command's status, 128+N when a signal ended it (137 after a timeout kill). */
  exitCode: number;
  timedOut: boolean;
}

const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;
// After the runtime exits, output still buffered in the pipes is read; a background process
// that kept them open does not hold the call longer than this.
const DRAIN_GRACE_MS = 500;
const PID_FILE_WAIT_MS = 2000;

function collect(stream: Readable | null, max: number): () => Buffer {
  const chunks: Buffer[] = [];
  let len = 0;
  stream?.on('data', (b: Buffer) => {
    if (len >= max) return;
    const take = b.subarray(0, max - len);
    chunks.push(take);
    len += take.length;
  });
  return () => Buffer.concat(chunks);
}

/** The exec'd process: the container's own process with the command swapped in, no terminal. */
export function execProcessSpec(bundle: string, cmd: string[]): Record<string, unknown> {
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  } catch (e) {
    throw internal(`cannot read the spec of bundle ${bundle}`, e);
  }
  const proc = (config as { process?: unknown }).process;
  if (typeof proc !== 'object' || proc === null) throw internal(`bundle ${bundle} has no process in its spec`);
  const { consoleSize: _consoleSize, ...rest } = proc as Record<string, unknown>;
  return { ...rest, args: cmd, terminal: false };
}

export async function execSync(driver: OciRuntimeDriver, id: string, o: ExecSyncOptions): Promise<ExecSyncResult> {
  if (o.cmd.length === 0) throw invalidArgument('exec needs a command');
  if (o.signal?.aborted) throw cancelled(`exec in container ${id}: cancelled`);
  // The runtime's own failures would otherwise read as the command's stderr and status.
  const state = await driver.state(id, { signal: o.signal });
  if (state.status !== 'running') throw failedPrecondition(`container ${id} is ${state.status}, not running`);
  const dir = mkdtempSync(join(o.workDir, `exec-${id.slice(0, 12)}-`));
  const processSpecPath = join(dir, 'process.json');
  const pidFile = join(dir, 'pid');
  try {
    writeFileSync(processSpecPath, JSON.stringify(execProcessSpec(o.bundle, o.cmd)));
    const child = driver.spawnExec(id, { processSpecPath, pidFile });
    const max = o.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    const stdout = collect(child.stdout, max);
    const stderr = collect(child.stderr, max);
    let timedOut = false;
    let aborted = false;
    const killAll = async (): Promise<void> => {
      // The pid file appears once the command is set up; a very early timeout waits for it.
      const until = Date.now() + PID_FILE_WAIT_MS;
      for (;;) {
        const pid = Number.parseInt(readOr(pidFile).trim(), 10);
        if (pid > 0) {
          killTree(pid);
          break;
        }
        if (child.exitCode !== null || child.signalCode !== null || Date.now() > until) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      child.kill('SIGKILL');
    };
    const timer =
      o.timeoutMs && o.timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            void killAll();
          }, o.timeoutMs)
        : undefined;
    const onAbort = (): void => {
      aborted = true;
      void killAll();
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const status = await new Promise<{ code: number | null; sig: NodeJS.Signals | null }>((resolve, reject) => {
      let exit: { code: number | null; sig: NodeJS.Signals | null } | undefined;
      child.on('error', (e) => reject(internal(`cannot run ${driver.runtimePath} exec: ${e.message}`, e)));
      child.on('exit', (code, sig) => {
        exit = { code, sig };
        setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          resolve({ code, sig });
        }, DRAIN_GRACE_MS).unref();
      });
      child.on('close', (code, sig) => resolve(exit ?? { code, sig }));
    }).finally(() => {
      if (timer) clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
    });
    if (aborted) throw cancelled(`exec in container ${id}: cancelled`);
    // A runtime killed by us reports no status: the command died of the same SIGKILL.
    const exitCode = status.code ?? 128 + 9;
    return { stdout: stdout(), stderr: stderr(), exitCode, timedOut };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
