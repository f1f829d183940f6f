// Conformance: the container security context as the process sees it (users and groups,
// read-only rootfs, privileged, capabilities, no_new_privs, host PID), checked against
// api.proto's LinuxContainerSecurityContext and what critest's "Security Context" specs look at.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { NamespaceMode } from '../../src/gen/runtime/v1/api_pb.js';
import { CGROUP_PARENT_FOR_CRITEST, createIn, ctrStatus, dropPod, exec, isGrpcError, runIn, runPod, shIn, sleeper, startEnv, stopEnv, type ContainerInit, type CtrEnv, type Pod } from './env.js';

let env: CtrEnv;
let pod: Pod;
before(async () => {
  env = await startEnv();
  pod = await runPod(env, { name: 'security' });
});
after(async () => {
  await stopEnv(env);
});

const rt = () => env.d.clients.runtime;
type SecurityContext = NonNullable<NonNullable<ContainerInit['linux']>['securityContext']>;
const withSc = (sc: SecurityContext, image = env.images.busybox): ContainerInit => sleeper(env, { image: { image, userSpecifiedImage: image }, linux: { securityContext: sc } });

/** The effective capability set of the container's processes, as a bigint mask. */
async function capEff(id: string): Promise<bigint> {
  const line = await shIn(env, id, 'grep CapEff /proc/self/status');
  return BigInt(`0x${line.split(/\s+/)[1]}`);
}
const bits = (mask: bigint): number => mask.toString(2).split('').filter((b) => b === '1').length;
const CAP_CHOWN = 0n;
const CAP_NET_ADMIN = 12n;
const CAP_SYS_ADMIN = 21n;
const has = (mask: bigint, cap: bigint): boolean => ((mask >> cap) & 1n) === 1n;

void test('run_as_user: the process runs as that uid (id -u) and ContainerStatus.user says so', async () => {
  const id = await runIn(env, pod, withSc({ runAsUser: { value: 1000n } }));
  assert.equal(await shIn(env, id, 'id -u'), '1000');
  assert.equal((await ctrStatus(env, id)).user?.linux?.uid, 1000n);
  await rt().removeContainer({ containerId: id });
  const nobody = await runIn(env, pod, withSc({ runAsUser: { value: 65534n } }));
  assert.equal(await shIn(env, nobody, 'id -u'), '65534');
  await rt().removeContainer({ containerId: nobody });
});

void test('run_as_user overrides the image\'s User', async () => {
  const id = await runIn(env, pod, withSc({ runAsUser: { value: 0n } }, env.images.uid));
  assert.equal(await shIn(env, id, 'id -u'), '0');
  await rt().removeContainer({ containerId: id });
  const fromImage = await runIn(env, pod, withSc({}, env.images.uid));
  assert.equal(await shIn(env, fromImage, 'id -u'), '1000', 'without run_as_user the image\'s User applies');
  await rt().removeContainer({ containerId: fromImage });
});

void test('run_as_username: resolved in the image\'s /etc/passwd; a user the image lacks MUST be an error', async () => {
  const id = await runIn(env, pod, withSc({ runAsUsername: 'critter' }));
  assert.equal(await shIn(env, id, 'id -un'), 'critter');
  assert.equal(await shIn(env, id, 'id -u'), '1000');
  await rt().removeContainer({ containerId: id });
  await assert.rejects(
    (async () => {
      const c = await createIn(env, pod, withSc({ runAsUsername: 'no-such-user' }));
      try {
        await rt().startContainer({ containerId: c });
      } finally {
        await rt().removeContainer({ containerId: c });
      }
    })(),
    isGrpcError,
  );
});

void test('run_as_group with run_as_user sets the primary gid; run_as_group without a user MUST be an error', async () => {
  const id = await runIn(env, pod, withSc({ runAsUser: { value: 1000n }, runAsGroup: { value: 1001n } }));
  assert.equal(await shIn(env, id, 'id -g'), '1001');
  assert.equal(await shIn(env, id, 'id -u'), '1000');
  await rt().removeContainer({ containerId: id });
  await assert.rejects(
    (async () => {
      const c = await createIn(env, pod, withSc({ runAsGroup: { value: 1001n } }));
      try {
        await rt().startContainer({ containerId: c });
      } finally {
        await rt().removeContainer({ containerId: c });
      }
    })(),
    isGrpcError,
  );
});

void test('supplemental_groups are among the process\'s groups (id -G)', async () => {
  const id = await runIn(env, pod, withSc({ runAsUser: { value: 1000n }, supplementalGroups: [1234n, 5678n] }));
  const groups = (await shIn(env, id, 'id -G')).split(/\s+/);
  assert.ok(groups.includes('1234') && groups.includes('5678'), groups.join(' '));
  await rt().removeContainer({ containerId: id });
});

void test('readonly_rootfs: writes to the root filesystem are refused', async () => {
  const id = await runIn(env, pod, withSc({ readonlyRootfs: true }));
  const r = await exec(env, id, ['sh', '-c', 'echo x > /file-in-rootfs']);
  assert.notEqual(r.exitCode, 0, 'writing to / must fail');
  assert.match(r.stderr, /read-only/i);
  await rt().removeContainer({ containerId: id });
  const rw = await runIn(env, pod, withSc({ readonlyRootfs: false }));
  assert.equal((await exec(env, rw, ['sh', '-c', 'echo x > /file-in-rootfs'])).exitCode, 0, 'a writable rootfs takes the write');
  await rt().removeContainer({ containerId: rw });
});

void test('privileged: all capabilities and a read-write /sys, where a default container has fewer and a read-only /sys', async () => {
  const privPod = await runPod(env, {}, { linux: { cgroupParent: CGROUP_PARENT_FOR_CRITEST, securityContext: { privileged: true } } });
  const priv = await runIn(env, privPod, withSc({ privileged: true }));
  const plain = await runIn(env, pod, withSc({}));
  const p = await capEff(priv);
  const n = await capEff(plain);
  assert.ok(bits(p) > bits(n), `privileged ${p.toString(16)} has more capabilities than ${n.toString(16)}`);
  assert.ok(has(p, CAP_SYS_ADMIN) && !has(n, CAP_SYS_ADMIN), 'CAP_SYS_ADMIN only when privileged');
  const sysOpts = async (id: string) => (await shIn(env, id, 'grep " /sys " /proc/mounts')).split(/\s+/)[3]!.split(',');
  assert.ok((await sysOpts(priv)).includes('rw'), 'privileged: sysfs is mounted rw');
  assert.ok((await sysOpts(plain)).includes('ro'), 'not privileged: sysfs is mounted ro');
  // All host devices are available to a privileged container.
  assert.notEqual((await exec(env, priv, ['sh', '-c', 'ls /dev | wc -l'])).stdout.trim(), (await exec(env, plain, ['sh', '-c', 'ls /dev | wc -l'])).stdout.trim());
  await rt().removeContainer({ containerId: plain });
  await dropPod(env, privPod.id);
});

void test('capabilities: add_capabilities adds, drop_capabilities drops (and the process feels it)', async () => {
  const id = await runIn(env, pod, withSc({ capabilities: { addCapabilities: ['NET_ADMIN'], dropCapabilities: ['CHOWN'] } }));
  const eff = await capEff(id);
  assert.ok(has(eff, CAP_NET_ADMIN), 'NET_ADMIN added');
  assert.ok(!has(eff, CAP_CHOWN), 'CHOWN dropped');
  assert.notEqual((await exec(env, id, ['sh', '-c', 'touch /tmp/f && chown 1000 /tmp/f'])).exitCode, 0, 'chown fails without CAP_CHOWN');
  assert.equal((await exec(env, id, ['ip', 'link', 'set', 'lo', 'mtu', '65000'])).exitCode, 0, 'NET_ADMIN lets it reconfigure a link');
  await rt().removeContainer({ containerId: id });
  const plain = await runIn(env, pod, withSc({}));
  assert.equal((await exec(env, plain, ['sh', '-c', 'touch /tmp/f && chown 1000 /tmp/f'])).exitCode, 0, 'root may chown by default');
  assert.notEqual((await exec(env, plain, ['ip', 'link', 'set', 'lo', 'mtu', '65001'])).exitCode, 0, 'no NET_ADMIN by default');
  await rt().removeContainer({ containerId: plain });
});

void test('no_new_privs sets the process\'s NoNewPrivs flag', async () => {
  const on = await runIn(env, pod, withSc({ noNewPrivs: true }));
  assert.equal(await shIn(env, on, 'grep NoNewPrivs /proc/self/status | tr -s "\\t " " "'), 'NoNewPrivs: 1');
  await rt().removeContainer({ containerId: on });
});

void test('namespace_options pid NODE: the container sees the node\'s processes; CONTAINER: its own command is PID 1', async () => {
  const hostPidPod = await runPod(env, {}, {
    linux: { cgroupParent: CGROUP_PARENT_FOR_CRITEST, securityContext: { namespaceOptions: { pid: NamespaceMode.NODE, network: NamespaceMode.POD, ipc: NamespaceMode.POD } } },
  });
  const host = await runIn(env, hostPidPod, withSc({ namespaceOptions: { pid: NamespaceMode.NODE, network: NamespaceMode.POD, ipc: NamespaceMode.POD } }));
  const daemonPid = env.d.process.pid!;
  assert.equal((await exec(env, host, ['test', '-d', `/proc/${daemonPid}`])).exitCode, 0, `critterd (pid ${daemonPid}) visible with host PID`);
  assert.equal(await shIn(env, host, 'cat /proc/1/comm'), readFileSync('/proc/1/comm', 'utf8').trim(), 'PID 1 is the node\'s init');
  const own = await runIn(env, pod, withSc({ namespaceOptions: { pid: NamespaceMode.CONTAINER } }));
  assert.match(await shIn(env, own, 'cat /proc/1/cmdline | tr "\\0" " "'), /^sh -c trap/, 'PID 1 is the container\'s own command');
  assert.notEqual((await exec(env, own, ['test', '-d', `/proc/${daemonPid}`])).exitCode, 0, 'the node\'s processes are hidden');
  await rt().removeContainer({ containerId: own });
  await dropPod(env, hostPidPod.id);
});
