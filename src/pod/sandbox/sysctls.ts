// Pod sysctls. Only namespaced ones are accepted (as the kubelet's allowlist does): net.* live in
// the network namespace, the SysV IPC and mqueue ones in the IPC namespace. With no long-lived
// process in an infra-less pod, nobody else would set them before the first container, so they
// are written into the pinned namespaces here; the map also goes to every container's spec,
// where the OCI runtime writes the same values again.
import { internal, invalidArgument } from '../../util/errors.js';
import { describeFailure, runProgram } from '../../util/run-program.js';

export type SysctlNamespace = 'net' | 'ipc';

const IPC_NAMES = new Set(['kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced', 'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem']);
const NAME = /^[A-Za-z0-9_]+([./][A-Za-z0-9_:-]+)+$/;

/**
 * The dotted form. A name written with '/' as separator ("net/ipv4/ip_forward") is turned
 * around, since in the dotted form a '/' stands for a '.' inside one component (an interface
 * named "eth0.100": net.ipv4.conf.eth0/100.forwarding).
 */
export function normaliseSysctlName(name: string): string {
  const slash = name.indexOf('/');
  const dot = name.indexOf('.');
  if (slash !== -1 && (dot === -1 || slash < dot)) return name.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
  return name;
}

/** /proc/sys relative path of a dotted name. */
export function sysctlPath(dotted: string): string {
  return dotted.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
}

export function sysctlNamespace(dotted: string): SysctlNamespace | undefined {
  if (dotted.startsWith('net.')) return 'net';
  if (IPC_NAMES.has(dotted) || dotted.startsWith('fs.mqueue.')) return 'ipc';
  return undefined;
}

export interface PodSysctl {
  name: string;
  value: string;
  ns: SysctlNamespace;
}

/**
 * True for a per-interface sysctl (net.ipv4.conf.eth0.*, net.ipv6.neigh.eth0.*) of an interface
 * other than lo/all/default: the interface exists only once CNI ADD has run.
 */
export function needsPodInterfaces(s: PodSysctl): boolean {
  const m = /^net\.ipv[46]\.(conf|neigh)\.([^.]+)\./.exec(s.name);
  return m !== null && !['all', 'default', 'lo'].includes(m[2]!);
}

/** Checks the pod's sysctls against its namespaces; host namespaces cannot take pod sysctls. */
export function checkSysctls(sysctls: Record<string, string>, hostNetwork: boolean, hostIpc: boolean): PodSysctl[] {
  const out: PodSysctl[] = [];
  for (const [raw, value] of Object.entries(sysctls)) {
    if (!NAME.test(raw) || raw.split(/[./]/).some((p) => p === '..' || p === '.')) throw invalidArgument(`sysctl name "${raw}" is malformed`);
    if (/[\n\r]/.test(value)) throw invalidArgument(`sysctl ${raw}: the value holds a line break`);
    const name = normaliseSysctlName(raw);
    const ns = sysctlNamespace(name);
    if (ns === undefined) throw invalidArgument(`sysctl "${raw}" is not namespaced: only net.*, kernel.shm*, kernel.msg*, kernel.sem and fs.mqueue.* can be set for a pod`);
    if (ns === 'net' && hostNetwork) throw invalidArgument(`sysctl "${raw}" cannot be set for a pod on the host network`);
    if (ns === 'ipc' && hostIpc) throw invalidArgument(`sysctl "${raw}" cannot be set for a pod using the host IPC namespace`);
    out.push({ name, value, ns });
  }
  return out;
}

/** Writes one sysctl inside the namespace file (`nsenter --net=` or `--ipc=`). */
export async function applySysctl(s: PodSysctl, nsPath: string): Promise<void> {
  // The value and path go as arguments, never spliced into the script.
  const script = 'printf "%s\\n" "$1" > "/proc/sys/$2"';
  const r = await runProgram('nsenter', [`--${s.ns}=${nsPath}`, '--', 'sh', '-c', script, 'sh', s.value, sysctlPath(s.name)]);
  if (r.code !== 0) throw invalidArgument(`cannot set sysctl ${s.name}=${s.value} in the pod: ${describeFailure(r)}`);
}

/** Reads one back (tests, verbose status). */
export async function readSysctl(name: string, ns: SysctlNamespace, nsPath: string): Promise<string> {
  const r = await runProgram('nsenter', [`--${ns}=${nsPath}`, '--', 'cat', `/proc/sys/${sysctlPath(normaliseSysctlName(name))}`]);
  if (r.code !== 0) throw internal(`cannot read sysctl ${name}: ${describeFailure(r)}`);
  return r.stdout.trim();
}
