// Starts a real critterd (bin/critterd over the built dist/) on a private --root, --state and
// --socket under a temp dir, waits until it answers, and hands the test typed CRI clients.
// stop() fails the test if the daemon left processes or mounts behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeCriClients, type CriClients } from '../../src/server/service-definitions.js';
import { mountsUnder, processesUnder } from './leaks.js';

export const REPO = resolve(import.meta.dirname, '..', '..');
export const CRITTERD = join(REPO, 'bin', 'critterd');
export const CRITTER = join(REPO, 'bin', 'critter');

export interface DaemonOptions {
  /** critter.toml text; written to <dir>/critter.toml and passed with --config. */
  config?: string;
  /** A parent temp dir to reuse (e.g. to restart on the same root). */
  dir?: string;
  extraArgs?: string[];
  logLevel?: string;
}

export interface CritterdHandle {
  dir: string;
  root: string;
  state: string;
  socket: string;
  configFile: string | undefined;
  process: ChildProcess;
  clients: CriClients;
  /** Everything the daemon wrote to stderr so far. */
  logs(): string;
  /** Resolves with the exit code (or signal name) once the daemon has exited. */
  exited: Promise<number | string>;
  /** SIGTERM, wait for exit, then check for leaks; removes the temp dir unless keepDir. */
  stop(opts?: { keepDir?: boolean }): Promise<void>;
}

export function assertBuilt(): void {
  if (!existsSync(join(REPO, 'dist', 'cmd', 'critterd.js'))) {
    throw new Error('dist/ is missing: run `npm run build` before the integration tests');
  }
}

export function newTestDir(prefix = 'critter-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startCritterd(opts: DaemonOptions = {}): Promise<CritterdHandle> {
  assertBuilt();
  const dir = opts.dir ?? newTestDir();
  const root = join(dir, 'root');
  const state = join(dir, 'state');
  const socket = join(dir, 'run', 'critter.sock');
  let configFile: string | undefined;
  if (opts.config !== undefined) {
    configFile = join(dir, 'critter.toml');
    writeFileSync(configFile, opts.config);
  }
  const args = [
    CRITTERD,
    '--root', root,
    '--state', state,
    '--socket', socket,
    '--log-level', opts.logLevel ?? 'debug',
    ...(configFile ? ['--config', configFile] : []),
    ...(opts.extraArgs ?? []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | string>((ok) => child.once('exit', (code, sig) => ok(code ?? sig ?? -1)));

  const clients = makeCriClients(socket);
  const deadline = Date.now() + 20_000;
  let early: number | string | undefined;
  void exited.then((c) => (early = c));
  for (;;) {
    if (early !== undefined) {
      clients.close();
      throw new Error(`critterd exited (${early}) before answering:\n${stderr}`);
    }
    if (existsSync(socket)) {
      try {
        await clients.runtime.version({}, { deadline: new Date(Date.now() + 1000) });
        break;
      } catch {
        /* not serving yet */
      }
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      clients.close();
      throw new Error(`critterd did not answer within 20 s:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    dir,
    root,
    state,
    socket,
    configFile,
    process: child,
    clients,
    logs: () => stderr,
    exited,
    async stop(stopOpts = {}) {
      clients.close();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited, new Promise<string>((ok) => (timer = setTimeout(() => ok('timeout'), 20_000)))]);
      clearTimeout(timer);
      if (code === 'timeout') {
        child.kill('SIGKILL');
        throw new Error(`critterd did not exit within 20 s of SIGTERM:\n${stderr}`);
      }
      const procs = processesUnder(dir);
      const mounts = mountsUnder(dir);
      if (!stopOpts.keepDir && procs.length === 0 && mounts.length === 0) rmSync(dir, { recursive: true, force: true });
      if (procs.length > 0) throw new Error(`critterd left processes behind: ${procs.map((p) => `${p.pid} ${p.cmdline}`).join('; ')}`);
      if (mounts.length > 0) throw new Error(`critterd left mounts behind: ${mounts.join(', ')}`);
    },
  };
}
