// What a runtime says it supports (`<runtime> features`, runtime-spec features.md) and what
// critter derives from it. Derived answers rest only on the runtime's report and the kernel
// version; a runtime that cannot report (crun < 1.9 has no `features`) supports nothing extra.
import { internal } from '../util/errors.js';

export interface RuntimeFeatures {
  ociVersionMin?: string;
  ociVersionMax?: string;
  hooks?: string[];
  mountOptions?: string[];
  linux?: {
    namespaces?: string[];
    capabilities?: string[];
    cgroup?: { v1?: boolean; v2?: boolean; systemd?: boolean; systemdUser?: boolean; rdma?: boolean };
    seccomp?: { enabled?: boolean; actions?: string[]; operators?: string[]; archs?: string[] };
    apparmor?: { enabled?: boolean };
    selinux?: { enabled?: boolean };
    mountExtensions?: { idmap?: { enabled?: boolean } };
  };
  annotations?: Record<string, string>;
}

const stringArray = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
const obj = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);

/** Parses the features JSON, keeping only well-typed fields. */
export function parseFeatures(text: string): RuntimeFeatures {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw internal(`runtime features output is not JSON: ${text.slice(0, 200)}`, e);
  }
  const o = obj(raw);
  if (!o) throw internal('runtime features output is not an object');
  const f: RuntimeFeatures = {};
  if (typeof o.ociVersionMin === 'string') f.ociVersionMin = o.ociVersionMin;
  if (typeof o.ociVersionMax === 'string') f.ociVersionMax = o.ociVersionMax;
  f.hooks = stringArray(o.hooks);
  f.mountOptions = stringArray(o.mountOptions);
  const linux = obj(o.linux);
  if (linux) {
    const cg = obj(linux.cgroup);
    const sc = obj(linux.seccomp);
    const idmap = obj(obj(linux.mountExtensions)?.idmap);
    f.linux = {
      namespaces: stringArray(linux.namespaces),
      capabilities: stringArray(linux.capabilities),
      cgroup: cg && { v1: bool(cg.v1), v2: bool(cg.v2), systemd: bool(cg.systemd), systemdUser: bool(cg.systemdUser), rdma: bool(cg.rdma) },
      seccomp: sc && {
        enabled: bool(sc.enabled),
        actions: stringArray(sc.actions),
        operators: stringArray(sc.operators),
        archs: stringArray(sc.archs),
      },
      apparmor: obj(linux.apparmor) && { enabled: bool(obj(linux.apparmor)?.enabled) },
      selinux: obj(linux.selinux) && { enabled: bool(obj(linux.selinux)?.enabled) },
      mountExtensions: idmap && { idmap: { enabled: bool(idmap.enabled) } },
    };
  }
  const ann = obj(o.annotations);
  if (ann) {
    f.annotations = {};
    for (const [k, v] of Object.entries(ann)) if (typeof v === 'string') f.annotations[k] = v;
  }
  return f;
}

/** [major, minor] of a kernel release string like "6.1.0-18-amd64"; [0, 0] when unparsable. */
export function kernelVersion(release: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

const atLeast = (release: string, major: number, minor: number): boolean => {
  const [ma, mi] = kernelVersion(release);
  return ma > major || (ma === major && mi >= minor);
};

// mount_setattr(2) with AT_RECURSIVE, which both rro and idmapped mounts rest on, came in 5.12.
const MOUNT_SETATTR_KERNEL: [number, number] = [5, 12];

/** Recursive read-only mounts: the runtime knows the `rro` option and the kernel has mount_setattr. */
export function supportsRecursiveReadOnly(f: RuntimeFeatures | null, kernelRelease: string): boolean {
  if (!f?.mountOptions?.includes('rro')) return false;
  return atLeast(kernelRelease, ...MOUNT_SETATTR_KERNEL);
}

/** Idmapped mounts: the runtime reports the idmap mount extension as enabled, on a kernel that has them. */
export function supportsIdmappedMounts(f: RuntimeFeatures | null, kernelRelease: string): boolean {
  if (f?.linux?.mountExtensions?.idmap?.enabled !== true) return false;
  return atLeast(kernelRelease, ...MOUNT_SETATTR_KERNEL);
}

/**
 * Pods with user namespaces: the runtime creates user namespaces and can idmap the volumes into
 * them (Kubernetes needs both).
 */
export function supportsUserNamespaces(f: RuntimeFeatures | null, kernelRelease: string): boolean {
  if (!f?.linux?.namespaces?.includes('user')) return false;
  return supportsIdmappedMounts(f, kernelRelease);
}
