// The OCI config of a pod's pause process: a read-only rootfs holding only /pause, a new PID
// (and mount) namespace, the pod's network, IPC and UTS namespace files, no capabilities.
import type { CgroupDriver } from '../../config/types.js';

export interface PauseSpecInput {
  sandboxId: string;
  netnsPath: string | undefined;
  ipcPath: string | undefined;
  utsPath: string | undefined;
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
      maskedPaths: MASKED,
      readonlyPaths: READONLY,
    },
    annotations: { 'io.kubernetes.cri.container-type': 'sandbox', 'io.kubernetes.cri.sandbox-id': i.sandboxId },
  };
}
