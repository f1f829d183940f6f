// The parts of the OCI runtime spec (config.md, config-linux.md) critter writes into
// config.json. Field names are the spec's JSON names; absent means "runtime default".
import type { LinuxCpu, LinuxHugepageLimit, LinuxMemory } from '../resources.js';

export interface OciUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
}

export interface OciCapabilities {
  bounding: string[];
  effective: string[];
  permitted: string[];
  inheritable?: string[];
  ambient?: string[];
}

export interface OciProcess {
  terminal: boolean;
  user: OciUser;
  args: string[];
  env: string[];
  cwd: string;
  capabilities: OciCapabilities;
  noNewPrivileges: boolean;
  oomScoreAdj?: number;
  apparmorProfile?: string;
  selinuxLabel?: string;
}

export interface OciRoot {
  path: string;
  readonly: boolean;
}

export interface OciIdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
  /** An idmapped bind mount (runtime-spec 1.1); set only where the runtime supports them. */
  uidMappings?: OciIdMapping[];
  gidMappings?: OciIdMapping[];
}

export type OciNamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup';

export interface OciNamespace {
  type: OciNamespaceType;
  /** Join this namespace instead of creating one. */
  path?: string;
}

export interface OciDevice {
  path: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface OciDeviceCgroupRule {
  allow: boolean;
  type?: 'a' | 'c' | 'b';
  major?: number;
  minor?: number;
  access?: string;
}

export interface OciLinuxResources {
  devices: OciDeviceCgroupRule[];
  memory?: LinuxMemory;
  cpu?: LinuxCpu;
  hugepageLimits?: LinuxHugepageLimit[];
  unified?: Record<string, string>;
}

export interface OciSeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

export interface OciSyscallRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: OciSeccompArg[];
}

/** linux.seccomp (config-linux.md#seccomp); built by src/oci/security/. */
export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  syscalls?: OciSyscallRule[];
}

export interface OciLinux {
  namespaces: OciNamespace[];
  resources: OciLinuxResources;
  cgroupsPath: string;
  devices: OciDevice[];
  sysctl?: Record<string, string>;
  maskedPaths: string[];
  readonlyPaths: string[];
  rootfsPropagation?: 'rprivate' | 'rslave' | 'rshared';
  seccomp?: OciSeccomp;
  mountLabel?: string;
  /** With a user namespace: how its ids map to the host's. */
  uidMappings?: OciIdMapping[];
  gidMappings?: OciIdMapping[];
}

export interface OciSpec {
  ociVersion: string;
  process: OciProcess;
  root: OciRoot;
  hostname?: string;
  mounts: OciMount[];
  linux: OciLinux;
  annotations: Record<string, string>;
}
