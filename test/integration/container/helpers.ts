// Shared by the container integration tests: one critterd on a throwaway CNI network with a
// real registry holding the fixture images, pods with a log directory, container configs, CRI
// log reading, and the checks that nothing of a container is left on the node.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { status as Code, type ServiceError } from '@grpc/grpc-js';
import { ContainerState, type ContainerConfigSchema } from '../../../src/gen/runtime/v1/api_pb.js';
import { buildImage, pushImage, type BuiltImage } from '../../fixtures/image.js';
import { busyboxEntries, DEFAULT_PATH_ENV, fixtures } from '../../fixtures/images.js';
import { createTestNetwork, natRules, type TestNetwork } from '../../fixtures/cni/test-network.js';
import { newTestDir, startCritterd, type CritterdHandle } from '../../harness/daemon.js';
import { startRegistry, type TestRegistry } from '../../harness/registry.js';
import { configFor, podConfig, stopEnv, type PodOptions } from '../pod/sandbox-helpers.js';

export const HANDLERS = ['runc', 'crun'] as const;
export type Handler = (typeof HANDLERS)[number];

export interface CtrEnv {
  d: CritterdHandle;
  net: TestNetwork;
  dir: string;
  reg: TestRegistry;
  certs: string;
  logDir: string;
  /** Fixture image references, pulled. */
  images: { busybox: string; configured: string; uid: string; username: string; userGroup: string; stopSignal: string };
}

/** busybox whose StopSignal is SIGUSR1; its default command traps it and exits 42. */
export const stopSignalImage = (): Promise<BuiltImage> =>
  buildImage({
    layers: [{ entries: busyboxEntries() }],
    config: { Env: [DEFAULT_PATH_ENV], Cmd: ['sh', '-c', "trap 'exit 42' USR1; while true; do sleep 0.1; done"], StopSignal: 'SIGUSR1' },
  });

export function configWithRegistry(net: TestNetwork, certs: string): string {
  return `${configFor(net)}[image]\nregistry_config_dir = "${certs}"\n`;
}

/** `extraConfig`: more critter.toml text (whole sections), appended to the network and registry setup. */
export async function startCtrEnv(dir = newTestDir('critter-ctr-'), extraConfig = ''): Promise<CtrEnv> {
  const net = createTestNetwork(dir);
  const reg = await startRegistry();
  const certs = join(dir, 'certs.d');
  mkdirSync(join(certs, reg.host), { recursive: true });
  writeFileSync(join(certs, reg.host, 'hosts.toml'), `server = "http://${reg.host}"\n`);
  const push = async (repo: string, img: Promise<BuiltImage>): Promise<string> => {
    await pushImage(reg, repo, ['latest'], await img);
    return `${reg.host}/${repo}:latest`;
  };
  const images = {
    busybox: await push('busybox', fixtures.busybox()),
    configured: await push('configured', fixtures.configured()),
    uid: await push('busybox-uid', fixtures.busyboxUid()),
    username: await push('busybox-username', fixtures.busyboxUsername()),
    userGroup: await push('busybox-user-group', fixtures.busyboxUserGroup()),
    stopSignal: await push('stop-signal', stopSignalImage()),
  };
  let d: CritterdHandle;
  try {
    d = await startCritterd({ dir, config: configWithRegistry(net, certs) + extraConfig });
  } catch (e) {
    net.teardown();
    await reg.stop();
    throw e;
  }
  for (const image of Object.values(images)) await d.clients.image.pullImage({ image: { image } });
  const logDir = join(dir, 'logs');
  mkdirSync(logDir);
  return { d, net, dir, reg, certs, logDir, images };
}

/** Removes every pod (and so every container), stops the daemon and checks for leftovers. */
export async function stopCtrEnv(env: CtrEnv | undefined): Promise<void> {
  if (!env) return;
  const problems: string[] = [];
  const ids: string[] = [];
  try {
    const cs = await env.d.clients.runtime.listContainers({});
    for (const c of cs.containers) {
      ids.push(c.id);
      await env.d.clients.runtime.removeContainer({ containerId: c.id });
    }
  } catch (e) {
    problems.push(`removing containers: ${String(e)}`);
  }
  try {
    await stopEnv({ d: env.d, net: env.net, dir: env.dir });
  } catch (e) {
    problems.push(String(e));
  }
  await env.reg.stop();
  problems.push(...cgroupsLeft());
  for (const id of ids) if (natRules().includes(id)) problems.push(`iptables rules for ${id}`);
  if (problems.length > 0) throw new Error(problems.join(' | '));
}

export const CGROUP_PARENT = '/critter-test';

const CGROUP_V2 = existsSync('/sys/fs/cgroup/cgroup.controllers');

/** The tests' parent cgroup in every hierarchy (one on cgroup v2). */
function parentDirs(): string[] {
  if (CGROUP_V2) return [join('/sys/fs/cgroup', CGROUP_PARENT)];
  return readdirSync('/sys/fs/cgroup').map((h) => join('/sys/fs/cgroup', h, CGROUP_PARENT));
}

/** Container cgroups still under the tests' parent. */
export function cgroupsLeft(): string[] {
  const left: string[] = [];
  for (const d of parentDirs()) {
    if (!existsSync(d)) continue;
    try {
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory() && /^[0-9a-f]{64}$/.test(e.name)) left.push(`cgroup ${join(d, e.name)}`);
    } catch {
      /* gone meanwhile */
    }
  }
  return left;
}

/** A container's memory limit or CFS quota as its cgroup holds it (v1 or v2). */
export function cgroupLimit(id: string, what: 'memory' | 'cpuQuota'): string {
  const read = (...p: string[]): string => readFileSync(join('/sys/fs/cgroup', ...p), 'utf8').trim();
  if (CGROUP_V2) return what === 'memory' ? read(CGROUP_PARENT, id, 'memory.max') : (read(CGROUP_PARENT, id, 'cpu.max').split(' ')[0] ?? '');
  return what === 'memory' ? read('memory', CGROUP_PARENT, id, 'memory.limit_in_bytes') : read('cpu', CGROUP_PARENT, id, 'cpu.cfs_quota_us');
}

export async function runPod(env: CtrEnv, handler: Handler, o: PodOptions = {}): Promise<string> {
  const config = { ...podConfig(o), logDirectory: join(env.logDir, randomBytes(4).toString('hex')) };
  const r = await env.d.clients.runtime.runPodSandbox({ config, runtimeHandler: handler });
  env.net.podIds.add(r.podSandboxId);
  return r.podSandboxId;
}

export type ContainerInit = Exclude<MessageInitShape<typeof ContainerConfigSchema>, { $typeName: string }>;

export function ctrConfig(image: string, o: Partial<ContainerInit> & { name?: string } = {}): ContainerInit {
  const { name, ...rest } = o;
  const n = name ?? `c-${randomBytes(3).toString('hex')}`;
  return {
    metadata: { name: n, attempt: 0 },
    image: { image, userSpecifiedImage: image },
    logPath: `${n}/0.log`,
    linux: { securityContext: {} },
    ...rest,
  };
}

/** CreateContainer with the pod's own config (the kubelet sends it along). */
export async function createCtr(env: CtrEnv, podId: string, config: ContainerInit): Promise<string> {
  const pod = (await env.d.clients.runtime.podSandboxStatus({ podSandboxId: podId })).status!;
  const r = await env.d.clients.runtime.createContainer({ podSandboxId: podId, config, sandboxConfig: { metadata: pod.metadata } });
  return r.containerId;
}

export async function runCtr(env: CtrEnv, podId: string, config: ContainerInit): Promise<string> {
  const id = await createCtr(env, podId, config);
  await env.d.clients.runtime.startContainer({ containerId: id });
  return id;
}

export async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function status(env: CtrEnv, id: string) {
  return (await env.d.clients.runtime.containerStatus({ containerId: id })).status!;
}

export async function waitExited(env: CtrEnv, id: string, timeoutMs = 15_000) {
  return until(`container ${id} to exit`, async () => {
    const s = await status(env, id);
    return s.state === ContainerState.CONTAINER_EXITED ? s : undefined;
  }, timeoutMs);
}

const CRI_LINE = /^(\S+) (stdout|stderr) ([PF]) (.*)$/;

/** The stream's text reassembled from a CRI log file; every line must be in CRI format. */
export function readCriLog(path: string, stream: 'stdout' | 'stderr' = 'stdout'): string {
  if (!existsSync(path)) return '';
  let text = '';
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line === '') continue;
    const m = CRI_LINE.exec(line);
    if (!m) throw new Error(`not a CRI log line: ${JSON.stringify(line)}`);
    if (Number.isNaN(Date.parse(m[1]!))) throw new Error(`bad CRI log timestamp: ${m[1]}`);
    if (m[2] !== stream) continue;
    text += m[4]! + (m[3] === 'F' ? '\n' : '');
  }
  return text;
}

export async function logPathOf(env: CtrEnv, id: string): Promise<string> {
  return (await status(env, id)).logPath;
}

export const code = (c: Code) => (e: unknown) => (e as ServiceError).code === c;

export async function exec(env: CtrEnv, id: string, cmd: string[], timeout = 10n) {
  const r = await env.d.clients.runtime.execSync({ containerId: id, cmd, timeout });
  return { stdout: Buffer.from(r.stdout).toString(), stderr: Buffer.from(r.stderr).toString(), exitCode: r.exitCode };
}

export function rmrf(p: string): void {
  rmSync(p, { recursive: true, force: true });
}
