// User namespace requests (KEP-127) through buildSpec: what is refused and why, and what a valid
// POD request puts into the spec.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { ContainerConfigSchema, NamespaceMode, type ContainerConfig } from '../../../src/gen/runtime/v1/api_pb.js';
import { buildSpec, type BuildResult, type SpecInput } from '../../../src/oci/spec/index.js';
import type { SecurityHost } from '../../../src/oci/security/lsm-host.js';
import { CritterError } from '../../../src/util/errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'critter-userns-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const rootfs = join(tmp, 'rootfs');
mkdirSync(join(rootfs, 'etc'), { recursive: true });
writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nbig:x:70000:70000::/:/bin/sh\n');
writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\nbig:x:70000:\n');
const vol = join(tmp, 'vol');
mkdirSync(vol);

type ConfigInit = Exclude<MessageInitShape<typeof ContainerConfigSchema>, ContainerConfig>;
const NO_LSM: SecurityHost = {
  arch: 'x64',
  kernelRelease: '6.1.0',
  apparmor: { enabled: false, loadedProfiles: () => [], loadDefault: () => false },
  selinux: { mode: 'disabled', processLabel: 'a:b:c:s0', fileLabel: 'a:b:c:s0' },
};
const MAP = { hostId: 100000, containerId: 0, length: 65536 };

function build(config: ConfigInit, o: { usernsPath?: string; idmap?: boolean; userns?: boolean } = {}): BuildResult {
  const input: SpecInput = {
    containerId: 'c1',
    config: create(ContainerConfigSchema, { metadata: { name: 'app' }, command: ['/bin/true'], ...config }),
    image: { config: {} },
    rootfs: { path: rootfs, readonly: false },
    sandbox: {
      id: 'sb',
      hostname: 'h',
      netnsPath: '/proc/100/ns/net',
      ipcPath: '/proc/100/ns/ipc',
      utsPath: '/proc/100/ns/uts',
      userNamespacePath: o.usernsPath,
      pidNamespace: { mode: 'container' },
      cgroupParent: '/p',
      sysctls: {},
      privileged: false,
    },
    cgroupDriver: 'cgroupfs',
    host: { cgroupVersion: 1, swapAvailable: true, hugetlbAvailable: true, capLastCap: 40 },
    runtimeHandler: 'runc',
    runtimeFeatures: { recursiveReadOnly: true, idmappedMounts: o.idmap ?? false, userNamespaces: o.userns ?? true },
    ownOomScoreAdj: 0,
    security: NO_LSM,
  };
  return buildSpec(input);
}
const userns = (u: object, extra: object = {}, sc: object = {}): ConfigInit => ({
  linux: { securityContext: { namespaceOptions: { usernsOptions: u, ...extra }, ...sc } },
});
const fails = (fn: () => unknown, kind: string, re: RegExp): void => {
  assert.throws(fn, (e: unknown) => e instanceof CritterError && e.kind === kind && re.test(e.message), String(re));
};

describe('user namespaces', () => {
  void test('POD with one uid and one gid mapping: a new user namespace with them', () => {
    const { spec } = build(userns({ mode: NamespaceMode.POD, uids: [MAP], gids: [MAP] }));
    assert.deepEqual(spec.linux.namespaces[0], { type: 'user' });
    assert.deepEqual(spec.linux.uidMappings, [{ containerID: 0, hostID: 100000, size: 65536 }]);
    assert.deepEqual(spec.linux.gidMappings, [{ containerID: 0, hostID: 100000, size: 65536 }]);
  });
  void test('POD joins the sandbox user namespace when it holds one', () => {
    const { spec } = build(userns({ mode: NamespaceMode.POD, uids: [MAP], gids: [MAP] }), { usernsPath: '/proc/100/ns/user' });
    assert.deepEqual(spec.linux.namespaces[0], { type: 'user', path: '/proc/100/ns/user' });
    assert.ok(spec.linux.uidMappings);
  });
  void test('a runtime that does not report user namespaces is not given one', () => {
    fails(() => build(userns({ mode: NamespaceMode.POD, uids: [MAP], gids: [MAP] }), { userns: false }), 'FailedPrecondition', /runtime handler "runc" does not report/);
  });
  void test('NODE (or unset): no user namespace; mappings with it are refused', () => {
    for (const c of [{}, userns({ mode: NamespaceMode.NODE })]) {
      const { spec } = build(c);
      assert.ok(!spec.linux.namespaces.some((n) => n.type === 'user'));
      assert.equal(spec.linux.uidMappings, undefined);
    }
    fails(() => build(userns({ mode: NamespaceMode.NODE, uids: [MAP] })), 'InvalidArgument', /mode NODE .* takes no uid\/gid mappings/);
    fails(() => build({}, { usernsPath: '/proc/1/ns/user' }), 'InvalidArgument', /runs in a user namespace of its own/);
  });
  void test('each invalid POD request has its own message', () => {
    const cases: [object, RegExp][] = [
      [{ mode: NamespaceMode.CONTAINER, uids: [MAP], gids: [MAP] }, /mode CONTAINER is not supported/],
      [{ mode: NamespaceMode.TARGET, uids: [MAP], gids: [MAP] }, /mode TARGET is not supported/],
      [{ mode: NamespaceMode.POD }, /user namespaces: mode POD needs exactly one uid mapping, got 0/],
      [{ mode: NamespaceMode.POD, uids: [MAP] }, /exactly one gid mapping, got 0/],
      [{ mode: NamespaceMode.POD, uids: [MAP, { ...MAP, containerId: 65536, hostId: 300000 }], gids: [MAP] }, /exactly one uid mapping, got 2/],
      [{ mode: NamespaceMode.POD, uids: [{ ...MAP, containerId: 1 }], gids: [MAP] }, /must map container uid 0 \(it starts at 1\)/],
      [{ mode: NamespaceMode.POD, uids: [MAP], gids: [{ ...MAP, length: 0 }] }, /gid mapping 0 has length 0/],
      [{ mode: NamespaceMode.POD, uids: [{ ...MAP, hostId: 4294967000 }], gids: [MAP] }, /runs past the largest uid/],
    ];
    for (const [u, re] of cases) fails(() => build(userns(u)), 'InvalidArgument', re);
  });
  void test('POD with host namespaces, or a user outside the mapping, is refused', () => {
    const ok = { mode: NamespaceMode.POD, uids: [MAP], gids: [MAP] };
    fails(() => build(userns(ok, { network: NamespaceMode.NODE })), 'InvalidArgument', /host's network namespace/);
    fails(() => build(userns(ok, { pid: NamespaceMode.NODE, ipc: NamespaceMode.NODE })), 'InvalidArgument', /host's pid, ipc namespace/);
    const small = { mode: NamespaceMode.POD, uids: [{ ...MAP, length: 1000 }], gids: [{ ...MAP, length: 1000 }] };
    fails(() => build(userns(small, {}, { runAsUser: { value: 70000n } })), 'InvalidArgument', /uid 70000 is outside the pod's uid mapping/);
    fails(() => build(userns(small, {}, { supplementalGroups: [5000n] })), 'InvalidArgument', /gid 5000 is outside/);
  });
  void test('idmapped mounts: placed when the runtime supports them, a clear error otherwise', () => {
    const ok = { mode: NamespaceMode.POD, uids: [MAP], gids: [MAP] };
    const idm = { hostId: 0, containerId: 0, length: 65536 };
    const cfg = { ...userns(ok), mounts: [{ containerPath: '/vol/', hostPath: vol, uidMappings: [idm], gidMappings: [idm] }] };
    const { spec } = build(cfg, { idmap: true });
    const m = spec.mounts.find((x) => x.destination === '/vol');
    assert.deepEqual(m?.uidMappings, [{ containerID: 0, hostID: 0, size: 65536 }]);
    assert.deepEqual(m?.gidMappings, [{ containerID: 0, hostID: 0, size: 65536 }]);
    fails(() => build(cfg), 'FailedPrecondition', /mount "\/vol\/" needs an idmapped mount, which runtime handler "runc" does not support here/);
    fails(() => build({ mounts: cfg.mounts }, { idmap: true }), 'InvalidArgument', /only for containers in a user namespace/);
    fails(() => build({ ...userns(ok), mounts: [{ containerPath: '/vol', hostPath: vol, uidMappings: [idm] }] }, { idmap: true }), 'InvalidArgument', /both uid and gid/);
  });
});
