// The pod's hostname: set in its UTS namespace, and written to a file containers mount at
// /etc/hostname.
import { hostname as nodeHostname } from 'node:os';
import { internal, invalidArgument } from '../../util/errors.js';
import { describeFailure, runProgram } from '../../util/run-program.js';

// sethostname(2) takes at most 64 bytes; Kubernetes keeps pod hostnames to a DNS label.
const HOSTNAME = /^[A-Za-z0-9]([-A-Za-z0-9.]{0,62}[A-Za-z0-9])?$/;

export function checkHostname(name: string): void {
  if (!HOSTNAME.test(name)) throw invalidArgument(`hostname "${name}" is not a valid host name (at most 64 letters, digits, '-' and '.')`);
}

/**
 * The name a pod gets: what the kubelet asked for; without one, the pod's name for a pod of
 * its own UTS namespace (cut to a DNS label), or the node's name on the host network.
 */
export function podHostname(requested: string, podName: string, hostNetwork: boolean): string {
  if (requested !== '') return requested;
  if (hostNetwork) return nodeHostname();
  return podName.slice(0, 63).replace(/[^A-Za-z0-9]+$/, '');
}

export async function setUtsHostname(utsPath: string, name: string): Promise<void> {
  checkHostname(name);
  const r = await runProgram('nsenter', [`--uts=${utsPath}`, '--', 'hostname', name]);
  if (r.code !== 0) throw internal(`cannot set hostname "${name}" in ${utsPath}: ${describeFailure(r)}`);
}
