// Persistent namespace files without a long-lived process, as CRI-O's infra-less pods keep them:
// util-linux `unshare --net=<file> true` makes a namespace, bind-mounts it (nsfs) on the file,
// and exits; the namespace lives as long as the mount does. Removal is umount + unlink.
//
// unshare needs the file to exist beforehand (it does not create it). Only `--mount=<file>`
// demands a private parent mount; net/uts/ipc files work under any propagation. We still make
// the folder a private bind mount of itself, as `ip netns` does for /run/netns, so that the
// pods' nsfs mounts do not propagate into whatever peer group the host's root belongs to.
// A mount namespace cloned after a file was mounted keeps a private copy, but unlinking the
// file detaches such copies (Linux >= 3.18), so removal still frees the namespace.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { alreadyExists, errnoCode, errorMessage, internal, invalidArgument, isCritterError } from '../../util/errors.js';
import { isMountPoint, mountsAt } from './mountinfo.js';
import { describeFailure, runProgram } from '../../util/run-program.js';

export type NamespaceKind = 'net' | 'uts' | 'ipc';

const UNSHARE = 'unshare';
const MOUNT = 'mount';
const UMOUNT = 'umount';

/** The path with its folder's symlinks resolved, as /proc/self/mountinfo spells it. */
function canonical(path: string): string {
  if (!isAbsolute(path)) throw invalidArgument(`namespace file path "${path}" is not absolute`);
  try {
    return join(realpathSync(dirname(path)), basename(path));
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return path;
    throw e;
  }
}

async function mustRun(file: string, args: string[], what: string): Promise<void> {
  const r = await runProgram(file, args);
  if (r.code !== 0) throw internal(`${what}: ${file} ${args.join(' ')}: ${describeFailure(r)}`);
}

// Preparations in flight per folder: two concurrent first calls must not stack two bind
// mounts, since the second would hide namespace files mounted on the first.
const preparing = new Map<string, Promise<void>>();

/** Makes dir (created if needed) a private bind mount of itself, once; later calls do nothing. */
export async function ensureNamespaceDir(dir: string): Promise<void> {
  if (!isAbsolute(dir)) throw invalidArgument(`namespace folder "${dir}" is not absolute`);
  mkdirSync(dir, { recursive: true, mode: 0o711 });
  const d = realpathSync(dir);
  const running = preparing.get(d);
  if (running) return running;
  const p = (async () => {
    if (isMountPoint(d)) return;
    await mustRun(MOUNT, ['--bind', d, d], `cannot bind-mount the namespace folder ${d} on itself`);
    await mustRun(MOUNT, ['--make-private', d], `cannot make the namespace folder ${d} private`);
  })();
  preparing.set(d, p);
  try {
    await p;
  } finally {
    preparing.delete(d);
  }
}

/** Undoes ensureNamespaceDir once its files are gone (tests, uninstall); a plain folder is left as it is. */
export async function releaseNamespaceDir(dir: string): Promise<void> {
  let d: string;
  try {
    d = realpathSync(dir);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return;
    throw e;
  }
  while (isMountPoint(d)) await mustRun(UMOUNT, [d], `cannot unmount the namespace folder ${d}`);
}

/**
 * Creates a new namespace of the kind, pinned by a mount on the file at path. The folder is
 * prepared with ensureNamespaceDir. An existing namespace at path is an AlreadyExists error.
 */
export async function createNamespaceFile(kind: NamespaceKind, path: string): Promise<void> {
  if (!isAbsolute(path)) throw invalidArgument(`namespace file path "${path}" is not absolute`);
  await ensureNamespaceDir(dirname(path));
  const file = canonical(path);
  if (isMountPoint(file)) throw alreadyExists(`a namespace is already mounted at ${file}`);
  // O_EXCL would refuse a leftover empty file from a crash between create and mount; reuse it.
  closeSync(openSync(file, 'a', 0o444));
  const r = await runProgram(UNSHARE, [`--${kind}=${file}`, 'true']);
  if (r.code !== 0 || !isMountPoint(file)) {
    rmSync(file, { force: true });
    throw internal(`cannot create a ${kind} namespace at ${file}: ${describeFailure(r)}`);
  }
}

/** Unmounts and deletes a namespace file. Missing or never-mounted files are fine. */
export async function removeNamespaceFile(path: string): Promise<void> {
  const file = canonical(path);
  // Checking mountinfo first avoids guessing from umount's words (EINVAL on a non-mount);
  // the loop also clears mounts stacked by a retried create.
  for (let n = mountsAt(file).length; n > 0; n--) {
    const r = await runProgram(UMOUNT, [file]);
    if (r.code !== 0 && isMountPoint(file)) throw internal(`cannot unmount the namespace at ${file}: ${describeFailure(r)}`);
  }
  try {
    rmSync(file, { force: true });
  } catch (e) {
    throw internal(`cannot delete the namespace file ${file}`, e);
  }
}

/** One line of /proc/<pid>/uid_map or gid_map. */
export interface IdMapLine {
  containerId: number;
  hostId: number;
  length: number;
}

export interface UserOwnedNamespaces {
  /** Where the user namespace is pinned. */
  user: string;
  /** Namespaces created inside it, and so owned by it; each pinned at its file. */
  net?: string;
  ipc?: string;
  uts?: string;
}

const mapText = (m: IdMapLine): string => `${m.containerId} ${m.hostId} ${m.length}\n`;

/**
 * Creates a user namespace with the given mappings and, in the same unshare(2), the pod's
 * network, IPC and UTS namespaces, which it therefore owns (a container that joins the user
 * namespace can then join them). unshare's program waits on stdin while we pin its namespaces
 * (bind mounts of /proc/<pid>/ns/*) and write its uid_map and gid_map: util-linux 2.38's
 * --map-users needs newuidmap, and its own --user=<file> mount is refused (EPERM) here since
 * unshare has not exec'd yet when it pins. On failure every file made here is removed.
 */
export async function createUserOwnedNamespaces(files: UserOwnedNamespaces, uid: IdMapLine, gid: IdMapLine): Promise<void> {
  const all: [NamespaceKind | 'user', string][] = [['user', files.user]];
  for (const k of ['net', 'ipc', 'uts'] as const) {
    const p = files[k];
    if (p !== undefined) all.push([k, p]);
  }
  const made: string[] = [];
  const child = spawn(UNSHARE, [...all.map(([k]) => `--${k}`), '--', 'sh', '-c', 'echo ready; read -r _; exit 0'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  child.stdin.on('error', () => undefined);
  const closed = new Promise<number | string>((resolve) => {
    child.on('error', (e) => resolve(errorMessage(e)));
    child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  try {
    // unshare execs the program in place: its pid is the one inside the new namespaces.
    const ready = await new Promise<boolean>((resolve) => {
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('ready\n')) resolve(true);
      });
      void closed.then(() => resolve(false));
    });
    if (!ready || child.pid === undefined) throw internal(`${UNSHARE} failed: ${stderr.trim() || String(await closed)}`);
    for (const [kind, p] of all) {
      if (!isAbsolute(p)) throw invalidArgument(`namespace file path "${p}" is not absolute`);
      await ensureNamespaceDir(dirname(p));
      const file = canonical(p);
      if (isMountPoint(file)) throw alreadyExists(`a namespace is already mounted at ${file}`);
      closeSync(openSync(file, 'a', 0o444));
      made.push(file);
      await mustRun(MOUNT, ['--bind', `/proc/${child.pid}/ns/${kind}`, file], `cannot pin the pod's ${kind} namespace at ${file}`);
    }
    writeFileSync(`/proc/${child.pid}/uid_map`, mapText(uid));
    writeFileSync(`/proc/${child.pid}/gid_map`, mapText(gid));
    child.stdin.end();
    const end = await closed;
    if (end !== 0) throw internal(`${UNSHARE} ended with ${String(end)}: ${stderr.trim()}`);
  } catch (e) {
    child.kill('SIGKILL');
    for (const f of made.reverse()) await removeNamespaceFile(f).catch(() => undefined);
    throw isCritterError(e) ? e : internal(`cannot create the pod's user namespace at ${files.user}: ${errorMessage(e)}`, e);
  }
}
