// The daemon's own security and the pod-level checks that need no image: the CRI socket's
// permissions, Status' LSM notes and per-handler features, and user-namespaced pods (KEP-127)
// at RunPodSandbox, through one real critterd. Then the sandbox's user namespace files
// themselves, made directly. Such pods running end to end: userns-run.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { status as Code, type ServiceError } from '@grpc/grpc-js';
import { NamespaceMode, type PodSandboxConfigSchema } from '../../../src/gen/runtime/v1/api_pb.js';
import { lsmSummary, securityHost } from '../../../src/oci/security/lsm-host.js';
import {
  createNamespaceFile,
  createUserOwnedNamespaces,
  releaseNamespaceDir,
  removeNamespaceFile,
} from '../../../src/pod/netns/namespace-file.js';
import { mountsUnder } from '../../harness/leaks.js';
import { newTestDir } from '../../harness/daemon.js';
import { HANDLERS } from '../container/helpers.js';
import { CGROUP_PARENT, podConfig, startEnv, stopEnv, type Env } from '../pod/sandbox-helpers.js';

type PodInit = Exclude<MessageInitShape<typeof PodSandboxConfigSchema>, { $typeName: string }>;
type IdMap = { containerId: number; hostId: number; length: number };

let env: Env;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await stopEnv(env);
});

const rt = () => env.d.clients.runtime;
const MAP: IdMap[] = [{ containerId: 0, hostId: 100000, length: 65536 }];

/** A pod config whose namespace options carry the given user namespace options. */
function usernsPod(mode: NamespaceMode, uids: IdMap[], gids: IdMap[], o: { hostNetwork?: boolean } = {}): PodInit {
  const c = podConfig(o) as PodInit;
  const ns = {
    network: o.hostNetwork ? NamespaceMode.NODE : NamespaceMode.POD,
    pid: NamespaceMode.CONTAINER,
    ipc: NamespaceMode.POD,
    usernsOptions: { mode, uids, gids },
  };
  return { ...c, linux: { cgroupParent: CGROUP_PARENT, securityContext: { namespaceOptions: ns } } };
}

const rejected = (c: Code, re: RegExp) => (e: unknown) => {
  const err = e as ServiceError;
  assert.equal(err.code, c, err.message);
  assert.match(err.details, re);
  return true;
};

void describe('the daemon', () => {
  void test('the CRI socket is 0660 in a 0700 folder', () => {
    assert.ok(statSync(env.d.socket).isSocket());
    assert.equal(statSync(env.d.socket).mode & 0o777, 0o660);
    assert.equal(statSync(dirname(env.d.socket)).mode & 0o777, 0o700);
  });

  void test('Status: LSM notes and what each handler proves', async () => {
    const s = await rt().status({ verbose: true });
    const lsm = lsmSummary(securityHost());
    // Info values are JSON, as crictl and the kubelet read them.
    const note = (k: string): unknown => JSON.parse(s.info[k] ?? 'null');
    assert.equal(note('apparmor'), lsm.apparmor);
    assert.equal(note('selinux'), lsm.selinux);
    if (!securityHost().apparmor.enabled) assert.match(String(note('apparmor')), /not available/);
    const byName = new Map(s.runtimeHandlers.map((h) => [h.name, h.features]));
    for (const h of HANDLERS) assert.ok(byName.has(h), h);
    // runc 1.1.5 reports user namespaces and critter idmaps the filesystems itself (this kernel
    // can); crun 1.8.1 reports nothing, so it is not trusted with them.
    assert.equal(byName.get('runc')?.userNamespaces, true);
    assert.equal(byName.get('crun')?.userNamespaces, false);
  });
});

void describe('user-namespaced pods at RunPodSandbox', () => {
  const run = (config: PodInit, handler: string) => rt().runPodSandbox({ config, runtimeHandler: handler });

  void test('malformed requests are InvalidArgument', async () => {
    const two = [...MAP, { containerId: 65536, hostId: 300000, length: 10 }];
    await assert.rejects(run(usernsPod(NamespaceMode.POD, two, MAP), 'runc'), rejected(Code.INVALID_ARGUMENT, /exactly one uid mapping, got 2/));
    await assert.rejects(run(usernsPod(NamespaceMode.POD, MAP, []), 'runc'), rejected(Code.INVALID_ARGUMENT, /exactly one gid mapping, got 0/));
    const noRoot = [{ containerId: 1, hostId: 100000, length: 65536 }];
    await assert.rejects(run(usernsPod(NamespaceMode.POD, noRoot, MAP), 'runc'), rejected(Code.INVALID_ARGUMENT, /uid mapping .* must map container uid 0/));
    await assert.rejects(run(usernsPod(NamespaceMode.POD, MAP, [{ containerId: 0, hostId: 100000, length: 0 }]), 'runc'), rejected(Code.INVALID_ARGUMENT, /length 0/));
    for (const [mode, name] of [[NamespaceMode.CONTAINER, 'CONTAINER'], [NamespaceMode.TARGET, 'TARGET']] as const) {
      await assert.rejects(run(usernsPod(mode, MAP, MAP), 'runc'), rejected(Code.INVALID_ARGUMENT, new RegExp(`mode ${name} is not supported`)));
    }
    await assert.rejects(run(usernsPod(NamespaceMode.NODE, MAP, MAP), 'runc'), rejected(Code.INVALID_ARGUMENT, /mode NODE .* takes no uid\/gid mappings/));
    await assert.rejects(run(usernsPod(NamespaceMode.POD, MAP, MAP, { hostNetwork: true }), 'runc'), rejected(Code.INVALID_ARGUMENT, /host's network namespace/));
  });

  void test('a handler whose runtime reports no user namespaces is FailedPrecondition naming it; nothing is left', async () => {
    await assert.rejects(run(usernsPod(NamespaceMode.POD, MAP, MAP), 'crun'), rejected(Code.FAILED_PRECONDITION, /runtime handler crun does not report support for user namespaces/));
    assert.equal((await rt().listPodSandbox({})).items.length, 0);
    // The same pod without user namespace options runs.
    const r = await run(podConfig() as PodInit, 'runc');
    env.net.podIds.add(r.podSandboxId);
    await rt().removePodSandbox({ podSandboxId: r.podSandboxId });
  });
});

void describe("a pod's user namespace files", () => {
  void test('own the network, IPC and UTS namespaces, with the mappings asked for', async () => {
    const dir = newTestDir('critter-userns-');
    // The second nsenter opens the files as the namespace's root, an unprivileged host uid.
    chmodSync(dir, 0o711);
    const ns = join(dir, 'ns');
    const f = { user: join(ns, 'user'), net: join(ns, 'net'), ipc: join(ns, 'ipc'), uts: join(ns, 'uts') };
    const hostOwned = join(ns, 'host-net');
    const sh = (args: string[]) => spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
    try {
      await createUserOwnedNamespaces(f, { containerId: 0, hostId: 200000, length: 65536 }, { containerId: 0, hostId: 300000, length: 1000 });
      await createNamespaceFile('net', hostOwned);
      const inside = (file: string) => sh(['nsenter', `--user=${f.user}`, 'cat', file]).stdout.trim().split(/\s+/).join(' ');
      assert.equal(inside('/proc/self/uid_map'), '0 200000 65536');
      assert.equal(inside('/proc/self/gid_map'), '0 300000 1000');
      // A process inside the user namespace (root there, nobody on the host) may enter only the
      // namespaces it owns: the pod's, not a host-owned one (one nsenter would enter user last).
      const joined = sh(['nsenter', `--user=${f.user}`, '--', 'nsenter', `--net=${f.net}`, `--ipc=${f.ipc}`, `--uts=${f.uts}`, 'true']);
      assert.equal(joined.status, 0, joined.stderr);
      const refused = sh(['nsenter', `--user=${f.user}`, '--', 'nsenter', `--net=${hostOwned}`, 'true']);
      assert.notEqual(refused.status, 0, 'a host-owned netns cannot be joined');
      assert.match(refused.stderr, /Operation not permitted/);
    } finally {
      for (const p of [f.net, f.ipc, f.uts, f.user, hostOwned]) await removeNamespaceFile(p);
      await releaseNamespaceDir(ns);
      assert.deepEqual(mountsUnder(dir), []);
      spawnSync('rm', ['-rf', dir]);
    }
  });
});
