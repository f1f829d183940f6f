// The container's namespaces: it joins the sandbox's network, IPC and UTS namespaces by path
// (none of them when the pod uses the host's), its pid namespace per the pod's pid mode, the
// pod's user namespace when it has one, and always gets a mount namespace of its own.
import type { HostInfo, SandboxContext } from './input.js';
import type { OciNamespace } from './types.js';

export function buildNamespaces(s: SandboxContext, host: HostInfo, privileged: boolean, userns?: OciNamespace): OciNamespace[] {
  const ns: OciNamespace[] = [];
  // First, so that namespaces created for the container belong to it (runtimes order it so too).
  if (userns) ns.push(userns);
  switch (s.pidNamespace.mode) {
    case 'pod':
      ns.push({ type: 'pid', path: `/proc/${s.pidNamespace.infraPid}/ns/pid` });
      break;
    case 'target':
      ns.push({ type: 'pid', path: `/proc/${s.pidNamespace.targetPid}/ns/pid` });
      break;
    case 'container':
      ns.push({ type: 'pid' });
      break;
    case 'node':
      break;
  }
  if (s.ipcPath) ns.push({ type: 'ipc', path: s.ipcPath });
  if (s.utsPath) ns.push({ type: 'uts', path: s.utsPath });
  ns.push({ type: 'mount' });
  if (s.netnsPath) ns.push({ type: 'network', path: s.netnsPath });
  // On v2 a private cgroup namespace makes /sys/fs/cgroup the container's own subtree.
  if (host.cgroupVersion === 2 && !privileged) ns.push({ type: 'cgroup' });
  return ns;
}
