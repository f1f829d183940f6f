// Shared by the pod sandbox integration tests: a critterd on a throwaway CNI network, pod configs,
// and the checks that nothing of a pod is left on the node.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { NamespaceMode, Protocol, type PodSandboxConfigSchema } from '../../../src/gen/runtime/v1/api_pb.js';
import { createTestNetwork, linkExists, natRules, type TestNetwork } from '../../fixtures/cni/test-network.js';
import { mountsUnder, processesUnder } from '../../harness/leaks.js';
import { newTestDir, startCritterd, type CritterdHandle } from '../../harness/daemon.js';

export const CGROUP_PARENT = '/critter-test';

export interface PodOptions {
  name?: string;
  uid?: string;
  attempt?: number;
  hostNetwork?: boolean;
  hostIpc?: boolean;
  sharedPid?: boolean;
  hostname?: string;
  sysctls?: Record<string, string>;
  dns?: { servers: string[]; searches: string[]; options: string[] };
  ports?: { hostPort: number; containerPort: number; hostIp: string }[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function podConfig(o: PodOptions = {}): MessageInitShape<typeof PodSandboxConfigSchema> {
  const name = o.name ?? `pod-${randomBytes(3).toString('hex')}`;
  return {
    metadata: { name, namespace: 'critter-test', uid: o.uid ?? randomBytes(8).toString('hex'), attempt: o.attempt ?? 0 },
    hostname: o.hostname ?? name,
    logDirectory: '',
    dnsConfig: o.dns,
    portMappings: (o.ports ?? []).map((p) => ({ ...p, protocol: Protocol.TCP })),
    labels: o.labels ?? {},
    annotations: o.annotations ?? {},
    linux: {
      cgroupParent: CGROUP_PARENT,
      sysctls: o.sysctls ?? {},
      securityContext: {
        namespaceOptions: {
          network: o.hostNetwork ? NamespaceMode.NODE : NamespaceMode.POD,
          ipc: o.hostIpc ? NamespaceMode.NODE : NamespaceMode.POD,
          pid: o.sharedPid ? NamespaceMode.POD : NamespaceMode.CONTAINER,
        },
      },
    },
  };
}

export interface Env {
  d: CritterdHandle;
  net: TestNetwork;
  dir: string;
}

export function configFor(net: TestNetwork): string {
  return `[network]\ncni_conf_dir = "${net.confDir}"\ncni_bin_dirs = ["/usr/lib/cni"]\n`;
}

export async function startEnv(opts: { netOptions?: Parameters<typeof createTestNetwork>[1] } = {}): Promise<Env> {
  const dir = newTestDir('critter-pod-');
  const net = createTestNetwork(dir, opts.netOptions);
  try {
    const d = await startCritterd({ dir, config: configFor(net) });
    return { d, net, dir };
  } catch (e) {
    net.teardown();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Removes every pod, stops the daemon, tears the network down, and reports what was left. */
export async function stopEnv(env: Env, d: CritterdHandle = env.d): Promise<void> {
  const problems: string[] = [];
  try {
    const pods = await d.clients.runtime.listPodSandbox({});
    for (const p of pods.items) {
      env.net.podIds.add(p.id);
      await d.clients.runtime.removePodSandbox({ podSandboxId: p.id });
    }
  } catch (e) {
    problems.push(`removing pods: ${String(e)}`);
  }
  try {
    await d.stop({ keepDir: true });
  } catch (e) {
    problems.push(String(e));
  }
  const nat = natRules();
  for (const id of env.net.podIds) if (nat.includes(id)) problems.push(`nat rules left for ${id}`);
  env.net.teardown();
  const mounts = mountsUnder(env.dir);
  const procs = processesUnder(env.dir);
  if (mounts.length > 0) problems.push(`mounts: ${mounts.join(', ')}`);
  if (procs.length > 0) problems.push(`processes: ${procs.map((p) => p.cmdline).join('; ')}`);
  if (linkExists(env.net.bridge)) problems.push(`bridge ${env.net.bridge} left`);
  if (mounts.length === 0 && procs.length === 0) rmSync(env.dir, { recursive: true, force: true });
  removeCgroupParent();
  if (problems.length > 0) throw new Error(`left behind: ${problems.join(' | ')}`);
}

function removeCgroupParent(): void {
  for (const h of readdirSync('/sys/fs/cgroup')) {
    const d = join('/sys/fs/cgroup', h, CGROUP_PARENT);
    try {
      if (existsSync(d)) rmdirSync(d);
    } catch {
      /* another test's cgroup is still there */
    }
  }
}

export function sh(cmd: string, args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
}

export const inNetns = (netns: string, argv: string[]) => sh('nsenter', [`--net=${netns}`, '--', ...argv]);

/** Host-side veths on the bridge. */
export const bridgePorts = (bridge: string): string[] => sh('ip', ['-o', 'link', 'show', 'master', bridge]).out.split('\n').filter(Boolean);

export function ipamFiles(net: TestNetwork): string[] {
  const d = join(net.dataDir, net.name);
  return existsSync(d) ? readdirSync(d).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)) : [];
}

export function inRange(ip: string, net: TestNetwork): boolean {
  return ip.startsWith(net.subnet.replace(/0\/24$/, ''));
}

/** Super options of the mount at path ("rw,size=65536k,mode=1777"), or undefined. */
export function mountOptions(path: string): { fsType: string; superOptions: string } | undefined {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    if (left.split(' ')[4] !== path) continue;
    const [fsType = '', , superOptions = ''] = right.split(' ');
    return { fsType, superOptions };
  }
  return undefined;
}

export interface VerboseInfo {
  pid: number;
  netNamespacePath: string;
  ipcNamespacePath: string;
  utsNamespacePath: string;
  shmPath: string;
  files: { hostname: string; resolvConf: string; hosts: string };
  infraless: boolean;
}
