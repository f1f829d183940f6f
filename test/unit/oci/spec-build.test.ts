// buildSpec: every rule of the CRI -> OCI translation, against a temp rootfs with passwd/group.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  ContainerConfigSchema,
  type ContainerConfig,
  MountPropagation,
  NamespaceMode,
  SupplementalGroupsPolicy,
} from '../../../src/gen/runtime/v1/api_pb.js';
import { buildSpec, cgroupsPathFor, DEFAULT_CAPABILITIES, DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from '../../../src/oci/spec/index.js';
import type { BuildResult, ImageConfig, SandboxContext, SpecInput } from '../../../src/oci/spec/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'critter-spec-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const rootfs = join(tmp, 'rootfs');
mkdirSync(join(rootfs, 'etc'), { recursive: true });
writeFileSync(
  join(rootfs, 'etc', 'passwd'),
  ['root:x:0:0:root:/root:/bin/sh', 'alice:x:1000:1000::/home/alice:/bin/sh', 'bob:x:1001:1001::/home/bob:/bin/sh', ''].join('\n'),
);
writeFileSync(
  join(rootfs, 'etc', 'group'),
  ['root:x:0:', 'alice:x:1000:', 'bob:x:1001:', 'wheel:x:10:alice,bob', 'video:x:44:alice', 'staff:x:50:', ''].join('\n'),
);

// The plain-object form of a ContainerConfig (not a message instance), so tests can spread it.
type ConfigInit = Exclude<MessageInitShape<typeof ContainerConfigSchema>, ContainerConfig>;

interface Opts {
  config?: ConfigInit;
  image?: ImageConfig;
  sandbox?: Partial<SandboxContext>;
  input?: Partial<Omit<SpecInput, 'config' | 'image' | 'sandbox'>>;
}

const SHARED_MOUNTINFO = [
  '22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
  '23 22 0:22 / /mnt/private rw,relatime - tmpfs tmpfs rw',
  '24 22 0:23 / /mnt/slave rw,relatime master:7 - tmpfs tmpfs rw',
  '25 22 0:24 / /mnt/with\\040space rw shared:9 - tmpfs tmpfs rw',
].join('\n');

function input(o: Opts = {}): SpecInput {
  return {
    containerId: 'c0ffee',
    config: create(ContainerConfigSchema, { metadata: { name: 'app' }, command: ['/bin/true'], ...o.config }),
    image: { name: 'docker.io/library/busybox:latest', config: o.image ?? {} },
    rootfs: { path: rootfs, readonly: false },
    sandbox: {
      id: 'sandbox1',
      hostname: 'pod-host',
      netnsPath: '/var/run/netns/cni-1',
      ipcPath: '/proc/100/ns/ipc',
      utsPath: '/proc/100/ns/uts',
      pidNamespace: { mode: 'pod', infraPid: 100 },
      cgroupParent: '/kubepods/besteffort/pod1',
      sysctls: {},
      privileged: false,
      ...o.sandbox,
    },
    cgroupDriver: 'cgroupfs',
    host: { cgroupVersion: 1, swapAvailable: true, hugetlbAvailable: true, capLastCap: 40 },
    runtimeHandler: 'runc',
    runtimeFeatures: { recursiveReadOnly: true },
    ownOomScoreAdj: -999,
    mountInfo: SHARED_MOUNTINFO,
    ...o.input,
  };
}

const build = (o: Opts = {}): BuildResult => buildSpec(input(o));
const fails = (o: Opts, kind: string, re: RegExp): void => {
  assert.throws(
    () => build(o),
    (e: { kind?: string; message?: string }) => {
      assert.equal(e.kind, kind, e.message);
      assert.match(e.message ?? '', re);
      return true;
    },
  );
};
const int64 = (v: number): { value: bigint } => ({ value: BigInt(v) });

describe('process args, env and cwd', () => {
  const image: ImageConfig = { Entrypoint: ['/entry'], Cmd: ['default-arg'] };
  void test('command replaces Entrypoint and drops Cmd', () => {
    assert.deepEqual(build({ config: { command: ['/cmd'] }, image }).spec.process.args, ['/cmd']);
    assert.deepEqual(build({ config: { command: ['/cmd'], args: ['a'] }, image }).spec.process.args, ['/cmd', 'a']);
  });
  void test('args alone follow the Entrypoint', () => {
    assert.deepEqual(build({ config: { command: [], args: ['x', 'y'] }, image }).spec.process.args, ['/entry', 'x', 'y']);
  });
  void test('neither: Entrypoint + Cmd; an Entrypoint of [""] is none', () => {
    assert.deepEqual(build({ config: { command: [] }, image }).spec.process.args, ['/entry', 'default-arg']);
    assert.deepEqual(build({ config: { command: [] }, image: { Entrypoint: [''], Cmd: ['sh'] } }).spec.process.args, ['sh']);
  });
  void test('nothing at all is "no command specified"', () => {
    fails({ config: { command: [] }, image: {} }, 'InvalidArgument', /no command specified/);
  });
  void test('env: defaults, image, request; by key, first position kept', () => {
    const env = build({
      image: { Env: ['PATH=/image/bin', 'A=image', 'B=image'] },
      config: { envs: [{ key: 'B', value: 'cri' }, { key: 'C', value: 'x=y' }] },
    }).spec.process.env;
    assert.deepEqual(env, ['PATH=/image/bin', 'HOSTNAME=pod-host', 'A=image', 'B=cri', 'C=x=y', 'HOME=/root']);
  });
  void test('env: PATH default when the image has none; HOME from passwd unless set', () => {
    const env = build({ config: { linux: { securityContext: { runAsUser: int64(1000) } } } }).spec.process.env;
    assert.ok(env.includes('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'));
    assert.ok(env.includes('HOME=/home/alice'));
    assert.ok(build({ config: { envs: [{ key: 'HOME', value: '/h' }] } }).spec.process.env.includes('HOME=/h'));
    assert.ok(build({ config: { linux: { securityContext: { runAsUser: int64(4242) } } } }).spec.process.env.includes('HOME=/'));
    fails({ config: { envs: [{ key: '', value: 'v' }] } }, 'InvalidArgument', /environment variable name/);
  });
  void test('cwd: request, else image, else /', () => {
    assert.equal(build({ config: { workingDir: '/w' }, image: { WorkingDir: '/i' } }).spec.process.cwd, '/w');
    assert.equal(build({ image: { WorkingDir: '/i' } }).spec.process.cwd, '/i');
    assert.equal(build().spec.process.cwd, '/');
    fails({ config: { workingDir: 'rel' } }, 'InvalidArgument', /not absolute/);
  });
  void test('terminal follows tty', () => {
    assert.equal(build({ config: { tty: true } }).spec.process.terminal, true);
    assert.equal(build().spec.process.terminal, false);
  });
});

describe('user and groups', () => {
  const sc = (s: NonNullable<NonNullable<ConfigInit['linux']>['securityContext']>): Opts => ({ config: { linux: { securityContext: s } } });
  void test('run_as_user resolves its gid and image groups (Merge, the default)', () => {
    const r = build(sc({ runAsUser: int64(1000), supplementalGroups: [BigInt(50), BigInt(10)] }));
    assert.deepEqual(r.resolvedUser, { uid: 1000, gid: 1000, additionalGids: [10, 44, 50, 1000] });
    assert.deepEqual(r.spec.process.user, { uid: 1000, gid: 1000, additionalGids: [10, 44, 50, 1000] });
  });
  void test('Strict: only the primary gid and the explicit groups', () => {
    const r = build(sc({ runAsUser: int64(1000), supplementalGroups: [BigInt(50)], supplementalGroupsPolicy: SupplementalGroupsPolicy.Strict }));
    assert.deepEqual(r.resolvedUser.additionalGids, [50, 1000]);
  });
  void test('run_as_group overrides the primary group', () => {
    assert.deepEqual(build(sc({ runAsUser: int64(1001), runAsGroup: int64(7) })).resolvedUser, { uid: 1001, gid: 7, additionalGids: [7, 10] });
  });
  void test('run_as_username wins over run_as_user and must exist', () => {
    assert.equal(build(sc({ runAsUsername: 'bob', runAsUser: int64(1000) })).resolvedUser.uid, 1001);
    fails(sc({ runAsUsername: 'mallory' }), 'InvalidArgument', /"mallory" is not in the image's \/etc\/passwd/);
  });
  void test('run_as_group without a user is refused', () => {
    fails(sc({ runAsGroup: int64(5) }), 'InvalidArgument', /run_as_group 5 is set without run_as_user/);
  });
  void test('a uid the image does not know runs with gid 0 unless one is given', () => {
    assert.deepEqual(build(sc({ runAsUser: int64(4242) })).resolvedUser, { uid: 4242, gid: 0, additionalGids: [0] });
    assert.deepEqual(build(sc({ runAsUser: int64(4242), runAsGroup: int64(4243) })).resolvedUser, { uid: 4242, gid: 4243, additionalGids: [4243] });
  });
  void test('the image User in each form', () => {
    const u = (User: string): BuildResult['resolvedUser'] => build({ image: { User } }).resolvedUser;
    assert.deepEqual(u('alice'), { uid: 1000, gid: 1000, additionalGids: [10, 44, 1000] });
    assert.deepEqual(u('1001'), { uid: 1001, gid: 1001, additionalGids: [10, 1001] });
    assert.deepEqual(u('1001:50'), { uid: 1001, gid: 50, additionalGids: [10, 50] });
    assert.deepEqual(u('alice:staff'), { uid: 1000, gid: 50, additionalGids: [10, 44, 50] });
    fails({ image: { User: 'ghost' } }, 'InvalidArgument', /"ghost" is not in/);
    fails({ image: { User: 'alice:ghosts' } }, 'InvalidArgument', /group "ghosts" is not in/);
  });
  void test('the security context wins over the image User; root by default', () => {
    assert.equal(build({ image: { User: 'alice' }, ...sc({ runAsUser: int64(1001) }) }).resolvedUser.uid, 1001);
    assert.deepEqual(build().resolvedUser, { uid: 0, gid: 0, additionalGids: [0] });
  });
  void test('ids out of range are refused', () => {
    fails(sc({ runAsUser: int64(-1) }), 'InvalidArgument', /out of range/);
    fails(sc({ runAsUser: int64(1), supplementalGroups: [BigInt(2 ** 32)] }), 'InvalidArgument', /out of range/);
  });
});

describe('mounts', () => {
  const host = (name: string): string => {
    const p = join(tmp, name);
    mkdirSync(p, { recursive: true });
    return p;
  };
  const find = (r: BuildResult, dest: string) => r.spec.mounts.find((m) => m.destination === dest);

  void test('the default filesystems', () => {
    const r = build();
    assert.deepEqual(
      r.spec.mounts.map((m) => [m.destination, m.type]),
      [
        ['/proc', 'proc'],
        ['/dev', 'tmpfs'],
        ['/dev/pts', 'devpts'],
        ['/dev/mqueue', 'mqueue'],
        ['/sys', 'sysfs'],
        ['/dev/shm', 'tmpfs'],
        ['/sys/fs/cgroup', 'cgroup'],
      ],
    );
    assert.ok(find(r, '/sys')?.options.includes('ro'));
    assert.ok(find(r, '/sys/fs/cgroup')?.options.includes('ro'));
  });
  void test('a bind mount: rbind, rprivate, rw or ro', () => {
    const src = host('data');
    const r = build({ config: { mounts: [{ containerPath: '/data', hostPath: src }, { containerPath: '/ro/', hostPath: src, readonly: true }] } });
    assert.deepEqual(find(r, '/data'), { destination: '/data', type: 'bind', source: src, options: ['rbind', 'rprivate', 'rw'] });
    assert.deepEqual(find(r, '/ro')?.options, ['rbind', 'rprivate', 'ro'], 'destination cleaned');
    assert.equal(r.spec.linux.rootfsPropagation, undefined);
  });
  void test('host-to-container: rslave, and the rootfs rslave; needs a shared or slave host mount', () => {
    const r = build({ config: { mounts: [{ containerPath: '/a', hostPath: host('h2c'), propagation: MountPropagation.PROPAGATION_HOST_TO_CONTAINER }] } });
    assert.deepEqual(find(r, '/a')?.options, ['rbind', 'rslave', 'rw']);
    assert.equal(r.spec.linux.rootfsPropagation, 'rslave');
    const slave = build({
      input: { mountInfo: SHARED_MOUNTINFO.replace('shared:1', '') },
      config: { mounts: [{ containerPath: '/a', hostPath: '/mnt/slave', propagation: MountPropagation.PROPAGATION_HOST_TO_CONTAINER }] },
    });
    assert.equal(slave.spec.linux.rootfsPropagation, 'rslave');
  });
  void test('bidirectional: rshared, rootfs rshared; a private host mount is a clear error', () => {
    const r = build({
      config: {
        mounts: [
          { containerPath: '/a', hostPath: host('h2c2'), propagation: MountPropagation.PROPAGATION_HOST_TO_CONTAINER },
          { containerPath: '/b', hostPath: host('bidi'), propagation: MountPropagation.PROPAGATION_BIDIRECTIONAL },
        ],
      },
    });
    assert.deepEqual(find(r, '/b')?.options, ['rbind', 'rshared', 'rw']);
    assert.equal(r.spec.linux.rootfsPropagation, 'rshared', 'shared wins over slave');
    fails(
      { config: { mounts: [{ containerPath: '/b', hostPath: '/mnt/private', propagation: MountPropagation.PROPAGATION_BIDIRECTIONAL }] } },
      'FailedPrecondition',
      /bidirectional propagation needs \/mnt\/private on a shared mount, but \/mnt\/private is not shared/,
    );
    fails(
      { config: { mounts: [{ containerPath: '/b', hostPath: '/mnt/slave', propagation: MountPropagation.PROPAGATION_BIDIRECTIONAL }] } },
      'FailedPrecondition',
      /not shared/,
    );
    fails(
      { config: { mounts: [{ containerPath: '/b', hostPath: '/mnt/private', propagation: MountPropagation.PROPAGATION_HOST_TO_CONTAINER }] } },
      'FailedPrecondition',
      /shared or slave mount/,
    );
  });
  void test('recursive read-only: rro, only with readonly, private propagation and a runtime that can', () => {
    const src = host('rro');
    const m = (o: object) => ({ config: { mounts: [{ containerPath: '/r', hostPath: src, recursiveReadOnly: true, ...o }] } });
    assert.deepEqual(find(build(m({ readonly: true })), '/r')?.options, ['rbind', 'rprivate', 'rro']);
    fails(m({ readonly: false }), 'InvalidArgument', /needs readonly/);
    fails(m({ readonly: true, propagation: MountPropagation.PROPAGATION_HOST_TO_CONTAINER }), 'InvalidArgument', /private propagation/);
    fails({ ...m({ readonly: true }), input: { runtimeFeatures: { recursiveReadOnly: false } } }, 'InvalidArgument', /handler "runc" does not support recursive read-only/);
  });
  void test('a symlinked host path is resolved; a missing one is created as a directory; a file works', () => {
    const target = host('target');
    symlinkSync(target, join(tmp, 'link'));
    const missing = join(tmp, 'missing', 'deep');
    const file = join(tmp, 'termination-log');
    writeFileSync(file, '');
    const r = build({
      config: {
        mounts: [
          { containerPath: '/l', hostPath: join(tmp, 'link') },
          { containerPath: '/m', hostPath: missing },
          { containerPath: '/dev/termination-log', hostPath: file },
        ],
      },
    });
    assert.equal(find(r, '/l')?.source, target);
    assert.ok(statSync(missing).isDirectory());
    assert.equal(find(r, '/dev/termination-log')?.source, file);
    assert.ok(statSync(file).isFile(), 'an existing file is left as is');
  });
  void test('sandbox files and /dev/shm, unless the request mounts them', () => {
    const files = Object.fromEntries(['hosts', 'resolv.conf', 'hostname'].map((n) => [n, join(tmp, `sb-${n}`)]));
    for (const f of Object.values(files)) writeFileSync(f, '');
    const shm = host('sb-shm');
    const sandbox = { hostsPath: files.hosts, resolvConfPath: files['resolv.conf'], hostnamePath: files.hostname, shmPath: shm };
    const r = build({ sandbox });
    assert.deepEqual(find(r, '/etc/hosts'), { destination: '/etc/hosts', type: 'bind', source: files.hosts, options: ['rbind', 'rprivate', 'rw'] });
    assert.equal(find(r, '/etc/resolv.conf')?.source, files['resolv.conf']);
    assert.equal(find(r, '/etc/hostname')?.source, files.hostname);
    assert.deepEqual(find(r, '/dev/shm'), { destination: '/dev/shm', type: 'bind', source: shm, options: ['rbind', 'rprivate', 'rw'] });
    assert.equal(r.spec.mounts.filter((m) => m.destination === '/dev/shm').length, 1, 'the default tmpfs is replaced');

    const mine = join(tmp, 'my-hosts');
    writeFileSync(mine, '');
    const own = build({ sandbox, config: { mounts: [{ containerPath: '/etc/hosts', hostPath: mine, readonly: true }] } });
    assert.equal(own.spec.mounts.filter((m) => m.destination === '/etc/hosts').length, 1);
    assert.equal(find(own, '/etc/hosts')?.source, mine);

    fails({ sandbox: { hostsPath: join(tmp, 'no-such-hosts') } }, 'FailedPrecondition', /sandbox \/etc\/hosts: cannot stat host path/);

    const ro = build({ sandbox, config: { linux: { securityContext: { readonlyRootfs: true } } } });
    assert.ok(find(ro, '/etc/hosts')?.options.includes('ro'), 'read-only with a read-only rootfs');
    assert.ok(find(ro, '/dev/shm')?.options.includes('rw'), '/dev/shm stays writable');
  });
  void test('request mounts override defaults; a /dev mount drops all of /dev/*; parents come first', () => {
    const src = host('over');
    const r = build({
      config: {
        mounts: [
          { containerPath: '/a/b/c', hostPath: src },
          { containerPath: '/proc', hostPath: src },
          { containerPath: '/a', hostPath: src },
          { containerPath: '/dev', hostPath: src },
        ],
      },
    });
    assert.deepEqual(
      r.spec.mounts.map((m) => `${m.destination}:${m.type}`),
      ['/sys:sysfs', '/sys/fs/cgroup:cgroup', '/proc:bind', '/a:bind', '/dev:bind', '/a/b/c:bind'],
    );
  });
  void test('bad mounts are refused', () => {
    fails({ config: { mounts: [{ containerPath: 'rel', hostPath: '/tmp' }] } }, 'InvalidArgument', /not absolute/);
    fails({ config: { mounts: [{ containerPath: '/x', hostPath: 'rel' }] } }, 'InvalidArgument', /host path "rel" is not absolute/);
    fails({ config: { mounts: [{ containerPath: '/x', hostPath: '/tmp' }, { containerPath: '/x/', hostPath: '/tmp' }] } }, 'InvalidArgument', /duplicate/);
    fails({ config: { mounts: [{ containerPath: '/x', hostPath: '/tmp', uidMappings: [{ hostId: 1, containerId: 0, length: 1 }] }] } }, 'InvalidArgument', /idmapped/);
  });
});

describe('devices', () => {
  void test('a host device is described from its node and allowed in the cgroup', () => {
    const r = build({ config: { devices: [{ hostPath: '/dev/null', containerPath: '/dev/mynull', permissions: 'rw' }] } });
    assert.deepEqual(r.spec.linux.devices, [{ path: '/dev/mynull', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 }]);
    assert.deepEqual(r.spec.linux.resources.devices, [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' },
    ]);
  });
  void test('permissions must be a subset of rwm; empty is rwm', () => {
    assert.equal(build({ config: { devices: [{ hostPath: '/dev/zero', containerPath: '/dev/zero', permissions: '' }] } }).spec.linux.resources.devices[1]?.access, 'rwm');
    fails({ config: { devices: [{ hostPath: '/dev/null', containerPath: '/dev/null', permissions: 'rx' }] } }, 'InvalidArgument', /subset of "rwm"/);
    fails({ config: { devices: [{ hostPath: '/dev/null', containerPath: '/dev/null', permissions: 'rr' }] } }, 'InvalidArgument', /subset/);
  });
  void test('missing devices and non-devices are refused', () => {
    fails({ config: { devices: [{ hostPath: '/dev/no-such-dev', containerPath: '/dev/x', permissions: 'r' }] } }, 'NotFound', /no such device/);
    fails({ config: { devices: [{ hostPath: '/etc/hostname', containerPath: '/dev/x', permissions: 'r' }] } }, 'InvalidArgument', /not a character or block device/);
  });
  void test('by default, every device is denied', () => {
    assert.deepEqual(build().spec.linux.resources.devices, [{ allow: false, access: 'rwm' }]);
    assert.deepEqual(build().spec.linux.devices, []);
  });
});

describe('privileged', () => {
  const priv: Opts = { config: { linux: { securityContext: { privileged: true } } }, sandbox: { privileged: true } };
  void test('all capabilities, all host devices, no masked or read-only paths, writable /sys and cgroup', () => {
    const r = build(priv);
    assert.equal(r.spec.process.capabilities.bounding.length, 41);
    assert.ok(r.spec.process.capabilities.effective.includes('CAP_SYS_ADMIN'));
    assert.ok(r.spec.linux.devices.some((d) => d.path === '/dev/null'));
    assert.ok(r.spec.linux.resources.devices.some((d) => d.allow && d.access === 'rwm' && d.type === undefined));
    assert.deepEqual(r.spec.linux.maskedPaths, []);
    assert.deepEqual(r.spec.linux.readonlyPaths, []);
    assert.ok(r.spec.mounts.find((m) => m.destination === '/sys')?.options.includes('rw'));
    assert.ok(r.spec.mounts.find((m) => m.destination === '/sys/fs/cgroup')?.options.includes('rw'));
  });
  void test('only in a privileged sandbox', () => {
    fails({ config: priv.config }, 'InvalidArgument', /privileged pod sandbox/);
  });
  void test('capabilities stop at what the kernel knows', () => {
    assert.equal(build({ ...priv, input: { host: { cgroupVersion: 1, swapAvailable: true, hugetlbAvailable: true, capLastCap: 37 } } }).spec.process.capabilities.bounding.length, 38);
  });
});

describe('capabilities, no_new_privs, masked paths, read-only rootfs', () => {
  const caps = (add: string[], drop: string[], ambient: string[] = []): Opts => ({
    config: { linux: { securityContext: { capabilities: { addCapabilities: add, dropCapabilities: drop, addAmbientCapabilities: ambient } } } },
  });
  void test('the default 14', () => {
    const c = build().spec.process.capabilities;
    assert.deepEqual(c.bounding, [...DEFAULT_CAPABILITIES]);
    assert.deepEqual(c.effective, c.bounding);
    assert.deepEqual(c.permitted, c.bounding);
    assert.equal(c.ambient, undefined);
    assert.equal(c.inheritable, undefined);
  });
  void test('add and drop, with or without CAP_, any case', () => {
    const c = build(caps(['NET_ADMIN', 'cap_sys_time'], ['CHOWN', 'CAP_KILL'])).spec.process.capabilities.effective;
    assert.ok(c.includes('CAP_NET_ADMIN') && c.includes('CAP_SYS_TIME'));
    assert.ok(!c.includes('CAP_CHOWN') && !c.includes('CAP_KILL'));
    assert.equal(c.length, 14);
  });
  void test('ALL', () => {
    assert.equal(build(caps(['ALL'], [])).spec.process.capabilities.bounding.length, 41);
    assert.equal(build(caps(['ALL'], ['SYS_ADMIN'])).spec.process.capabilities.bounding.includes('CAP_SYS_ADMIN'), false);
    assert.deepEqual(build(caps(['NET_RAW'], ['ALL'])).spec.process.capabilities.bounding, ['CAP_NET_RAW']);
    assert.deepEqual(build(caps([], ['all'])).spec.process.capabilities.bounding, []);
  });
  void test('ambient capabilities are inheritable too', () => {
    const c = build(caps([], [], ['NET_BIND_SERVICE'])).spec.process.capabilities;
    assert.deepEqual(c.ambient, ['CAP_NET_BIND_SERVICE']);
    assert.deepEqual(c.inheritable, ['CAP_NET_BIND_SERVICE']);
  });
  void test('unknown names are refused', () => {
    fails(caps(['NET_FLY'], []), 'InvalidArgument', /unknown capability "NET_FLY"/);
    fails(caps([], ['CAP_']), 'InvalidArgument', /unknown capability/);
  });
  void test('no_new_privs', () => {
    assert.equal(build({ config: { linux: { securityContext: { noNewPrivs: true } } } }).spec.process.noNewPrivileges, true);
    assert.equal(build().spec.process.noNewPrivileges, false);
  });
  void test('masked and read-only paths: defaults, or the request\'s when given', () => {
    assert.deepEqual(build().spec.linux.maskedPaths, [...DEFAULT_MASKED_PATHS]);
    assert.deepEqual(build().spec.linux.readonlyPaths, [...DEFAULT_READONLY_PATHS]);
    const r = build({ config: { linux: { securityContext: { maskedPaths: ['/proc/x'], readonlyPaths: ['/proc/y'] } } } });
    assert.deepEqual(r.spec.linux.maskedPaths, ['/proc/x']);
    assert.deepEqual(r.spec.linux.readonlyPaths, ['/proc/y']);
  });
  void test('read-only rootfs from the request or the caller', () => {
    assert.equal(build().spec.root.readonly, false);
    assert.equal(build({ config: { linux: { securityContext: { readonlyRootfs: true } } } }).spec.root.readonly, true);
    assert.equal(buildSpec({ ...input(), rootfs: { path: rootfs, readonly: true } }).spec.root.readonly, true);
    assert.equal(build().spec.root.path, rootfs);
  });
  void test('security hooks: no profile asked, none applied (the rules: test/unit/oci/security-*.test.ts)', () => {
    const r = build();
    assert.equal(r.spec.linux.seccomp, undefined);
    assert.equal(r.spec.process.selinuxLabel, undefined);
  });
});

describe('resources', () => {
  const res = (r: object, host?: Partial<SpecInput['host']>): BuildResult =>
    build({
      config: { linux: { resources: r } },
      input: { host: { cgroupVersion: 1, swapAvailable: true, hugetlbAvailable: true, capLastCap: 40, ...host } },
    });
  void test('cpu: shares, quota, period, cpuset; zero is unset', () => {
    const r = res({ cpuShares: 512n, cpuQuota: 50000n, cpuPeriod: 100000n, cpusetCpus: '0-1', cpusetMems: '0' });
    assert.deepEqual(r.spec.linux.resources.cpu, { shares: 512, quota: 50000, period: 100000, cpus: '0-1', mems: '0' });
    assert.equal(res({}).spec.linux.resources.cpu, undefined);
  });
  void test('memory: swap pinned to the limit, or as asked, when swap can be limited', () => {
    assert.deepEqual(res({ memoryLimitInBytes: 64n << 20n }).spec.linux.resources.memory, { limit: 64 << 20, swap: 64 << 20 });
    assert.deepEqual(res({ memoryLimitInBytes: 64n << 20n, memorySwapLimitInBytes: 128n << 20n }).spec.linux.resources.memory, { limit: 64 << 20, swap: 128 << 20 });
    assert.deepEqual(res({ memoryLimitInBytes: 64n << 20n }, { swapAvailable: false }).spec.linux.resources.memory, { limit: 64 << 20 });
    const w = res({ memoryLimitInBytes: 1n, memorySwapLimitInBytes: 2n }, { swapAvailable: false });
    assert.match(w.warnings.join(), /no swap accounting/);
  });
  void test('hugepages', () => {
    assert.deepEqual(res({ hugepageLimits: [{ pageSize: '2MB', limit: 4n << 20n }] }).spec.linux.resources.hugepageLimits, [{ pageSize: '2MB', limit: 4 << 20 }]);
    const none = res({ hugepageLimits: [{ pageSize: '2MB', limit: 1n }] }, { hugetlbAvailable: false });
    assert.equal(none.spec.linux.resources.hugepageLimits, undefined);
    assert.match(none.warnings.join(), /hugetlb/);
    assert.throws(() => res({ hugepageLimits: [{ pageSize: '2M', limit: 1n }] }), /page_size/);
  });
  void test('unified only on cgroup v2', () => {
    assert.deepEqual(res({ unified: { 'memory.high': '1000' } }, { cgroupVersion: 2 }).spec.linux.resources.unified, { 'memory.high': '1000' });
    assert.throws(() => res({ unified: { 'memory.high': '1000' } }), (e: { kind?: string; message?: string }) => e.kind === 'InvalidArgument' && /cgroup v2/.test(e.message ?? ''));
  });
  void test('oom_score_adj never below critterd\'s own', () => {
    assert.equal(res({ oomScoreAdj: -1000n }).spec.process.oomScoreAdj, -999);
    assert.equal(res({ oomScoreAdj: 1000n }).spec.process.oomScoreAdj, 1000);
    assert.equal(res({ oomScoreAdj: 500n }, {}).spec.process.oomScoreAdj, 500);
    assert.throws(() => res({ oomScoreAdj: 1001n }), /outside -1000..1000/);
  });
  void test('values JSON cannot carry exactly are refused', () => {
    assert.throws(() => res({ memoryLimitInBytes: 1n << 60n }), /out of range/);
  });
});

describe('cgroups path, namespaces, hostname, sysctls, annotations', () => {
  void test('cgroupfs: below the pod cgroup; systemd: slice:critter:id', () => {
    assert.equal(build().spec.linux.cgroupsPath, '/kubepods/besteffort/pod1/c0ffee');
    assert.equal(
      build({ sandbox: { cgroupParent: 'kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice' }, input: { cgroupDriver: 'systemd' } }).spec.linux.cgroupsPath,
      'kubepods-besteffort-pod1.slice:critter:c0ffee',
    );
    assert.throws(() => cgroupsPathFor('systemd', '/kubepods/pod1', 'x'), /not a systemd slice/);
    assert.throws(() => cgroupsPathFor('cgroupfs', 'kubepods.slice', 'x'), /is a systemd slice/);
  });
  void test('pod namespaces joined by path; host ones absent; mount always new', () => {
    assert.deepEqual(build().spec.linux.namespaces, [
      { type: 'pid', path: '/proc/100/ns/pid' },
      { type: 'ipc', path: '/proc/100/ns/ipc' },
      { type: 'uts', path: '/proc/100/ns/uts' },
      { type: 'mount' },
      { type: 'network', path: '/var/run/netns/cni-1' },
    ]);
    const host = build({ sandbox: { netnsPath: undefined, ipcPath: undefined, utsPath: undefined, pidNamespace: { mode: 'node' } } });
    assert.deepEqual(host.spec.linux.namespaces, [{ type: 'mount' }]);
    assert.equal(host.spec.hostname, undefined, 'no hostname without a UTS namespace');
  });
  void test('pid namespace per mode', () => {
    const pid = (p: SandboxContext['pidNamespace']) => build({ sandbox: { pidNamespace: p } }).spec.linux.namespaces.find((n) => n.type === 'pid');
    assert.deepEqual(pid({ mode: 'target', targetPid: 321 }), { type: 'pid', path: '/proc/321/ns/pid' });
    assert.deepEqual(pid({ mode: 'container' }), { type: 'pid' });
    assert.equal(pid({ mode: 'node' }), undefined);
    fails({ sandbox: { pidNamespace: { mode: 'pod', infraPid: 0 } } }, 'InvalidArgument', /bad pid/);
  });
  void test('cgroup v2: a cgroup namespace of its own', () => {
    const ns = build({ input: { host: { cgroupVersion: 2, swapAvailable: true, hugetlbAvailable: true, capLastCap: 40 } } }).spec.linux.namespaces;
    assert.ok(ns.some((n) => n.type === 'cgroup' && n.path === undefined));
  });
  void test('user namespaces are refused, not ignored', () => {
    fails(
      { config: { linux: { securityContext: { namespaceOptions: { usernsOptions: { mode: NamespaceMode.POD } } } } } },
      'InvalidArgument',
      /user namespaces/,
    );
    build({ config: { linux: { securityContext: { namespaceOptions: { usernsOptions: { mode: NamespaceMode.NODE } } } } } });
  });
  void test('hostname and sysctls from the sandbox', () => {
    const r = build({ sandbox: { sysctls: { 'net.ipv4.ip_forward': '1' } } });
    assert.equal(r.spec.hostname, 'pod-host');
    assert.deepEqual(r.spec.linux.sysctl, { 'net.ipv4.ip_forward': '1' });
    assert.equal(build().spec.linux.sysctl, undefined);
  });
  void test('annotations name the container, sandbox and image', () => {
    assert.deepEqual(build({ sandbox: { name: 'p', namespace: 'ns', uid: 'u' } }).spec.annotations, {
      'io.kubernetes.cri.container-type': 'container',
      'io.kubernetes.cri.sandbox-id': 'sandbox1',
      'io.kubernetes.cri.container-name': 'app',
      'io.kubernetes.cri.image-name': 'docker.io/library/busybox:latest',
      'io.kubernetes.cri.sandbox-name': 'p',
      'io.kubernetes.cri.sandbox-namespace': 'ns',
      'io.kubernetes.cri.sandbox-uid': 'u',
    });
  });
  void test('the spec is plain JSON', () => {
    const r = build({ config: { linux: { resources: { memoryLimitInBytes: 1n << 30n, cpuShares: 2n } } } });
    assert.deepEqual(JSON.parse(JSON.stringify(r.spec)), r.spec);
    assert.equal(r.spec.ociVersion, '1.0.2');
  });
});

