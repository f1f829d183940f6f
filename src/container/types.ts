// Containers as the rest of critter sees them: what CreateContainer asked for (ContainerRequest),
// what is persisted (ContainerRecord, see record.ts) and what status and list report
// (ContainerView). The CRI's ContainerConfig is the spec builder's input, so it is carried as is.
import type { ContainerConfig } from '../gen/runtime/v1/api_pb.js';
import type { MonitoredContainer } from './monitor/conmon.js';

/** CRI ContainerState; 'unknown' when neither the runtime nor conmon can say. */
export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

/** 'creating' exists only in records: a crash mid-create leaves it for recovery to undo. */
export type ContainerPhase = 'creating' | ContainerState;

/** LinuxContainerResources in plain numbers (0 and '' mean unset, as in the CRI). */
export interface ContainerResources {
  cpuPeriod: number;
  cpuQuota: number;
  cpuShares: number;
  memoryLimitInBytes: number;
  oomScoreAdj: number;
  cpusetCpus: string;
  cpusetMems: string;
  hugepageLimits: { pageSize: string; limit: number }[];
  unified: Record<string, string>;
  memorySwapLimitInBytes: number;
}

export interface ContainerImageRef {
  /** ImageSpec.image as the kubelet sent it (usually the image id). */
  requested: string;
  /** ImageSpec.user_specified_image: the name in the pod spec. */
  userSpecified: string;
  /** "sha256:<config digest>". */
  id: string;
  /** The image's top layer chain, the parent of the container's writable layer. */
  chainId: string | null;
  /** config.StopSignal of the image, '' when it names none. */
  stopSignal: string;
}

/** CreateContainer's request in domain terms (checked for well-formedness by the server). */
export interface ContainerRequest {
  sandboxId: string;
  config: ContainerConfig;
  /** The config as the client sent it (proto JSON): kept for status and to recognise a retry. */
  configJson: unknown;
}

export interface ContainerRecord {
  version: 1;
  id: string;
  /** `<container>_<pod>_<namespace>_<pod uid>_<attempt>`, reserved while the container exists. */
  name: string;
  /** Digest of the request, to tell a kubelet retry from a conflicting request. */
  digest: string;
  sandboxId: string;
  phase: ContainerPhase;
  runtimeHandler: string;
  metadata: { name: string; attempt: number };
  labels: Record<string, string>;
  annotations: Record<string, string>;
  image: ContainerImageRef;
  /** The CRI log file; '' when the pod or container named none. */
  logPath: string;
  /** <state>/containers/<id>: config.json, rootfs, conmon's files. */
  bundle: string;
  rootfs: string;
  snapshotKey: string;
  /** Set once conmon created the container. */
  monitor?: MonitoredContainer;
  resources: ContainerResources;
  user: { uid: number; gid: number; additionalGids: number[] };
  /** Nanoseconds since the epoch as decimal text; '0' when not (yet) so. */
  createdAt: string;
  startedAt: string;
  finishedAt: string;
  exitCode: number;
  reason: string;
  message: string;
  config: unknown;
}

export interface ContainerView {
  id: string;
  sandboxId: string;
  state: ContainerState;
  metadata: { name: string; attempt: number };
  labels: Record<string, string>;
  annotations: Record<string, string>;
  image: ContainerImageRef;
  /** The image's first repo digest, else its id (containerd's image_ref). */
  imageRef: string;
  /** The image's first tag, if it still has one. */
  imageTag: string;
  logPath: string;
  createdAt: bigint;
  startedAt: bigint;
  finishedAt: bigint;
  exitCode: number;
  reason: string;
  message: string;
  resources: ContainerResources;
  user: { uid: number; gid: number; additionalGids: number[] };
  config: unknown;
}

export interface ContainerFilter {
  /** An exact id or a unique prefix of one. */
  id?: string;
  state?: ContainerState;
  sandboxId?: string;
  /** Every pair must match. */
  labels?: Record<string, string>;
}

export interface ContainerStatusDetail {
  container: ContainerView;
  /** Verbose details for `info["info"]` (JSON-serialisable). */
  info: Record<string, unknown>;
}

export interface ExecSyncOutcome {
  stdout: Uint8Array;
  stderr: Uint8Array;
  exitCode: number;
}
