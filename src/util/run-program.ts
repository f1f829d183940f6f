// Running a helper program (util-linux, iproute2, a CNI plugin) to completion with its output
// captured. Node cannot enter namespaces or mount by itself, so small programs do it for us.
import { spawn } from 'node:child_process';

export interface RunOptions {
  /** Written to the program's stdin, which is then closed. */
  input?: string;
  /** The whole environment of the program; the parent's when absent. */
  env?: NodeJS.ProcessEnv;
  /** Aborting kills the program with SIGKILL. */
  signal?: AbortSignal;
}

export interface RunResult {
  /** The exit status; null when a signal ended the program. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the AbortSignal ended the run. */
  aborted: boolean;
}

export function runProgram(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      resolve({ code: null, signal: null, stdout: '', stderr: '', aborted: true });
      return;
    }
    const child = spawn(file, args, {
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      signal: opts.signal,
      killSignal: 'SIGKILL',
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let aborted = false;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      if (e.name === 'AbortError') aborted = true;
      else reject(e);
    });
    // A program that exits without reading its stdin makes the write fail with EPIPE; its exit
    // status is what matters then.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
    child.on('close', (code, signal) => {
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        aborted: aborted || (opts.signal?.aborted ?? false),
      });
    });
  });
}

/** The program's own words about a failure, for error messages. */
export function describeFailure(r: RunResult): string {
  const said = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-3).join(' ');
  const how = r.code !== null ? `exit status ${r.code}` : `signal ${r.signal ?? 'unknown'}`;
  return said ? `${said} (${how})` : how;
}
