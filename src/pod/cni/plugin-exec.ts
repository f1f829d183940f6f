// Finding and running one CNI plugin: the CNI_* environment, the config on stdin, the result
// or the spec's error document on stdout.
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';
import { CritterError, failedPrecondition, internal, invalidArgument, type ErrorKind } from '../../util/errors.js';
import { describeFailure, runProgram } from '../../util/run-program.js';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK';

/** A plugin said no, in the spec's error format or otherwise. */
export class CniPluginError extends CritterError {
  constructor(
    kind: ErrorKind,
    message: string,
    readonly plugin: string,
    /** The spec's error code (1-99 well-known, 100+ the plugin's own); undefined when the plugin gave none. */
    readonly code: number | undefined,
    readonly details: string | undefined,
  ) {
    super(kind, message);
  }
}

/** Code 11 means "try again later" in the spec. */
const TRY_AGAIN_LATER = 11;

/** The plugin's executable: the first bin dir holding it wins, as in libcni. */
export function findPlugin(type: string, binDirs: readonly string[]): string {
  if (type === '' || type.includes('/') || type === '.' || type === '..') {
    throw invalidArgument(`CNI plugin type "${type}" is not a plain program name`);
  }
  for (const dir of binDirs) {
    const file = join(dir, type);
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      continue;
    }
  }
  throw failedPrecondition(`CNI plugin "${type}" was not found in ${binDirs.length > 0 ? binDirs.join(', ') : '(no plugin folders configured)'}`);
}

export interface PluginRun {
  command: CniCommand;
  plugin: string;
  executable: string;
  containerId: string;
  /** Empty when the namespace is gone (allowed for DEL). */
  netns: string;
  ifName: string;
  cniArgs: string;
  binDirs: readonly string[];
  stdin: Record<string, unknown>;
  networkName: string;
  signal?: AbortSignal;
}

/** Runs the plugin; the parsed stdout document, or undefined when it printed nothing. */
export async function execPlugin(run: PluginRun): Promise<Record<string, unknown> | undefined> {
  const env: NodeJS.ProcessEnv = {};
  // Plugins call iptables, ip and friends, so they need the daemon's PATH; stale CNI_* must not leak in.
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CNI_')) env[k] = v;
  Object.assign(env, {
    CNI_COMMAND: run.command,
    CNI_CONTAINERID: run.containerId,
    CNI_NETNS: run.netns,
    CNI_IFNAME: run.ifName,
    CNI_ARGS: run.cniArgs,
    CNI_PATH: run.binDirs.join(':'),
  });
  const doing = `CNI plugin "${run.plugin}" (${run.command} of pod ${run.containerId} on network "${run.networkName}")`;
  let r: Awaited<ReturnType<typeof runProgram>>;
  try {
    r = await runProgram(run.executable, [], { input: JSON.stringify(run.stdin), env, signal: run.signal });
  } catch (e) {
    throw internal(`${doing} could not be started`, e);
  }
  if (r.aborted) {
    const timedOut = run.signal?.reason instanceof Error && run.signal.reason.name === 'TimeoutError';
    throw new CniPluginError(timedOut ? 'DeadlineExceeded' : 'Cancelled', `${doing} was killed: ${timedOut ? 'timed out' : 'cancelled'}`, run.plugin, undefined, undefined);
  }
  const out = r.stdout.trim();
  let doc: unknown;
  if (out !== '') {
    try {
      doc = JSON.parse(out);
    } catch {
      doc = undefined;
    }
  }
  if (r.code !== 0) {
    if (isErrorDoc(doc)) {
      const code = typeof doc.code === 'number' ? doc.code : undefined;
      const details = typeof doc.details === 'string' && doc.details !== '' ? doc.details : undefined;
      const msg = typeof doc.msg === 'string' && doc.msg !== '' ? doc.msg : 'no message';
      const kind: ErrorKind = code === TRY_AGAIN_LATER ? 'Unavailable' : 'Internal';
      const text = `${doing} failed: ${msg}${details ? ` (${details})` : ''}${code !== undefined ? ` [CNI error code ${code}]` : ''}`;
      throw new CniPluginError(kind, text, run.plugin, code, details);
    }
    throw new CniPluginError('Internal', `${doing} failed: ${describeFailure(r)}`, run.plugin, undefined, undefined);
  }
  if (out === '') return undefined;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw internal(`${doing} printed something that is not a JSON object: ${out.slice(0, 200)}`);
  }
  return doc as Record<string, unknown>;
}

function isErrorDoc(d: unknown): d is { code?: unknown; msg?: unknown; details?: unknown } {
  return typeof d === 'object' && d !== null && ('msg' in d || 'code' in d);
}
