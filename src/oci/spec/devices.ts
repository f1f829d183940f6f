// Device nodes for the container: the request's devices (or, privileged, every host device),
// described from the host node so the runtime can mknod them, and allowed in the device cgroup.
import { readdirSync, realpathSync, statSync, type BigIntStats } from 'node:fs';
import { join, posix } from 'node:path';
import type { Device } from '../../gen/runtime/v1/api_pb.js';
import { errnoCode, errorMessage, failedPrecondition, invalidArgument, notFound } from '../../util/errors.js';
import { checkHostPathAllowed } from './forbidden-paths.js';
import type { OciDevice, OciDeviceCgroupRule } from './types.js';

export interface DevicesResult {
  devices: OciDevice[];
  /** Appended after the deny-all rule. */
  rules: OciDeviceCgroupRule[];
}

// Linux's dev_t split (sysmacros.h), on 64-bit rdev.
const major = (rdev: bigint): number => Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
const minor = (rdev: bigint): number => Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));

function describe(st: BigIntStats, containerPath: string): OciDevice | undefined {
  let type: OciDevice['type'];
  if (st.isCharacterDevice()) type = 'c';
  else if (st.isBlockDevice()) type = 'b';
  else return undefined;
  return {
    path: containerPath,
    type,
    major: major(st.rdev),
    minor: minor(st.rdev),
    fileMode: Number(st.mode & 0o777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
  };
}

/** "rwm" or a subset of it, each letter once; empty means all. */
export function devicePermissions(p: string): string {
  if (p === '') return 'rwm';
  if (!/^[rwm]{1,3}$/.test(p) || new Set(p).size !== p.length) {
    throw invalidArgument(`device permissions ${JSON.stringify(p)} are not a subset of "rwm"`);
  }
  return p;
}

// Not devices of their own, or the container gets its own (pts, shm, mqueue).
const HOST_DEV_SKIP = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

/** Every device node under `dir`, recursively, by host path. */
function devicesUnder(dir: string, skipTop: boolean): [string, BigIntStats][] {
  const out: [string, BigIntStats][] = [];
  for (const name of readdirSync(dir)) {
    if (skipTop && (HOST_DEV_SKIP.has(name) || name === 'console')) continue;
    const p = join(dir, name);
    let st: BigIntStats;
    try {
      st = statSync(p, { bigint: true, throwIfNoEntry: true });
    } catch {
      continue; // Gone meanwhile, or a dangling link.
    }
    if (st.isDirectory()) {
      // A symlinked directory is reached through its real path elsewhere.
      if (realpathSync(p) === p) out.push(...devicesUnder(p, false));
    } else if (st.isCharacterDevice() || st.isBlockDevice()) out.push([p, st]);
  }
  return out;
}

/** `forbidden`: host paths no device may come from (see forbidden-paths.ts). */
export function requestedDevices(devices: Device[], forbidden?: readonly string[]): DevicesResult {
  const out: DevicesResult = { devices: [], rules: [] };
  for (const d of devices) {
    const what = `device ${JSON.stringify(d.hostPath)}`;
    if (!d.hostPath.startsWith('/')) throw invalidArgument(`${what}: host path is not absolute`);
    const dest = d.containerPath || d.hostPath;
    if (!dest.startsWith('/')) throw invalidArgument(`${what}: container path ${JSON.stringify(dest)} is not absolute`);
    const access = devicePermissions(d.permissions);
    checkHostPathAllowed(d.hostPath, forbidden, what);
    let real: string;
    let st: BigIntStats;
    try {
      real = realpathSync(d.hostPath);
      st = statSync(real, { bigint: true });
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') throw notFound(`${what}: no such device on the host`, e);
      throw failedPrecondition(`${what}: ${errorMessage(e)}`, e);
    }
    // A directory stands for every device below it, at the same place under the container path.
    const found: [string, BigIntStats][] = st.isDirectory() ? devicesUnder(real, false) : [[real, st]];
    for (const [hostPath, hst] of found) {
      const containerPath = st.isDirectory() ? posix.join(dest, posix.relative(real, hostPath)) : dest;
      const dev = describe(hst, containerPath);
      if (!dev) throw invalidArgument(`${what}: ${hostPath} is not a character or block device`);
      out.devices.push(dev);
      out.rules.push({ allow: true, type: dev.type, major: dev.major, minor: dev.minor, access });
    }
  }
  return out;
}

/** Privileged: every host device node, and every device allowed. */
export function hostDevices(): DevicesResult {
  const devices = devicesUnder('/dev', true)
    .map(([p, st]) => describe(st, p))
    .filter((d): d is OciDevice => d !== undefined);
  return { devices, rules: [{ allow: true, access: 'rwm' }] };
}
