// A pod's namespaces in one process: native/pinns unshares the network, IPC and UTS namespaces
// together, sets the hostname, brings lo up, writes the namespaced sysctls, mounts the pod's
// /dev/shm and pins each namespace to its file. One process start instead of one per step
// (unshare, nsenter ip, nsenter hostname, mount...) is most of what RunPodSandbox costs before
// CNI. The user-namespace path keeps createUserOwnedNamespaces.
import { closeSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import { internal, invalidArgument } from '../../util/errors.js';
import { nativeBinary } from '../../util/native-binary.js';
import { ensureNamespaceDir, removeNamespaceFile } from './namespace-file.js';
import { isMountPoint } from './mountinfo.js';
import { describeFailure, runProgram } from '../../util/run-program.js';

export interface PinRequest {
  /** Files to pin the new namespaces on; a kind left out is not created. */
  net?: string;
  ipc?: string;
  uts?: string;
  /** Set in the new UTS namespace. */
  hostname?: string;
  /** Bring lo up in the new network namespace. */
  loopbackUp?: boolean;
  /** Written inside the new namespaces; `path` is relative to /proc/sys. */
  sysctls?: { path: string; value: string }[];
  /** The pod's /dev/shm tmpfs. */
  shm?: { dir: string; sizeBytes: number };
  signal?: AbortSignal;
}

export async function pinNamespaces(req: PinRequest): Promise<void> {
  const args: string[] = [];
  const files: string[] = [];
  for (const kind of ['net', 'ipc', 'uts'] as const) {
    const file = req[kind];
    if (file === undefined) continue;
    if (!isAbsolute(file)) throw invalidArgument(`namespace file path "${file}" is not absolute`);
    await ensureNamespaceDir(dirname(file));
    if (isMountPoint(file)) throw internal(`a namespace is already mounted at ${file}`);
    // A leftover empty file from a crash between create and mount is reused.
    closeSync(openSync(file, 'a', 0o444));
    files.push(file);
    args.push(`--${kind}`, file);
  }
  if (req.hostname !== undefined) args.push('--hostname', req.hostname);
  if (req.loopbackUp) args.push('--lo-up');
  for (const s of req.sysctls ?? []) args.push('--sysctl', `${s.path}=${s.value}`);
  if (req.shm) {
    mkdirSync(req.shm.dir, { recursive: true, mode: 0o755 });
    args.push('--shm', req.shm.dir, '--shm-size', String(req.shm.sizeBytes));
  }
  // A pod on the host's network, IPC and UTS namespaces has nothing to create.
  if (args.length === 0) return;
  const r = await runProgram(nativeBinary('pinns'), args, { signal: req.signal });
  if (r.code !== 0) {
    // pinns undoes its own mounts on failure; an abort may have cut it short, so check.
    for (const f of files) await removeNamespaceFile(f).catch(() => undefined);
    if (req.shm && isMountPoint(req.shm.dir)) await runProgram('umount', [req.shm.dir]);
    for (const f of files) rmSync(f, { force: true });
    throw internal(`cannot create the pod's namespaces: ${describeFailure(r)}`);
  }
}
