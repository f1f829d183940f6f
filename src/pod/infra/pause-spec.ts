// The OCI config of a pod's pause process: a read-only rootfs holding only /pause, a new PID
// (and mount) namespace, the pod's network, IPC and UTS namespace files, no capabilities.
import type { CgroupDriver } from '../../config/types.js';

interface IdRange {
  containerId: number;
  hostId: number;
  length: number;
}

export interface PauseSpecInput {
  sandboxId: string;
  netnsPath: string | undefined;
  ipcPath: string | undefined;
  utsPath: string | undefined;
  /** A user-namespaced pod's namespace file and its mappings (one range each, as KEP-127 gives). */
  userns?: { path: string; uid: IdRange; gid: IdRange };
  cgroupParent: string;
  cgroupDriver: CgroupDriver;
}

/** runc's cgroupsPath: "<slice>:critter:<id>" for systemd, "<parent>/<id>" for cgroupfs. */
export function infraCgroupsPath(parent: string, id: string, driver: CgroupDriver): string {
  if (driver === 'systemd') return `${parent === '' ? 'system.slice' : parent}:critter:${id}`;
  const p = parent === '' ? '/critter' : `/${parent.replace(/^\/+|\/+$/g, '')}`;
  return `${p === '/' ? '' : p}/${id}`;
}

const MASKED = ['/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/sched_debug', '/proc/scsi', '/sys/firmware'];
const READONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export function pauseSpec(i: PauseSpecInput): Record<string, unknown> {
  const namespaces: Record<string, string>[] = [{ type: 'pid' }, { type: 'mount' }];
  // First, so that the pid and mount namespaces made for the pause process belong to the pod's.
  if (i.userns) namespaces.unshift({ type: 'user', path: i.userns.path });
  if (i.netnsPath !== undefined) namespaces.push({ type: 'network', path: i.netnsPath });
  if (i.ipcPath !== undefined) namespaces.push({ type: 'ipc', path: i.ipcPath });
  if (i.utsPath !== undefined) namespaces.push({ type: 'uts', path: i.utsPath });
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 65535, gid: 65535 },
      args: ['/pause'],
      env: ['PATH=/'],
      cwd: '/',
      capabilities: { bounding: [], effective: [], permitted: [] },
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    ],
    linux: {
      namespaces,
      cgroupsPath: infraCgroupsPath(i.cgroupParent, i.sandboxId, i.cgroupDriver),
      ...(i.userns && {
        uidMappings: [{ containerID: i.userns.uid.containerId, hostID: i.userns.uid.hostId, size: i.userns.uid.length }],
        gidMappings: [{ containerID: i.userns.gid.containerId, hostID: i.userns.gid.hostId, size: i.userns.gid.length }],
      }),
      maskedPaths: MASKED,
      readonlyPaths: READONLY,
    },
    annotations: { 'io.kubernetes.cri.container-type': 'sandbox', 'io.kubernetes.cri.sandbox-id': i.sandboxId },
  };
}
