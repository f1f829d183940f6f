// Shared by the conformance ring: the environment is the container integration tests' one (a
// real critterd on a throwaway CNI network, a real registry holding the fixture images, reached
// over plain http through hosts.toml), reused by import. What this file adds is the kubelet's
// way of calling: the default runtime handler, the full PodSandboxConfig passed again on
// CreateContainer, and names that say which CRI semantic a pod or container belongs to.
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { status as Code, type ServiceError } from '@grpc/grpc-js';
import { ContainerState, type PodSandboxConfigSchema } from '../../src/gen/runtime/v1/api_pb.js';
import { ctrConfig, startCtrEnv, stopCtrEnv, until, type ContainerInit, type CtrEnv } from '../integration/container/helpers.js';
import { podConfig, type PodOptions } from '../integration/pod/sandbox-helpers.js';

export { ctrConfig, readCriLog, until, cgroupLimit, type CtrEnv, type ContainerInit } from '../integration/container/helpers.js';
export { inRange, ipamFiles, sh, type PodOptions } from '../integration/pod/sandbox-helpers.js';

/** Every container this ring created, to tell its own leftovers from other test runs'. */
const created = new Set<string>();

/** The container integration env: daemon + registry + CNI network, fixture images pulled. */
export const startEnv = (): Promise<CtrEnv> => startCtrEnv();

/**
 * stopCtrEnv, except that container cgroups under the shared test parent which belong to no
 * pod or container of this env are not ours to report: other rings may run at the same time.
 */
export async function stopEnv(env: CtrEnv | undefined): Promise<void> {
  try {
    await stopCtrEnv(env);
  } catch (e) {
    const ours = new Set([...created, ...(env?.net.podIds ?? [])]);
    const problems = (e instanceof Error ? e.message : String(e)).split(' | ');
    const mine = problems.filter((p) => !p.startsWith('cgroup ') || [...ours].some((id) => p.includes(id)));
    if (mine.length > 0) throw new Error(mine.join(' | '));
  }
}

/** critest asks the runtime for a cgroup parent; the test rings keep theirs under this one. */
export const CGROUP_PARENT_FOR_CRITEST = '/critter-test';

export type PodInit = Exclude<MessageInitShape<typeof PodSandboxConfigSchema>, { $typeName: string }>;

export interface Pod {
  id: string;
  config: PodInit;
}

/** A pod config as the kubelet sends it, with a log directory under the env's. */
export function kubeletPodConfig(env: CtrEnv, o: PodOptions = {}, extra: Partial<PodInit> = {}): PodInit {
  const base = podConfig(o) as PodInit;
  return { ...base, logDirectory: join(env.logDir, randomBytes(4).toString('hex')), ...extra };
}

/** RunPodSandbox on the default handler (the empty string, as the kubelet sends without a RuntimeClass). */
export async function runPod(env: CtrEnv, o: PodOptions = {}, extra: Partial<PodInit> = {}, runtimeHandler = ''): Promise<Pod> {
  const config = kubeletPodConfig(env, o, extra);
  const r = await env.d.clients.runtime.runPodSandbox({ config, runtimeHandler });
  env.net.podIds.add(r.podSandboxId);
  return { id: r.podSandboxId, config };
}

/** CreateContainer with the pod's whole config, as the kubelet does. */
export async function createIn(env: CtrEnv, pod: Pod, config: ContainerInit): Promise<string> {
  const r = await env.d.clients.runtime.createContainer({ podSandboxId: pod.id, config, sandboxConfig: pod.config });
  created.add(r.containerId);
  return r.containerId;
}

export async function runIn(env: CtrEnv, pod: Pod, config: ContainerInit): Promise<string> {
  const id = await createIn(env, pod, config);
  await env.d.clients.runtime.startContainer({ containerId: id });
  return id;
}

/** A long-running container of the busybox fixture. */
export const sleeper = (env: CtrEnv, o: Parameters<typeof ctrConfig>[1] = {}): ContainerInit =>
  ctrConfig(env.images.busybox, { command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'], ...o });

export async function ctrStatus(env: CtrEnv, id: string) {
  return (await env.d.clients.runtime.containerStatus({ containerId: id })).status!;
}

export async function podStatus(env: CtrEnv, id: string) {
  return (await env.d.clients.runtime.podSandboxStatus({ podSandboxId: id })).status!;
}

export async function waitState(env: CtrEnv, id: string, state: ContainerState, timeoutMs = 15_000) {
  return until(`container ${id.slice(0, 12)} to reach ${ContainerState[state]}`, async () => {
    const s = await ctrStatus(env, id);
    return s.state === state ? s : undefined;
  }, timeoutMs);
}

export async function exec(env: CtrEnv, id: string, cmd: string[], timeout = 10n) {
  const r = await env.d.clients.runtime.execSync({ containerId: id, cmd, timeout });
  return { stdout: Buffer.from(r.stdout).toString(), stderr: Buffer.from(r.stderr).toString(), exitCode: r.exitCode };
}

/** Runs sh -c in the container and returns its trimmed stdout; fails on a non-zero exit. */
export async function shIn(env: CtrEnv, id: string, script: string): Promise<string> {
  const r = await exec(env, id, ['sh', '-c', script]);
  if (r.exitCode !== 0) throw new Error(`${script}: exit ${r.exitCode}: ${r.stderr}`);
  return r.stdout.trim();
}

export const isCode = (c: Code) => (e: unknown): boolean => (e as ServiceError).code === c;

/** Any gRPC error at all (a status code, not a thrown TypeError from the test itself). */
export const isGrpcError = (e: unknown): boolean => typeof (e as ServiceError).code === 'number';

/** Removes a pod (stop first, as the kubelet does), ignoring an already removed one. */
export async function dropPod(env: CtrEnv, id: string): Promise<void> {
  await env.d.clients.runtime.stopPodSandbox({ podSandboxId: id });
  await env.d.clients.runtime.removePodSandbox({ podSandboxId: id });
}

/** Names shaped like critest's: a prefix with capitals and a v1 UUID-like suffix. */
export const critestName = (prefix: string): string => `${prefix}${randomUUID()}`;

/** nanoseconds since the epoch, as the CRI's timestamps are. */
export const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
