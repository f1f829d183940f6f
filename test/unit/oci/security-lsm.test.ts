// AppArmor and SELinux decisions for a container, against fake hosts: what is applied where the
// host has the module, what is skipped (or refused) where it has not.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { LinuxContainerSecurityContextSchema, SecurityProfile_ProfileType, SELinuxOptionSchema } from '../../../src/gen/runtime/v1/api_pb.js';
import { containerApparmor } from '../../../src/oci/security/apparmor.js';
import { defaultProfileText } from '../../../src/oci/security/apparmor-profile.js';
import { lsmSummary, parseLoadedProfiles, parseLxcContexts, type AppArmorHost, type SecurityHost, type SelinuxHost } from '../../../src/oci/security/lsm-host.js';
import { containerSelinux, podMcsLevel } from '../../../src/oci/security/selinux.js';
import { CritterError } from '../../../src/util/errors.js';

const sc = (o: object) => create(LinuxContainerSecurityContextSchema, o);
const aa = (enabled: boolean, loaded: string[], canLoad = false): AppArmorHost & { loads: number } => {
  const h = {
    enabled,
    loads: 0,
    loadedProfiles: () => [...loaded],
    loadDefault: () => {
      h.loads++;
      if (canLoad) loaded.push('critter-default');
      return canLoad;
    },
  };
  return h;
};
const fails = (fn: () => unknown, kind: string, re: RegExp): void => {
  assert.throws(fn, (e: unknown) => e instanceof CritterError && e.kind === kind && re.test(e.message));
};
const RD = { apparmor: { profileType: SecurityProfile_ProfileType.RuntimeDefault } };
const LOCAL = (ref: string) => ({ apparmor: { profileType: SecurityProfile_ProfileType.Localhost, localhostRef: ref } });

describe('AppArmor', () => {
  void test('on an AppArmor host: RuntimeDefault and unset load and use critter-default', () => {
    const host = aa(true, [], true);
    const w: string[] = [];
    assert.equal(containerApparmor(sc(RD), false, host, w), 'critter-default');
    assert.equal(containerApparmor(sc({}), false, host, w), 'critter-default');
    assert.equal(containerApparmor(sc({ apparmorProfile: 'runtime/default' }), false, host, w), 'critter-default');
    assert.equal(host.loads, 1, 'loaded once, then found loaded');
    assert.deepEqual(w, []);
  });
  void test('without apparmor_parser: a default another runtime loaded, else an error (or a warning when unset)', () => {
    assert.equal(containerApparmor(sc(RD), false, aa(true, ['docker-default']), []), 'docker-default');
    assert.equal(containerApparmor(sc(RD), false, aa(true, ['cri-containerd.apparmor.d', 'docker-default']), []), 'cri-containerd.apparmor.d');
    fails(() => containerApparmor(sc(RD), false, aa(true, []), []), 'FailedPrecondition', /apparmor_parser is not installed/);
    const w: string[] = [];
    assert.equal(containerApparmor(sc({}), false, aa(true, []), w), undefined);
    assert.match(w.join(), /runs without an AppArmor profile/);
  });
  void test('Localhost must be loaded; Unconfined is nothing; privileged gets no default', () => {
    const host = aa(true, ['my-profile', 'critter-default']);
    assert.equal(containerApparmor(sc(LOCAL('my-profile')), false, host, []), 'my-profile');
    assert.equal(containerApparmor(sc(LOCAL('localhost/my-profile')), false, host, []), 'my-profile');
    assert.equal(containerApparmor(sc({ apparmorProfile: 'localhost/my-profile' }), false, host, []), 'my-profile');
    fails(() => containerApparmor(sc(LOCAL('other')), false, host, []), 'FailedPrecondition', /"other" is not loaded/);
    assert.equal(containerApparmor(sc({ apparmor: { profileType: SecurityProfile_ProfileType.Unconfined } }), false, host, []), undefined);
    assert.equal(containerApparmor(sc(RD), true, host, []), undefined);
    assert.equal(containerApparmor(sc(LOCAL('my-profile')), true, host, []), 'my-profile', 'an explicit profile applies even when privileged');
  });
  void test('on a host without AppArmor: skipped, but a Localhost profile is refused (as containerd)', () => {
    const host = aa(false, []);
    const w: string[] = [];
    assert.equal(containerApparmor(sc({}), false, host, w), undefined);
    assert.deepEqual(w, []);
    assert.equal(containerApparmor(sc(RD), false, host, w), undefined);
    assert.match(w.join(), /not enabled on this host/);
    fails(() => containerApparmor(sc(LOCAL('my-profile')), false, host, []), 'FailedPrecondition', /"my-profile" was requested, but AppArmor is not enabled/);
    fails(() => containerApparmor(sc({ apparmorProfile: 'bogus' }), false, host, []), 'InvalidArgument', /expected "runtime\/default"/);
  });
  void test('the profile text and the securityfs list', () => {
    const t = defaultProfileText('critter-default', false);
    assert.match(t, /^profile critter-default flags=\(attach_disconnected,mediate_deleted\) \{/);
    assert.match(t, /deny mount,/);
    assert.doesNotMatch(t, /#include/);
    assert.match(defaultProfileText('critter-default', true), /#include <abstractions\/base>/);
    assert.deepEqual(parseLoadedProfiles('docker-default (enforce)\n/usr/bin/man (complain)\n\n'), ['docker-default', '/usr/bin/man']);
  });
});

describe('SELinux', () => {
  const on: SelinuxHost = { mode: 'enforcing', processLabel: 'system_u:system_r:container_t:s0', fileLabel: 'system_u:object_r:container_file_t:s0' };
  const opt = (o: object) => create(SELinuxOptionSchema, o);
  void test('labels from the options, the policy defaults filling the rest, the level shared by the pod', () => {
    const r = containerSelinux(opt({ type: 'spc_t', level: 's0:c1,c2' }), false, 'pod1', on, []);
    assert.deepEqual(r, { processLabel: 'system_u:system_r:spc_t:s0:c1,c2', mountLabel: 'system_u:object_r:container_file_t:s0:c1,c2' });
    const d = containerSelinux(undefined, false, 'pod1', on, []);
    assert.equal(d.processLabel, `system_u:system_r:container_t:${podMcsLevel('pod1')}`);
    assert.equal(containerSelinux(undefined, false, 'pod1', on, []).processLabel, d.processLabel, 'stable per pod');
    assert.notEqual(podMcsLevel('pod1'), podMcsLevel('pod2'));
    assert.match(podMcsLevel('x'), /^s0:c(\d+),c(\d+)$/);
  });
  void test('privileged, disabled hosts and bad options', () => {
    assert.deepEqual(containerSelinux(opt({ type: 'container_t' }), true, 'p', on, []), {});
    const w: string[] = [];
    assert.deepEqual(containerSelinux(opt({ type: 'container_t' }), false, 'p', { ...on, mode: 'disabled' }, w), {});
    assert.match(w.join(), /SELinux is disabled/);
    fails(() => containerSelinux(opt({ type: 'x t' }), false, 'p', on, []), 'InvalidArgument', /selinux_options.type/);
  });
  void test('lxc_contexts parsing and the Status summary', () => {
    assert.deepEqual(parseLxcContexts('process = "system_u:system_r:container_t:s0"\nfile = "system_u:object_r:container_file_t:s0"\n# c\n'), {
      process: 'system_u:system_r:container_t:s0',
      file: 'system_u:object_r:container_file_t:s0',
    });
    const host: SecurityHost = { arch: 'x64', kernelRelease: '6.1', apparmor: aa(false, []), selinux: { ...on, mode: 'disabled' } };
    assert.deepEqual(lsmSummary(host), { apparmor: 'not available on this host', selinux: 'disabled' });
  });
});
