// What the spec builder is given: the CRI request, the image, and what the pod sandbox and the
// host already decided. The builder decides nothing about the sandbox; it only joins it.
import type { CgroupDriver } from '../../config/types.js';
import type { ContainerConfig } from '../../gen/runtime/v1/api_pb.js';
import type { SecurityHost } from '../security/lsm-host.js';
import type { OciSpec } from './types.js';

/** The `config` section of an OCI image config (image-spec config.md); names as in its JSON. */
export interface ImageConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
  StopSignal?: string;
}

/** Whose pid namespace the container lives in (NamespaceOption.pid, resolved by the caller). */
export type PidNamespace =
  | { mode: 'pod'; infraPid: number }
  | { mode: 'container' }
  | { mode: 'node' }
  | { mode: 'target'; targetPid: number };

export interface SandboxContext {
  id: string;
  /** PodSandboxMetadata, for annotations only. */
  name?: string;
  namespace?: string;
  uid?: string;
  hostname: string;
  /** Namespace files to join; undefined means the host's (hostNetwork, hostIPC). */
  netnsPath?: string;
  ipcPath?: string;
  utsPath?: string;
  /** The pod's user namespace file when the sandbox holds one (a user-namespaced pod). */
  userNamespacePath?: string;
  pidNamespace: PidNamespace;
  /** Files the sandbox prepared, bind-mounted unless the CRI config mounts the same path. */
  resolvConfPath?: string;
  hostsPath?: string;
  hostnamePath?: string;
  /** The pod's /dev/shm (or the host's with hostIPC); undefined leaves a private tmpfs. */
  shmPath?: string;
  cgroupParent: string;
  sysctls: Record<string, string>;
  privileged: boolean;
}

/** Facts about this host the spec depends on; see probeHost() in host.ts. */
export interface HostInfo {
  cgroupVersion: 1 | 2;
  /** memory.memsw (v1) or memory.swap.max (v2) exists: a swap limit can be set. */
  swapAvailable: boolean;
  hugetlbAvailable: boolean;
  /** /proc/sys/kernel/cap_last_cap: the highest capability number this kernel knows. */
  capLastCap: number;
  /** critterd's own bounding set (CapBnd); undefined is "everything the kernel has". */
  boundingCapabilities?: readonly string[];
}

export interface SpecInput {
  containerId: string;
  config: ContainerConfig;
  image: { name?: string; config: ImageConfig };
  /** The container's mounted rootfs; `readonly` forces a read-only root whatever the request says. */
  rootfs: { path: string; readonly: boolean };
  sandbox: SandboxContext;
  cgroupDriver: CgroupDriver;
  host: HostInfo;
  runtimeHandler: string;
  /**
   * What the handler's runtime supports: driver.supportsRecursiveReadOnly/IdmappedMounts, and
   * userNamespaces = reportsUserNamespaces(driver.features()); absent is "no".
   */
  runtimeFeatures: { recursiveReadOnly: boolean; idmappedMounts?: boolean; userNamespaces?: boolean };
  /** The host's LSMs, architecture and kernel; probed (once) when absent. */
  security?: SecurityHost;
  /** critterd's own /proc/self/oom_score_adj: a container never gets a lower (more protected) one. */
  ownOomScoreAdj: number;
  /**
   * Host paths no CRI mount or device may use, nor anything under them (symlinks resolved):
   * `[security] forbidden_host_paths` plus critterd's --root and --state. Absent: none.
   */
  forbiddenHostPaths?: readonly string[];
  /** /proc/self/mountinfo text, for tests; read from the host when a propagation check needs it. */
  mountInfo?: string;
}

export interface BuildResult {
  spec: OciSpec;
  warnings: string[];
  resolvedUser: { uid: number; gid: number; additionalGids: number[] };
}
