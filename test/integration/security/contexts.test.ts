// Security contexts through the CRI, on runc and on crun: one critterd for the file (with a
// [security] forbidden_host_paths entry), real images from a registry, pods on a throwaway CNI
// network. Each check is read from inside the container with ExecSync.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { status as Code, type ServiceError } from '@grpc/grpc-js';
import {
  NamespaceMode,
  SecurityProfile_ProfileType as Profile,
  SupplementalGroupsPolicy,
  type LinuxPodSandboxConfigSchema,
  type LinuxSandboxSecurityContextSchema,
  type PodSandboxConfigSchema,
} from '../../../src/gen/runtime/v1/api_pb.js';
import { newTestDir } from '../../harness/daemon.js';
import { podConfig, type PodOptions } from '../pod/sandbox-helpers.js';
import { HANDLERS, createCtr, ctrConfig, exec, runCtr, startCtrEnv, stopCtrEnv, type ContainerInit, type CtrEnv, type Handler } from '../container/helpers.js';

type PodInit = Exclude<MessageInitShape<typeof PodSandboxConfigSchema>, { $typeName: string }>;

const dir = newTestDir('critter-sec-');
const forbidden = join(dir, 'forbidden');
let env: CtrEnv;
before(async () => {
  mkdirSync(forbidden);
  env = await startCtrEnv(dir, `[security]\nforbidden_host_paths = ["${forbidden}"]\n`);
});
after(async () => {
  await stopCtrEnv(env);
});

const rt = () => env.d.clients.runtime;
const SLEEP = ['sh', '-c', 'sleep 1000'];
// What the container's process 1 holds: `field` of /proc/1/status.
const STATUS = (field: string) => ['sh', '-c', `awk '/^${field}:/ {print $2}' /proc/1/status`];
// Options of the mount at `path` as /proc/self/mountinfo gives them, or "" when it is none.
const MOUNT_OPTS = (path: string) => ['sh', '-c', `awk '$5=="${path}" {print $6}' /proc/self/mountinfo`];

const DEFAULT_CAPS = '00000000a80425fb';
const NET_ADMIN = 1n << 12n;
const ownCapBnd = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!;

async function out(id: string, cmd: string[]): Promise<string> {
  const r = await exec(env, id, cmd);
  assert.equal(r.exitCode, 0, `${cmd.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** A pod of the handler, with its options and a last say on its config. */
async function pod(h: Handler, o: PodOptions = {}, edit?: (c: PodInit) => PodInit): Promise<string> {
  let config: PodInit = { ...(podConfig(o) as PodInit), logDirectory: join(env.logDir, randomBytes(4).toString('hex')) };
  if (edit) config = edit(config);
  const r = await rt().runPodSandbox({ config, runtimeHandler: h });
  env.net.podIds.add(r.podSandboxId);
  return r.podSandboxId;
}

type Init<T> = Exclude<T, { $typeName: string }>;
type PodLinux = Init<MessageInitShape<typeof LinuxPodSandboxConfigSchema>>;
type PodSc = Init<MessageInitShape<typeof LinuxSandboxSecurityContextSchema>>;

/** podConfig's pod with more of a security context (podConfig builds plain objects). */
function withSc(c: PodInit, sc: PodSc): PodInit {
  const linux = (c.linux ?? {}) as PodLinux;
  return { ...c, linux: { ...linux, securityContext: { ...((linux.securityContext ?? {}) as PodSc), ...sc } } };
}

/** A sleeping busybox container with the given security context. */
const ctr = (sc: NonNullable<ContainerInit['linux']>['securityContext'] = {}, o: Partial<ContainerInit> = {}): ContainerInit =>
  ctrConfig(env.images.busybox, { command: SLEEP, ...o, linux: { securityContext: sc } });

const rejected = (c: Code, re: RegExp) => (e: unknown) => {
  const err = e as ServiceError;
  assert.equal(err.code, c, err.message);
  assert.match(err.details, re);
  return true;
};

for (const h of HANDLERS) {
  void describe(`security contexts on ${h}`, () => {
    let main: string;
    before(async () => {
      main = await pod(h, { sysctls: { 'net.ipv4.ip_unprivileged_port_start': '80' } });
    });

    void test('default: the 14 capabilities, no seccomp, no no_new_privs, read-only /sys, pod sysctls', async () => {
      const id = await runCtr(env, main, ctr());
      assert.equal(await out(id, STATUS('CapEff')), DEFAULT_CAPS);
      assert.equal(await out(id, STATUS('CapBnd')), DEFAULT_CAPS);
      assert.equal(await out(id, STATUS('Seccomp')), '0');
      assert.equal(await out(id, STATUS('NoNewPrivs')), '0');
      assert.match(await out(id, MOUNT_OPTS('/sys')), /^ro,/);
      assert.equal(await out(id, ['cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start']), '80');
      // Unconfined: unshare(CLONE_NEWUSER) needs no capability.
      assert.equal((await exec(env, id, ['busybox', 'unshare', '-U', 'true'])).exitCode, 0);
      // Masked and read-only defaults.
      assert.equal(await out(id, ['sh', '-c', 'cat /proc/keys | wc -c']), '0');
      assert.match((await exec(env, id, ['sh', '-c', 'echo x > /proc/sys/kernel/domainname'])).stderr, /Read-only file system/);
    });

    void test('capabilities: add NET_ADMIN; drop ALL', async () => {
      const add = await runCtr(env, main, ctr({ capabilities: { addCapabilities: ['NET_ADMIN'], dropCapabilities: [], addAmbientCapabilities: [] } }));
      assert.equal(await out(add, STATUS('CapEff')), (BigInt(`0x${DEFAULT_CAPS}`) | NET_ADMIN).toString(16).padStart(16, '0'));
      assert.equal((await exec(env, add, ['ip', 'link', 'set', 'lo', 'mtu', '65535'])).exitCode, 0);
      const none = await runCtr(env, main, ctr({ capabilities: { addCapabilities: [], dropCapabilities: ['ALL'], addAmbientCapabilities: [] } }));
      assert.equal(await out(none, STATUS('CapEff')), '0000000000000000');
      assert.notEqual((await exec(env, none, ['chown', 'nobody', '/tmp'])).exitCode, 0);
    });

    void test('privileged (in a privileged pod): critterd bounding set, host devices, writable /sys, no seccomp even if asked', async () => {
      const priv = await pod(h, {}, (c) => withSc(c, { privileged: true }));
      const id = await runCtr(env, priv, ctr({ privileged: true, seccomp: { profileType: Profile.RuntimeDefault, localhostRef: '' } }));
      assert.equal(await out(id, STATUS('CapEff')), ownCapBnd);
      assert.equal(await out(id, STATUS('Seccomp')), '0');
      assert.equal((await exec(env, id, ['test', '-c', '/dev/kmsg'])).exitCode, 0);
      assert.match(await out(id, MOUNT_OPTS('/sys')), /^rw,/);
      // A privileged container needs a privileged pod.
      await assert.rejects(createCtr(env, main, ctr({ privileged: true })), rejected(Code.INVALID_ARGUMENT, /privileged pod sandbox/));
    });

    void test('seccomp RuntimeDefault with no_new_privs: filter mode 2, unshare refused', async () => {
      const id = await runCtr(env, main, ctr({ noNewPrivs: true, seccomp: { profileType: Profile.RuntimeDefault, localhostRef: '' } }));
      assert.equal(await out(id, STATUS('Seccomp')), '2');
      assert.equal(await out(id, STATUS('NoNewPrivs')), '1');
      const r = await exec(env, id, ['busybox', 'unshare', '-U', 'true']);
      assert.notEqual(r.exitCode, 0);
      assert.match(r.stderr, /Operation not permitted/);
    });

    void test('seccomp Localhost: a profile that refuses mkdir; a missing one is InvalidArgument', async () => {
      const profile = join(dir, `no-mkdir-${h}.json`);
      writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }));
      const id = await runCtr(env, main, ctr({ seccomp: { profileType: Profile.Localhost, localhostRef: profile } }));
      assert.equal(await out(id, STATUS('Seccomp')), '2');
      const r = await exec(env, id, ['mkdir', '/tmp/d']);
      assert.notEqual(r.exitCode, 0);
      assert.match(r.stderr, /Operation not permitted/);
      assert.equal((await exec(env, id, ['touch', '/tmp/f'])).exitCode, 0);
      const missing = join(dir, 'missing.json');
      await assert.rejects(
        createCtr(env, main, ctr({ seccomp: { profileType: Profile.Localhost, localhostRef: missing } })),
        rejected(Code.INVALID_ARGUMENT, new RegExp(missing.replace(/[.]/g, '\\.'))),
      );
    });

    void test('users: run_as_user with Merge and Strict supplemental groups, run_as_username, run_as_group alone refused', async () => {
      const ids = async (id: string) => ({ u: await out(id, ['id', '-u']), g: await out(id, ['id', '-g']), groups: new Set((await out(id, ['id', '-G'])).split(' ')) });
      const merge = await runCtr(env, main, ctr({ runAsUser: { value: 1000n }, supplementalGroups: [5000n] }));
      assert.deepEqual(await ids(merge), { u: '1000', g: '1000', groups: new Set(['1000', '10', '29', '44', '1001', '5000']) });
      const strict = await runCtr(env, main, ctr({ runAsUser: { value: 1000n }, supplementalGroups: [5000n], supplementalGroupsPolicy: SupplementalGroupsPolicy.Strict }));
      assert.deepEqual(await ids(strict), { u: '1000', g: '1000', groups: new Set(['1000', '5000']) });
      const named = await runCtr(env, main, ctr({ runAsUsername: 'critter', runAsGroup: { value: 1001n } }));
      assert.equal(await out(named, ['id', '-un']), 'critter');
      assert.equal(await out(named, ['id', '-g']), '1001');
      await assert.rejects(createCtr(env, main, ctr({ runAsGroup: { value: 1001n } })), rejected(Code.INVALID_ARGUMENT, /run_as_group/));
    });

    void test('read-only rootfs; custom masked and read-only paths replace the defaults', async () => {
      const ro = await runCtr(env, main, ctr({ readonlyRootfs: true }));
      assert.match((await exec(env, ro, ['touch', '/newfile'])).stderr, /Read-only file system/);
      assert.equal((await exec(env, ro, ['touch', '/dev/shm/ok'])).exitCode, 0);
      const custom = await runCtr(env, main, ctr({ maskedPaths: ['/proc/cpuinfo'], readonlyPaths: ['/tmp'] }));
      assert.equal(await out(custom, ['sh', '-c', 'cat /proc/cpuinfo | wc -c']), '0');
      assert.match((await exec(env, custom, ['touch', '/tmp/x'])).stderr, /Read-only file system/);
      assert.equal(await out(custom, MOUNT_OPTS('/proc/keys')), '', '/proc/keys is no longer masked');
      assert.equal(await out(custom, MOUNT_OPTS('/proc/sys')), '', '/proc/sys is no longer read-only');
    });

    void test('host network, IPC and PID namespaces', async () => {
      const host = await pod(h, { hostNetwork: true, hostIpc: true }, (c) =>
        withSc(c, { namespaceOptions: { network: NamespaceMode.NODE, ipc: NamespaceMode.NODE, pid: NamespaceMode.NODE } }),
      );
      const id = await runCtr(env, host, ctr());
      const inPod = await runCtr(env, main, ctr());
      for (const ns of ['net', 'ipc', 'pid']) {
        const mine = readlinkSync(`/proc/self/ns/${ns}`);
        assert.equal(await out(id, ['readlink', `/proc/self/ns/${ns}`]), mine, ns);
        assert.notEqual(await out(inPod, ['readlink', `/proc/self/ns/${ns}`]), mine, ns);
      }
    });

    void test('PID namespace: POD sees the pause process as PID 1, CONTAINER its own, TARGET the target container', async () => {
      const shared = await pod(h, { sharedPid: true });
      const cmd1 = async (id: string) => out(id, ['sh', '-c', "tr '\\0' ' ' < /proc/1/cmdline"]);
      const inPod = await runCtr(env, shared, ctr({}, { command: ['sleep', '1001'] }));
      assert.equal(await cmd1(inPod), '/pause');
      const own = await runCtr(env, shared, ctr({ namespaceOptions: { pid: NamespaceMode.CONTAINER } }, { command: ['sleep', '1002'] }));
      assert.equal(await cmd1(own), 'sleep 1002');
      const target = await runCtr(env, shared, ctr({ namespaceOptions: { pid: NamespaceMode.TARGET, targetId: own } }, { command: ['sleep', '1003'] }));
      assert.equal(await cmd1(target), 'sleep 1002');
      assert.match(await out(target, ['ps', '-o', 'args']), /sleep 1003/);
      assert.doesNotMatch(await out(own, ['ps', '-o', 'args']), /sleep 1001/);
    });

    void test('forbidden host paths: the configured list, --root, --state, through symlinks, devices; / stays allowed', async () => {
      const link = join(dir, `link-${h}`);
      symlinkSync(env.d.root, link);
      mkdirSync(join(forbidden, h), { recursive: true });
      spawnSync('mknod', [join(forbidden, h, 'null'), 'c', '1', '3']);
      const cases: [string, string][] = [
        [join(forbidden, h, 'missing'), forbidden],
        [forbidden, forbidden],
        [join(env.d.root, 'containers'), env.d.root],
        [env.d.state, env.d.state],
        [`${link}/sandboxes`, env.d.root],
      ];
      for (const [hostPath, under] of cases) {
        await assert.rejects(
          createCtr(env, main, ctr({}, { mounts: [{ containerPath: '/mnt', hostPath }] })),
          rejected(Code.INVALID_ARGUMENT, new RegExp(`host path ${hostPath}.*under ${under}.*\\[security\\] forbidden_host_paths`)),
        );
      }
      assert.equal(spawnSync('test', ['-e', join(forbidden, h, 'missing')]).status, 1, 'a refused missing path is not created');
      await assert.rejects(
        createCtr(env, main, ctr({}, { devices: [{ containerPath: '/dev/mynull', hostPath: join(forbidden, h, 'null'), permissions: 'rw' }] })),
        rejected(Code.INVALID_ARGUMENT, /forbidden_host_paths/),
      );
      const root = await runCtr(env, main, ctr({}, { mounts: [{ containerPath: '/host', hostPath: '/', readonly: true }] }));
      assert.equal(await out(root, ['test', '-d', `/host${env.d.root}`]), '');
    });

    void test('recursive read-only mounts: rro where the runtime reports it (runc here), a clear refusal where not (crun 1.8)', async () => {
      // A host folder with a tmpfs mounted inside it: plain read-only leaves the submount writable.
      const vol = join(dir, `rro-${h}`);
      mkdirSync(join(vol, 'sub'), { recursive: true });
      assert.equal(spawnSync('mount', ['-t', 'tmpfs', 'tmpfs', join(vol, 'sub')]).status, 0);
      try {
        const mount = { containerPath: '/vol', hostPath: vol, readonly: true, recursiveReadOnly: true };
        const features = (await rt().status({})).runtimeHandlers.find((x) => x.name === h)?.features;
        if (h === 'runc') {
          assert.equal(features?.recursiveReadOnlyMounts, true, 'Status says runc can');
          const id = await runCtr(env, main, ctr({}, { mounts: [mount] }));
          assert.notEqual((await exec(env, id, ['touch', '/vol/sub/x'])).exitCode, 0, 'the submount is read-only too');
          const plain = await runCtr(env, main, ctr({}, { mounts: [{ ...mount, recursiveReadOnly: false }] }));
          assert.equal((await exec(env, plain, ['touch', '/vol/sub/x'])).exitCode, 0, 'without rro the submount stays writable');
        } else {
          assert.equal(features?.recursiveReadOnlyMounts, false, 'Status claims nothing crun does not report');
          await assert.rejects(createCtr(env, main, ctr({}, { mounts: [mount] })), rejected(Code.INVALID_ARGUMENT, /recursive read-only/i));
        }
      } finally {
        spawnSync('umount', ['-l', join(vol, 'sub')]);
      }
    });

    void test('AppArmor and SELinux on a host without them: Localhost AppArmor refused, RuntimeDefault and SELinux options run', async () => {
      await assert.rejects(
        createCtr(env, main, ctr({ apparmor: { profileType: Profile.Localhost, localhostRef: 'critter-test' } })),
        rejected(Code.FAILED_PRECONDITION, /apparmor/i),
      );
      const id = await runCtr(
        env,
        main,
        ctr({ apparmor: { profileType: Profile.RuntimeDefault, localhostRef: '' }, selinuxOptions: { user: 'system_u', role: 'system_r', type: 'container_t', level: 's0:c1,c2' } }),
      );
      assert.equal(await out(id, ['echo', 'ok']), 'ok');
    });

    void test('user namespace options of a container: POD in a pod without one, CONTAINER and TARGET refused', async () => {
      const map = [{ containerId: 0, hostId: 100000, length: 65536 }];
      await assert.rejects(
        createCtr(env, main, ctr({ namespaceOptions: { usernsOptions: { mode: NamespaceMode.POD, uids: map, gids: map } } })),
        rejected(Code.INVALID_ARGUMENT, /user namespaces: .*runs in the host's/),
      );
      for (const mode of [NamespaceMode.CONTAINER, NamespaceMode.TARGET]) {
        await assert.rejects(
          createCtr(env, main, ctr({ namespaceOptions: { usernsOptions: { mode, uids: map, gids: map } } })),
          rejected(Code.INVALID_ARGUMENT, /user namespaces: mode (CONTAINER|TARGET) is not supported/),
        );
      }
    });
  });
}
