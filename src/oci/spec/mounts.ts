// The container's mounts: the default filesystems, the sandbox's files, and the CRI request's
// bind mounts, which win over both at the same destination. Mirrors containerd's WithMounts.
import { mkdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { MountPropagation, type Mount } from '../../gen/runtime/v1/api_pb.js';
import { CritterError, errnoCode, errorMessage, failedPrecondition, invalidArgument } from '../../util/errors.js';
import { defaultMounts } from './defaults.js';
import { checkHostPathAllowed } from './forbidden-paths.js';
import type { SpecInput } from './input.js';
import { isShared, isSlave, mountOf, parseMountInfo, type MountInfoEntry } from './mountinfo.js';
import type { OciMount } from './types.js';

export interface MountsResult {
  mounts: OciMount[];
  rootfsPropagation?: 'rslave' | 'rshared';
}

/** A bind mount the runtime adds on its own (sandbox files), in CRI form so CRI mounts can replace it. */
interface BindRequest {
  containerPath: string;
  hostPath: string;
  readonly: boolean;
  recursiveReadOnly: boolean;
  propagation: MountPropagation;
  what: string;
  /**
   * A CRI mount: a missing host path is made a directory (as containerd), and the path must not
   * be a forbidden one. Sandbox files are critter's own and must exist.
   */
  createMissing: boolean;
}

const cleanDest = (p: string, what: string): string => {
  if (!p.startsWith('/')) throw invalidArgument(`${what}: container path ${JSON.stringify(p)} is not absolute`);
  if (p.includes('\0')) throw invalidArgument(`${what}: container path has a NUL byte`);
  return posix.normalize(p).replace(/(.)\/$/, '$1');
};

const depth = (p: string): number => (p === '/' ? 0 : p.split('/').length - 1);

function fromCri(m: Mount): BindRequest {
  const what = `mount ${JSON.stringify(m.containerPath)}`;
  if (m.image) throw new CritterError('Unimplemented', `${what}: image volume mounts are not supported`);
  // uid/gid mappings are checked and placed by buildSpec (src/oci/security/userns.ts).
  return {
    containerPath: cleanDest(m.containerPath, what),
    hostPath: m.hostPath,
    readonly: m.readonly,
    recursiveReadOnly: m.recursiveReadOnly,
    propagation: m.propagation,
    what,
    createMissing: true,
  };
}

/** The sandbox's /etc files and /dev/shm, unless the request mounts the same destination itself. */
function sandboxBinds(input: SpecInput, readonlyRootfs: boolean): BindRequest[] {
  const s = input.sandbox;
  const out: BindRequest[] = [];
  const add = (containerPath: string, hostPath: string | undefined, readonly: boolean): void => {
    if (!hostPath) return;
    out.push({
      containerPath,
      hostPath,
      readonly,
      recursiveReadOnly: false,
      propagation: MountPropagation.PROPAGATION_PRIVATE,
      what: `sandbox ${containerPath}`,
      createMissing: false,
    });
  };
  // Writable unless the root is read-only, as containerd: they are the pod's, not the image's.
  add('/etc/hostname', s.hostnamePath, readonlyRootfs);
  add('/etc/hosts', s.hostsPath, readonlyRootfs);
  add('/etc/resolv.conf', s.resolvConfPath, readonlyRootfs);
  add('/dev/shm', s.shmPath, false);
  return out;
}

/**
 * The host path a bind mount uses: created as a directory when missing, symlinks resolved. A CRI
 * mount's path is checked against the forbidden ones before anything is created, and again once
 * resolved.
 */
function hostSource(b: BindRequest, forbidden: readonly string[] | undefined): string {
  if (!b.hostPath.startsWith('/')) throw invalidArgument(`${b.what}: host path ${JSON.stringify(b.hostPath)} is not absolute`);
  if (b.createMissing) checkHostPathAllowed(b.hostPath, forbidden, b.what);
  try {
    statSync(b.hostPath);
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT' || !b.createMissing) {
      throw failedPrecondition(`${b.what}: cannot stat host path ${b.hostPath}: ${errorMessage(e)}`, e);
    }
    try {
      mkdirSync(b.hostPath, { recursive: true, mode: 0o755 });
    } catch (e2) {
      throw failedPrecondition(`${b.what}: cannot create missing host path ${b.hostPath}: ${errorMessage(e2)}`, e2);
    }
  }
  let real: string;
  try {
    real = realpathSync(b.hostPath);
  } catch (e) {
    throw failedPrecondition(`${b.what}: cannot resolve host path ${b.hostPath}: ${errorMessage(e)}`, e);
  }
  if (b.createMissing) checkHostPathAllowed(real, forbidden, b.what);
  return real;
}

export function buildMounts(input: SpecInput, opts: { readonlyRootfs: boolean; privileged: boolean }): MountsResult {
  const criMounts = input.config.mounts.map(fromCri);
  const seen = new Set<string>();
  for (const m of criMounts) {
    if (seen.has(m.containerPath)) throw invalidArgument(`${m.what}: duplicate mount destination`);
    seen.add(m.containerPath);
  }
  const binds = [...criMounts, ...sandboxBinds(input, opts.readonlyRootfs).filter((b) => !seen.has(b.containerPath))];
  // Parents before children, request order otherwise (a stable sort, like containerd's).
  binds.sort((a, b) => depth(a.containerPath) - depth(b.containerPath));

  const bound = new Set(binds.map((b) => b.containerPath));
  const sysMode = opts.privileged ? 'rw' : 'ro';
  const defaults = [
    ...defaultMounts().map((m) => (m.destination === '/sys' ? { ...m, options: m.options.map((o) => (o === 'ro' ? sysMode : o)) } : m)),
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', sysMode] },
  ].filter((m) => !bound.has(m.destination) && !(bound.has('/dev') && m.destination.startsWith('/dev/')));

  let mountInfo: MountInfoEntry[] | undefined;
  const hostMountOf = (path: string): MountInfoEntry | undefined => {
    mountInfo ??= parseMountInfo(input.mountInfo ?? readFileSync('/proc/self/mountinfo', 'utf8'));
    return mountOf(mountInfo, path);
  };

  let rootfsPropagation: MountsResult['rootfsPropagation'];
  const out: OciMount[] = [...defaults];
  for (const b of binds) {
    if (b.recursiveReadOnly) {
      if (!b.readonly) throw invalidArgument(`${b.what}: recursive_read_only needs readonly to be set too`);
      if (b.propagation !== MountPropagation.PROPAGATION_PRIVATE) {
        throw invalidArgument(`${b.what}: recursive_read_only needs private propagation`);
      }
      if (!input.runtimeFeatures.recursiveReadOnly) {
        throw invalidArgument(`${b.what}: runtime handler ${JSON.stringify(input.runtimeHandler)} does not support recursive read-only mounts`);
      }
    }
    const source = hostSource(b, input.forbiddenHostPaths);
    const options = ['rbind'];
    switch (b.propagation) {
      case MountPropagation.PROPAGATION_PRIVATE:
        options.push('rprivate');
        break;
      case MountPropagation.PROPAGATION_HOST_TO_CONTAINER: {
        const on = hostMountOf(source);
        if (!on || !(isShared(on) || isSlave(on))) {
          throw failedPrecondition(
            `${b.what}: host-to-container propagation needs ${source} on a shared or slave mount, ` +
              `but ${on?.mountPoint ?? 'its mount'} is private (mount --make-rshared it on the host)`,
          );
        }
        options.push('rslave');
        if (rootfsPropagation !== 'rshared') rootfsPropagation = 'rslave';
        break;
      }
      case MountPropagation.PROPAGATION_BIDIRECTIONAL: {
        const on = hostMountOf(source);
        if (!on || !isShared(on)) {
          throw failedPrecondition(
            `${b.what}: bidirectional propagation needs ${source} on a shared mount, ` +
              `but ${on?.mountPoint ?? 'its mount'} is not shared (mount --make-rshared it on the host)`,
          );
        }
        options.push('rshared');
        rootfsPropagation = 'rshared';
        break;
      }
      default:
        throw invalidArgument(`${b.what}: unknown mount propagation ${String(b.propagation)}`);
    }
    options.push(b.recursiveReadOnly ? 'rro' : b.readonly ? 'ro' : 'rw');
    out.push({ destination: b.containerPath, type: 'bind', source, options });
  }
  return { mounts: out, rootfsPropagation };
}
