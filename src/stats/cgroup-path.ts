// Where a container's or a pod's cgroup is, as a path inside the cgroup hierarchy, from what the
// runtime was given: the spec's linux.cgroupsPath (see oci/spec/cgroups-path.ts) or the pod's
// cgroup parent. cgroupfs paths are used as they are; systemd's "slice:prefix:name" is the
// scope "<prefix>-<name>.scope" inside the slice, whose folder nests every dash-separated
// prefix of its name (a-b-c.slice is /a.slice/a-b.slice/a-b-c.slice).
import { posix } from 'node:path';

const clean = (p: string): string => posix.normalize(posix.join('/', p)).replace(/(.)\/$/, '$1');

/** The folder of a systemd slice unit, from its name (or from a path ending in one). */
export function sliceDir(slice: string): string {
  const name = posix.basename(slice);
  if (name === '-.slice' || name === '') return '/';
  const stem = name.replace(/\.slice$/, '');
  const parts = stem.split('-');
  const dirs: string[] = [];
  for (let i = 1; i <= parts.length; i++) dirs.push(`${parts.slice(0, i).join('-')}.slice`);
  return `/${dirs.join('/')}`;
}

/** The cgroup of a linux.cgroupsPath; undefined for an empty one (the runtime picks one then). */
export function cgroupOfSpecPath(cgroupsPath: string): string | undefined {
  if (cgroupsPath === '') return undefined;
  const parts = cgroupsPath.split(':');
  if (parts.length === 3 && !cgroupsPath.startsWith('/')) {
    const [slice, prefix, name] = parts as [string, string, string];
    const unit = name.endsWith('.slice') ? name : prefix === '' ? `${name}.scope` : `${prefix}-${name}.scope`;
    return posix.join(sliceDir(slice || 'system.slice'), unit);
  }
  return clean(cgroupsPath);
}

/** A pod's cgroup from its cgroup_parent (a cgroupfs path or a systemd slice); undefined when none. */
export function cgroupOfParent(parent: string): string | undefined {
  if (parent === '') return undefined;
  if (posix.basename(parent).endsWith('.slice')) return sliceDir(parent);
  return clean(parent);
}
