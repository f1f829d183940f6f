// Localhost seccomp profiles: a JSON file on the node, in the format Docker, containerd and
// CRI-O read (the OCI linux.seccomp object, plus Docker's `archMap`, `name` and conditional
// `includes`/`excludes`, resolved here for this container). Anything malformed is refused with
// the path in the message: the kubelet shows it to whoever wrote the pod.
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { errnoCode, errorMessage, invalidArgument } from '../../util/errors.js';
import type { OciSeccomp, OciSeccompArg, OciSyscallRule } from '../spec/types.js';
import { kernelAtLeast, parseMinKernel } from './kernel-version.js';
import { goArch, seccompArchitectures } from './seccomp-arch.js';
import type { SeccompTarget } from './seccomp-default.js';

const ACTIONS = new Set([
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
  'SCMP_ACT_NOTIFY',
]);
const OPS = new Set(['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ']);
const FLAGS = new Set(['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV']);

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

class ProfileError extends Error {}
const bad = (msg: string): never => {
  throw new ProfileError(msg);
};

function strings(v: unknown, what: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return bad(`${what} must be a list of strings`);
  return v as string[];
}

function uint(v: unknown, what: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) return bad(`${what} must be an integer from 0 to ${max}`);
  return v;
}

function action(v: unknown, what: string): string {
  if (typeof v !== 'string' || !ACTIONS.has(v)) return bad(`${what} ${JSON.stringify(v)} is not a seccomp action`);
  return v;
}

function arg(v: unknown, what: string): OciSeccompArg {
  if (!isObj(v)) return bad(`${what} must be an object`);
  const op = v.op;
  if (typeof op !== 'string' || !OPS.has(op)) return bad(`${what}.op ${JSON.stringify(op)} is not a seccomp comparison`);
  const a: OciSeccompArg = { index: uint(v.index, `${what}.index`, 5), value: uint(v.value ?? 0, `${what}.value`), op };
  if (v.valueTwo !== undefined) a.valueTwo = uint(v.valueTwo, `${what}.valueTwo`);
  return a;
}

/** Docker's includes/excludes: includes need every listed capability, excludes any one. */
function applies(rule: Json, t: SeccompTarget, what: string): boolean {
  const arch = goArch(t.arch);
  const caps = new Set(t.capabilities);
  const inc = rule.includes ?? {};
  const exc = rule.excludes ?? {};
  if (!isObj(inc) || !isObj(exc)) return bad(`${what}: includes and excludes must be objects`);
  const incArches = strings(inc.arches, `${what}.includes.arches`);
  const excArches = strings(exc.arches, `${what}.excludes.arches`);
  if (excArches.includes(arch)) return false;
  if (strings(exc.caps, `${what}.excludes.caps`).some((c) => caps.has(c))) return false;
  if (incArches.length > 0 && !incArches.includes(arch)) return false;
  if (!strings(inc.caps, `${what}.includes.caps`).every((c) => caps.has(c))) return false;
  for (const [key, cond, wanted] of [['includes', inc.minKernel, true], ['excludes', exc.minKernel, false]] as const) {
    if (cond === undefined || cond === null || cond === '') continue;
    const v = typeof cond === 'string' ? parseMinKernel(cond) : undefined;
    if (!v) return bad(`${what}.${key}.minKernel ${JSON.stringify(cond)} is not a kernel version`);
    if (kernelAtLeast(t.kernelRelease, v) !== wanted) return false;
  }
  return true;
}

function architectures(p: Json, t: SeccompTarget): string[] | undefined {
  const listed = strings(p.architectures, 'architectures');
  if (listed.length > 0) return listed;
  if (p.archMap === undefined || p.archMap === null) return undefined;
  if (!Array.isArray(p.archMap)) return bad('archMap must be a list');
  // Only the entry for this host's architecture counts: it and its sub-architectures.
  const native = seccompArchitectures(t.arch)[0];
  for (const [i, e] of p.archMap.entries()) {
    if (!isObj(e) || typeof e.architecture !== 'string') return bad(`archMap[${i}] needs an architecture`);
    if (e.architecture === native) return [e.architecture, ...strings(e.subArchitectures, `archMap[${i}].subArchitectures`)];
  }
  return undefined;
}

/** A profile's JSON text, resolved for one container. */
export function parseSeccompProfile(text: string, t: SeccompTarget): OciSeccomp {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return bad(`not valid JSON (${errorMessage(e)})`);
  }
  if (!isObj(raw)) return bad('not a JSON object');
  const out: OciSeccomp = { defaultAction: action(raw.defaultAction, 'defaultAction') };
  if (raw.defaultErrnoRet !== undefined && raw.defaultErrnoRet !== null) out.defaultErrnoRet = uint(raw.defaultErrnoRet, 'defaultErrnoRet', 4095);
  const arches = architectures(raw, t);
  if (arches && arches.length > 0) out.architectures = arches;
  const flags = strings(raw.flags, 'flags');
  for (const f of flags) if (!FLAGS.has(f)) bad(`flag ${JSON.stringify(f)} is not a seccomp filter flag`);
  if (flags.length > 0) out.flags = flags;
  if (raw.listenerPath) bad('listenerPath (a seccomp notify agent) is not supported by critter');

  const rules: OciSyscallRule[] = [];
  const list = raw.syscalls ?? [];
  if (!Array.isArray(list)) return bad('syscalls must be a list');
  for (const [i, r] of list.entries()) {
    const what = `syscalls[${i}]`;
    if (!isObj(r)) return bad(`${what} must be an object`);
    const names = [...strings(r.names, `${what}.names`), ...(typeof r.name === 'string' && r.name !== '' ? [r.name] : [])];
    if (names.length === 0) return bad(`${what} names no system call`);
    const act = action(r.action, `${what}.action`);
    if (act === 'SCMP_ACT_NOTIFY') bad(`${what}: SCMP_ACT_NOTIFY needs a notify agent, which critter does not run`);
    if (!applies(r, t, what)) continue;
    const rule: OciSyscallRule = { names, action: act };
    if (r.errnoRet !== undefined && r.errnoRet !== null) rule.errnoRet = uint(r.errnoRet, `${what}.errnoRet`, 4095);
    if (r.args !== undefined && r.args !== null) {
      if (!Array.isArray(r.args)) return bad(`${what}.args must be a list`);
      const args = r.args.map((a, j) => arg(a, `${what}.args[${j}]`));
      if (args.length > 0) rule.args = args;
    }
    rules.push(rule);
  }
  if (rules.length > 0) out.syscalls = rules;
  return out;
}

/** Reads and resolves the profile at `path` (an absolute path on the node). */
export function loadLocalhostSeccomp(path: string, t: SeccompTarget): OciSeccomp {
  if (!isAbsolute(path)) throw invalidArgument(`seccomp profile ${JSON.stringify(path)}: a Localhost profile must be an absolute path on the node`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const why = errnoCode(e) === 'ENOENT' ? 'does not exist' : `cannot be read (${errorMessage(e)})`;
    throw invalidArgument(`seccomp profile ${path} ${why}`, e);
  }
  try {
    return parseSeccompProfile(text, t);
  } catch (e) {
    if (e instanceof ProfileError) throw invalidArgument(`seccomp profile ${path} is invalid: ${e.message}`);
    throw e;
  }
}
