// The pod sandbox as the rest of critter sees it: what RunPodSandbox asked for (SandboxRequest),
// and what a running pod offers its containers (Sandbox). No gRPC types here.

/** CRI NamespaceMode: POD shares one namespace per pod, CONTAINER one per container, NODE the host's. */
export type NamespaceMode = 'pod' | 'container' | 'node' | 'target';

export type PortProtocol = 'tcp' | 'udp' | 'sctp';

export interface PortMapping {
  protocol: PortProtocol;
  containerPort: number;
  /** 0: not published on the host. */
  hostPort: number;
  /** Empty: every host address. */
  hostIp: string;
}

export interface DnsConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

export interface PodMetadata {
  name: string;
  namespace: string;
  uid: string;
  attempt: number;
}

/** One range of ids: container ids [containerId, containerId+length) are host ids from hostId. */
export interface IdMapping {
  containerId: number;
  hostId: number;
  length: number;
}

/** NamespaceOption.userns_options: the pod's user namespace (KEP-127). */
export interface UserNamespaceRequest {
  mode: NamespaceMode;
  uids: IdMapping[];
  gids: IdMapping[];
}

export interface SandboxNamespaces {
  network: NamespaceMode;
  pid: NamespaceMode;
  ipc: NamespaceMode;
  /** For pid mode 'target': the container whose PID namespace is shared. */
  targetId: string;
  /** Absent: the host's user namespace (mode NODE, no mappings). */
  user?: UserNamespaceRequest;
}

/** RunPodSandbox's request in domain terms (already checked for well-formedness by the server). */
export interface SandboxRequest {
  metadata: PodMetadata;
  hostname: string;
  logDirectory: string;
  /** Absent: the pod uses the node's resolv.conf. */
  dns?: DnsConfig;
  portMappings: PortMapping[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Empty: the configured default handler. */
  runtimeHandler: string;
  cgroupParent: string;
  namespaces: SandboxNamespaces;
  privileged: boolean;
  sysctls: Record<string, string>;
  /**
   * The request as the client sent it (canonical JSON), kept for verbose status and to tell a
   * kubelet retry (identical) from a conflicting request with the same name.
   */
  config: unknown;
}

export type SandboxState = 'ready' | 'notready';

/** Paths of the files every container of the pod bind-mounts. */
export interface SandboxFiles {
  hostname: string;
  resolvConf: string;
  hosts: string;
}

export interface SandboxNetwork {
  /** The primary pod IP; empty for host-network pods and once the pod is stopped. */
  ip: string;
  additionalIps: string[];
}

/** A pod sandbox: everything a container of the pod needs to join it. */
export interface Sandbox {
  id: string;
  /** `<name>_<namespace>_<uid>_<attempt>`, reserved while the sandbox exists. */
  name: string;
  metadata: PodMetadata;
  state: SandboxState;
  /** Nanoseconds since the epoch. */
  createdAt: bigint;
  runtimeHandler: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  hostname: string;
  logDirectory: string;
  namespaces: SandboxNamespaces;
  /** Namespace files to join; undefined where the host's namespace is used. */
  netnsPath: string | undefined;
  ipcPath: string | undefined;
  utsPath: string | undefined;
  /**
   * The pod's user namespace file (mode POD), which owns its network, IPC and UTS namespaces;
   * undefined for pods in the host's user namespace.
   */
  userNamespacePath: string | undefined;
  /**
   * Host pid of the pause process owning the pod's PID namespace (pid mode 'pod');
   * containers join /proc/<pid>/ns/pid. Undefined otherwise, and once it has exited.
   */
  infraPid: number | undefined;
  files: SandboxFiles;
  /** The pod's /dev/shm: a tmpfs of its own, or the host's /dev/shm with host IPC. */
  shmPath: string;
  /** As the kubelet sent it: a cgroupfs path or a systemd slice; empty when none was given. */
  cgroupParent: string;
  /** Pod sysctls; net.* and IPC ones are already set in the pod's namespaces. */
  sysctls: Record<string, string>;
  privileged: boolean;
  portMappings: PortMapping[];
  dns: DnsConfig | undefined;
  network: SandboxNetwork;
  /** The sandbox's private folder (under the daemon's state dir). */
  dir: string;
}

export interface SandboxFilter {
  /** An exact id or a unique prefix of one. */
  id?: string;
  state?: SandboxState;
  /** Every pair must match. */
  labels?: Record<string, string>;
}

export interface SandboxStatusDetail {
  sandbox: Sandbox;
  /** Verbose details for `info["info"]` (JSON-serialisable). */
  info: Record<string, unknown>;
}
