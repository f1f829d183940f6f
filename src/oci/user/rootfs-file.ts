// Reading a file of an untrusted rootfs from the host. Image layers may hold symlinks meant to
// point our reads at host files (/etc/passwd -> /etc/shadow of the host, or ../../..): every
// symlink is resolved as the container would see it, with the rootfs as "/", so no lookup
// leaves the rootfs. The last component is opened O_NOFOLLOW and must be a regular file.
import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { errnoCode, failedPrecondition, invalidArgument } from '../../util/errors.js';

/** As Linux: more symlinks than this on one lookup is a loop. */
const MAX_SYMLINKS = 40;

/**
 * The host path of `path` inside `root`, every symlink on the way resolved relative to `root`
 * ("/" and ".." stop at `root`). Components that do not exist are kept lexically, so the caller's
 * open reports ENOENT. `root` itself is trusted (critter mounted it).
 */
export function resolveInRoot(root: string, path: string): string {
  let pending = path.split('/');
  let resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = join(root, ...resolved, part);
    let isLink = false;
    try {
      isLink = lstatSync(candidate).isSymbolicLink();
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT' && errnoCode(e) !== 'ENOTDIR') throw e;
    }
    if (!isLink) {
      resolved.push(part);
      continue;
    }
    if (++links > MAX_SYMLINKS) throw invalidArgument(`${path} in the rootfs: too many levels of symbolic links`);
    const target = readlinkSync(candidate);
    if (target.startsWith('/')) resolved = [];
    pending = [...target.split('/'), ...pending];
  }
  return join(root, ...resolved);
}

/**
 * The contents of `path` inside `root`, or undefined when it does not exist. Refuses anything
 * but a regular file (a FIFO would block us, a device could be anything) and files over
 * `maxBytes`.
 */
export function readRootfsFile(root: string, path: string, maxBytes = 8 << 20): string | undefined {
  const hostPath = resolveInRoot(root, path);
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not hang; it is refused below anyway. (Node sets O_CLOEXEC.)
    fd = openSync(hostPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'ELOOP') throw invalidArgument(`${path} in the rootfs is a symbolic link loop`, e);
    throw failedPrecondition(`cannot open ${path} in the rootfs: ${code ?? String(e)}`, e);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw invalidArgument(`${path} in the rootfs is not a regular file`);
    if (st.size > maxBytes) throw invalidArgument(`${path} in the rootfs is larger than ${maxBytes} bytes`);
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
