// Where a sandbox's pieces live under the daemon's state dir (a tmpfs on real nodes: a reboot
// clears it, as it clears the namespaces and mounts these paths name).
import { join } from 'node:path';

export interface SandboxLayout {
  dir: string;
  nsDir: string;
  net: string;
  ipc: string;
  uts: string;
  user: string;
  shm: string;
  hostname: string;
  resolvConf: string;
  hosts: string;
  infraBundle: string;
}

export function sandboxLayout(stateDir: string, id: string): SandboxLayout {
  const dir = join(stateDir, id);
  const nsDir = join(dir, 'ns');
  return {
    dir,
    nsDir,
    net: join(nsDir, 'net'),
    ipc: join(nsDir, 'ipc'),
    uts: join(nsDir, 'uts'),
    user: join(nsDir, 'user'),
    shm: join(dir, 'shm'),
    hostname: join(dir, 'hostname'),
    resolvConf: join(dir, 'resolv.conf'),
    hosts: join(dir, 'hosts'),
    infraBundle: join(dir, 'infra'),
  };
}
