// Between the CRI's container messages and the container domain types.
import { fromJson, toJson, type JsonValue, type MessageInitShape } from '@bufbuild/protobuf';
import {
  ContainerConfigSchema,
  ContainerSchema,
  ContainerState as CriContainerState,
  ContainerStatusSchema,
  type ContainerConfig,
  type ContainerFilter as CriContainerFilter,
  type CreateContainerRequest,
  type LinuxContainerResourcesSchema,
} from '../../gen/runtime/v1/api_pb.js';
import type { ContainerFilter, ContainerRequest, ContainerResources, ContainerState, ContainerView } from '../../container/types.js';
import { checkAnnotations, checkContainerMetadata, checkLabels, requirePresent, requireString } from '../validate.js';

const TO_CRI: Record<ContainerState, CriContainerState> = {
  created: CriContainerState.CONTAINER_CREATED,
  running: CriContainerState.CONTAINER_RUNNING,
  exited: CriContainerState.CONTAINER_EXITED,
  unknown: CriContainerState.CONTAINER_UNKNOWN,
};
const FROM_CRI: Record<CriContainerState, ContainerState> = {
  [CriContainerState.CONTAINER_CREATED]: 'created',
  [CriContainerState.CONTAINER_RUNNING]: 'running',
  [CriContainerState.CONTAINER_EXITED]: 'exited',
  [CriContainerState.CONTAINER_UNKNOWN]: 'unknown',
};

export function toContainerRequest(req: CreateContainerRequest): ContainerRequest {
  const sandboxId = requireString('pod_sandbox_id', req.podSandboxId);
  const config: ContainerConfig = requirePresent('config', req.config);
  checkContainerMetadata(config.metadata);
  requireString('config.image.image', config.image?.image);
  checkLabels('config.labels', config.labels);
  checkAnnotations('config.annotations', config.annotations);
  return { sandboxId, config, configJson: toJson(ContainerConfigSchema, config) };
}

export function toContainerFilter(f: CriContainerFilter | undefined): ContainerFilter | undefined {
  if (!f) return undefined;
  return {
    id: f.id,
    state: f.state === undefined ? undefined : (FROM_CRI[f.state.state] ?? 'unknown'),
    sandboxId: f.podSandboxId,
    labels: { ...f.labelSelector },
  };
}

/** The request's config, back from the proto JSON kept in the record. */
function storedConfig(v: ContainerView): ContainerConfig | undefined {
  try {
    return fromJson(ContainerConfigSchema, v.config as JsonValue, { ignoreUnknownFields: true });
  } catch {
    return undefined;
  }
}

/**
 * The image as the pod spec named it (user_specified_image), else the image's tag, else what
 * the kubelet sent: what a person expects to read back in `kubectl get pod -o yaml`.
 */
function imageSpec(v: ContainerView, cfg: ContainerConfig | undefined): MessageInitShape<typeof ContainerStatusSchema>['image'] {
  return {
    image: v.image.userSpecified || v.imageTag || v.image.requested,
    userSpecifiedImage: v.image.userSpecified,
    annotations: { ...(cfg?.image?.annotations ?? {}) },
    runtimeHandler: cfg?.image?.runtimeHandler ?? '',
  };
}

export function toLinuxResources(r: ContainerResources): MessageInitShape<typeof LinuxContainerResourcesSchema> {
  return {
    cpuPeriod: BigInt(r.cpuPeriod),
    cpuQuota: BigInt(r.cpuQuota),
    cpuShares: BigInt(r.cpuShares),
    memoryLimitInBytes: BigInt(r.memoryLimitInBytes),
    oomScoreAdj: BigInt(r.oomScoreAdj),
    cpusetCpus: r.cpusetCpus,
    cpusetMems: r.cpusetMems,
    hugepageLimits: r.hugepageLimits.map((h) => ({ pageSize: h.pageSize, limit: BigInt(h.limit) })),
    unified: { ...r.unified },
    memorySwapLimitInBytes: BigInt(r.memorySwapLimitInBytes),
  };
}

/** Container (ListContainers). */
export function toContainer(v: ContainerView): MessageInitShape<typeof ContainerSchema> {
  return {
    id: v.id,
    podSandboxId: v.sandboxId,
    metadata: { ...v.metadata },
    image: imageSpec(v, storedConfig(v)),
    imageRef: v.imageRef,
    imageId: v.image.id,
    state: TO_CRI[v.state],
    createdAt: v.createdAt,
    labels: v.labels,
    annotations: v.annotations,
  };
}

/** ContainerStatus. Mounts are reported as they were requested, as containerd does. */
export function toContainerStatus(v: ContainerView): MessageInitShape<typeof ContainerStatusSchema> {
  const cfg = storedConfig(v);
  return {
    id: v.id,
    metadata: { ...v.metadata },
    state: TO_CRI[v.state],
    createdAt: v.createdAt,
    startedAt: v.state === 'created' ? 0n : v.startedAt,
    finishedAt: v.state === 'exited' || v.state === 'unknown' ? v.finishedAt : 0n,
    exitCode: v.exitCode,
    image: imageSpec(v, cfg),
    imageRef: v.imageRef,
    imageId: v.image.id,
    reason: v.reason,
    message: v.message,
    labels: v.labels,
    annotations: v.annotations,
    mounts: cfg?.mounts ?? [],
    logPath: v.logPath,
    resources: { linux: toLinuxResources(v.resources) },
    user: { linux: { uid: BigInt(v.user.uid), gid: BigInt(v.user.gid), supplementalGroups: v.user.additionalGids.map((g) => BigInt(g)) } },
  };
}
