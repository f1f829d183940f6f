// critter's RuntimeDefault seccomp profile against the reference default (moby's
// profiles/seccomp/default.json, which containerd and CRI-O follow), compared in effect: what a
// given system call with given arguments gets, for containers with various capabilities. Also
// Localhost profile loading and which profile a request selects.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { LinuxContainerSecurityContextSchema, SecurityProfile_ProfileType } from '../../../src/gen/runtime/v1/api_pb.js';
import { DEFAULT_CAPABILITIES, KNOWN_CAPABILITIES } from '../../../src/oci/spec/index.js';
import type { OciSeccomp } from '../../../src/oci/spec/index.js';
import { runtimeDefaultSeccomp, type SeccompTarget } from '../../../src/oci/security/seccomp-default.js';
import { loadLocalhostSeccomp, parseSeccompProfile } from '../../../src/oci/security/seccomp-localhost.js';
import { containerSeccomp } from '../../../src/oci/security/seccomp.js';
import { CritterError } from '../../../src/util/errors.js';

/** What the filter does with one call: the first rule naming it whose arguments match, else the default. */
function verdict(p: OciSeccomp, name: string, args: number[] = []): string {
  for (const r of p.syscalls ?? []) {
    if (!r.names.includes(name)) continue;
    const ok = (r.args ?? []).every((a) => {
      const v = args[a.index] ?? 0;
      switch (a.op) {
        case 'SCMP_CMP_EQ':
          return v === a.value;
        case 'SCMP_CMP_NE':
          return v !== a.value;
        case 'SCMP_CMP_MASKED_EQ':
          return (Number(BigInt(v) & BigInt(a.value))) === (a.valueTwo ?? 0);
        default:
          throw new Error(`op ${a.op} not modelled`);
      }
    });
    if (ok) return r.action === 'SCMP_ACT_ERRNO' ? `errno ${r.errnoRet ?? p.defaultErrnoRet}` : 'allow';
  }
  return p.defaultAction === 'SCMP_ACT_ERRNO' ? `errno ${p.defaultErrnoRet}` : p.defaultAction;
}

const EPERM = 'errno 1';
const ENOSYS = 'errno 38';
const target = (caps: readonly string[] = DEFAULT_CAPABILITIES, arch = 'x64', kernelRelease = '6.1.0'): SeccompTarget => ({ capabilities: caps, arch, kernelRelease });
const withCap = (cap: string): SeccompTarget => target([...DEFAULT_CAPABILITIES, cap]);

const CLONE_NEWUSER = 0x10000000;
const CLONE_NEWNET = 0x40000000;
const SIGCHLD = 17;
const CLONE_THREAD_FLAGS = 0x3d0f00; // what pthread_create passes

// [call, args, expected with the default 14 capabilities]: facts of the reference profile.
const DEFAULT_CAPS_TABLE: [string, number[], string][] = [
  ['read', [], 'allow'],
  ['openat', [], 'allow'],
  ['mkdir', [], 'allow'],
  ['execve', [], 'allow'],
  ['io_uring_setup', [], 'allow'],
  ['name_to_handle_at', [], 'allow'],
  ['chroot', [], 'allow'], // CAP_SYS_CHROOT is a default capability
  ['ptrace', [], 'allow'], // kernels from 4.8 on
  ['process_vm_readv', [], 'allow'],
  ['arch_prctl', [], 'allow'],
  ['modify_ldt', [], 'allow'],
  ['socket', [2], 'allow'], // AF_INET
  ['socket', [1], 'allow'], // AF_UNIX
  ['socket', [40], EPERM], // AF_VSOCK
  ['personality', [0x0], 'allow'],
  ['personality', [0x8], 'allow'],
  ['personality', [0x20000], 'allow'],
  ['personality', [0x20008], 'allow'],
  ['personality', [0xffffffff], 'allow'],
  ['personality', [0x0040000], EPERM], // ADDR_NO_RANDOMIZE
  ['clone', [SIGCHLD], 'allow'],
  ['clone', [CLONE_THREAD_FLAGS], 'allow'],
  ['clone', [CLONE_NEWUSER | SIGCHLD], EPERM],
  ['clone', [CLONE_NEWNET], EPERM],
  ['clone3', [], ENOSYS],
  ['mount', [], EPERM],
  ['umount2', [], EPERM],
  ['unshare', [], EPERM],
  ['setns', [], EPERM],
  ['pivot_root', [], EPERM],
  ['swapon', [], EPERM],
  ['swapoff', [], EPERM],
  ['reboot', [], EPERM],
  ['kexec_load', [], EPERM],
  ['init_module', [], EPERM],
  ['finit_module', [], EPERM],
  ['delete_module', [], EPERM],
  ['keyctl', [], EPERM],
  ['add_key', [], EPERM],
  ['request_key', [], EPERM],
  ['bpf', [], EPERM],
  ['perf_event_open', [], EPERM],
  ['userfaultfd', [], EPERM],
  ['open_by_handle_at', [], EPERM],
  ['acct', [], EPERM],
  ['settimeofday', [], EPERM],
  ['clock_settime', [], EPERM],
  ['syslog', [], EPERM],
  ['vhangup', [], EPERM],
  ['iopl', [], EPERM],
  ['ioperm', [], EPERM],
  ['mbind', [], EPERM],
  ['set_mempolicy', [], EPERM],
  ['move_pages', [], EPERM],
  ['kcmp', [], EPERM],
  ['pidfd_getfd', [], EPERM],
  ['quotactl', [], EPERM],
  ['lookup_dcookie', [], EPERM],
  ['fsopen', [], EPERM],
  ['open_tree', [], EPERM],
  ['uselib', [], EPERM],
  ['nfsservctl', [], EPERM],
  ['_sysctl', [], EPERM],
];

// [capability, calls it unlocks]: the reference's capability-conditional groups.
const CAPABILITY_TABLE: [string, string[]][] = [
  ['CAP_SYS_ADMIN', ['mount', 'umount2', 'unshare', 'setns', 'sethostname', 'setdomainname', 'bpf', 'perf_event_open', 'fsopen', 'open_tree', 'quotactl', 'syslog', 'lookup_dcookie', 'fanotify_init', 'mount_setattr', 'clone3']],
  ['CAP_SYS_PTRACE', ['kcmp', 'pidfd_getfd', 'process_madvise']],
  ['CAP_SYS_MODULE', ['init_module', 'finit_module', 'delete_module']],
  ['CAP_SYS_BOOT', ['reboot']],
  ['CAP_SYSLOG', ['syslog']],
  ['CAP_SYS_TIME', ['settimeofday', 'stime', 'clock_settime', 'clock_settime64']],
  ['CAP_SYS_RAWIO', ['iopl', 'ioperm']],
  ['CAP_SYS_NICE', ['mbind', 'get_mempolicy', 'set_mempolicy', 'set_mempolicy_home_node']],
  ['CAP_SYS_PACCT', ['acct']],
  ['CAP_SYS_TTY_CONFIG', ['vhangup']],
  ['CAP_DAC_READ_SEARCH', ['open_by_handle_at']],
  ['CAP_BPF', ['bpf']],
  ['CAP_PERFMON', ['perf_event_open']],
];

describe('RuntimeDefault seccomp profile', () => {
  const p = runtimeDefaultSeccomp(target());

  void test('denies by default with EPERM, for x86_64 and its 32-bit and x32 ABIs', () => {
    assert.equal(p.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(p.defaultErrnoRet, 1);
    assert.deepEqual(p.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    assert.deepEqual(runtimeDefaultSeccomp(target(DEFAULT_CAPABILITIES, 'arm64')).architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  });

  void test('with the default capabilities: the reference verdict for each call', () => {
    const wrong = DEFAULT_CAPS_TABLE.filter(([n, a, want]) => verdict(p, n, a) !== want).map(([n, a, want]) => `${n}(${a.join(',')}): ${verdict(p, n, a)}, want ${want}`);
    assert.deepEqual(wrong, []);
  });

  for (const [cap, calls] of CAPABILITY_TABLE) {
    void test(`${cap} unlocks ${calls.join(', ')}`, () => {
      const base = runtimeDefaultSeccomp(target());
      const more = runtimeDefaultSeccomp(withCap(cap));
      for (const c of calls) {
        assert.equal(verdict(more, c), 'allow', `${c} with ${cap}`);
        // syslog has two gates (CAP_SYS_ADMIN, CAP_SYSLOG); the others are closed without theirs.
        assert.notEqual(verdict(base, c), 'allow', `${c} without ${cap}`);
      }
    });
  }

  void test('CAP_SYS_ADMIN lifts the clone flag check and lets clone3 through', () => {
    const admin = runtimeDefaultSeccomp(withCap('CAP_SYS_ADMIN'));
    assert.equal(verdict(admin, 'clone', [CLONE_NEWUSER | CLONE_NEWNET]), 'allow');
    assert.equal(verdict(admin, 'clone3'), 'allow');
    assert.ok(!admin.syscalls!.some((r) => r.names.includes('clone') && r.args), 'no argument-checked clone rule left');
  });

  void test('capabilities not in the bounding set never count, even if named elsewhere', () => {
    const none = runtimeDefaultSeccomp(target([]));
    assert.equal(verdict(none, 'chroot'), EPERM);
    assert.equal(verdict(none, 'read'), 'allow');
    const all = runtimeDefaultSeccomp(target(KNOWN_CAPABILITIES));
    for (const c of ['mount', 'reboot', 'init_module', 'ptrace', 'acct', 'iopl']) assert.equal(verdict(all, c), 'allow', c);
    // Still refused to everyone: no group unlocks them.
    for (const c of ['kexec_load', 'keyctl', 'add_key', 'userfaultfd', 'swapon', 'pivot_root']) assert.equal(verdict(all, c), EPERM, c);
  });

  void test('ptrace and process_vm_* need CAP_SYS_PTRACE on kernels before 4.8', () => {
    const old = runtimeDefaultSeccomp(target(DEFAULT_CAPABILITIES, 'x64', '4.4.0'));
    assert.equal(verdict(old, 'ptrace'), EPERM);
    assert.equal(verdict(runtimeDefaultSeccomp(target([...DEFAULT_CAPABILITIES, 'CAP_SYS_PTRACE'], 'x64', '4.4.0')), 'ptrace'), 'allow');
  });

  void test('architecture-specific calls and s390 clone argument order', () => {
    const arm = runtimeDefaultSeccomp(target(DEFAULT_CAPABILITIES, 'arm64'));
    assert.equal(verdict(arm, 'set_tls'), 'allow');
    assert.equal(verdict(arm, 'arch_prctl'), EPERM);
    assert.equal(verdict(p, 'set_tls'), EPERM);
    const s390 = runtimeDefaultSeccomp(target(DEFAULT_CAPABILITIES, 's390x'));
    assert.equal(verdict(s390, 'clone', [0, CLONE_NEWUSER]), EPERM);
    assert.equal(verdict(s390, 'clone', [CLONE_NEWUSER, 0]), 'allow');
  });

  void test('a call name appears in at most one unconditional rule', () => {
    const names = p.syscalls!.filter((r) => !r.args).flatMap((r) => r.names);
    assert.equal(new Set(names).size, names.length);
  });
});

describe('Localhost seccomp profiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'critter-seccomp-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, body: unknown): string => {
    const p = join(dir, name);
    writeFileSync(p, typeof body === 'string' ? body : JSON.stringify(body));
    return p;
  };
  const refused = (fn: () => unknown, re: RegExp): void => {
    assert.throws(fn, (e: unknown) => e instanceof CritterError && e.kind === 'InvalidArgument' && re.test(e.message));
  };

  void test('an OCI-format profile is taken as it is', () => {
    const p = loadLocalhostSeccomp(file('oci.json', { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] }), target());
    assert.deepEqual(p, { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] });
  });

  void test('a Docker-format profile: archMap, name, includes and excludes resolved for the container', () => {
    const text = JSON.stringify({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      archMap: [
        { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
        { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
      ],
      syscalls: [
        { name: 'read', action: 'SCMP_ACT_ALLOW' },
        { names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
        { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }], excludes: { caps: ['CAP_SYS_ADMIN'] } },
        { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64'] } },
        { names: ['ptrace'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '4.8' } },
      ],
    });
    const plain = parseSeccompProfile(text, target());
    assert.deepEqual(plain.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    assert.deepEqual(plain.syscalls!.map((r) => r.names[0]), ['read', 'clone', 'arch_prctl', 'ptrace']);
    const admin = parseSeccompProfile(text, withCap('CAP_SYS_ADMIN'));
    assert.deepEqual(admin.syscalls!.map((r) => r.names[0]), ['read', 'mount', 'arch_prctl', 'ptrace']);
    const armOld = parseSeccompProfile(text, target(DEFAULT_CAPABILITIES, 'arm64', '4.4'));
    assert.deepEqual(armOld.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    assert.deepEqual(armOld.syscalls!.map((r) => r.names[0]), ['read', 'clone']);
  });

  void test('missing, unreadable, not JSON, malformed: InvalidArgument naming the path', () => {
    refused(() => loadLocalhostSeccomp(join(dir, 'nope.json'), target()), /nope\.json does not exist/);
    refused(() => loadLocalhostSeccomp('relative/profile.json', target()), /absolute path/);
    refused(() => loadLocalhostSeccomp(dir, target()), new RegExp(`${dir} cannot be read`));
    refused(() => loadLocalhostSeccomp(file('bad.json', '{"defaultAction": '), target()), /bad\.json is invalid: not valid JSON/);
    refused(() => loadLocalhostSeccomp(file('act.json', { defaultAction: 'ALLOW' }), target()), /act\.json is invalid: defaultAction "ALLOW"/);
    refused(() => loadLocalhostSeccomp(file('op.json', { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ERRNO', args: [{ index: 9, value: 1, op: 'SCMP_CMP_EQ' }] }] }), target()), /syscalls\[0\]\.args\[0\]\.index/);
    refused(() => loadLocalhostSeccomp(file('noname.json', { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ action: 'SCMP_ACT_ERRNO' }] }), target()), /names no system call/);
    refused(() => loadLocalhostSeccomp(file('notify.json', { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock' }), target()), /notify agent/);
    if (process.getuid?.() !== 0) {
      const locked = file('locked.json', { defaultAction: 'SCMP_ACT_ALLOW' });
      chmodSync(locked, 0o000);
      refused(() => loadLocalhostSeccomp(locked, target()), /locked\.json cannot be read/);
    }
  });

  void test('request selection: field, deprecated path, privileged, unset', () => {
    const sc = (o: object) => create(LinuxContainerSecurityContextSchema, o);
    const profile = file('sel.json', { defaultAction: 'SCMP_ACT_LOG' });
    const pick = (o: object, privileged = false) => containerSeccomp(sc(o), privileged, target());
    assert.equal(pick({}), undefined, 'unset is unconfined (as containerd)');
    assert.equal(pick({ seccomp: { profileType: SecurityProfile_ProfileType.Unconfined } }), undefined);
    assert.equal(pick({ seccomp: { profileType: SecurityProfile_ProfileType.RuntimeDefault } })?.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(pick({ seccomp: { profileType: SecurityProfile_ProfileType.Localhost, localhostRef: profile } })?.defaultAction, 'SCMP_ACT_LOG');
    assert.equal(pick({ seccompProfilePath: 'runtime/default' })?.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(pick({ seccompProfilePath: 'docker/default' })?.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(pick({ seccompProfilePath: 'unconfined' }), undefined);
    assert.equal(pick({ seccompProfilePath: `localhost/${profile}` })?.defaultAction, 'SCMP_ACT_LOG');
    // The field wins over the deprecated path.
    assert.equal(pick({ seccomp: { profileType: SecurityProfile_ProfileType.Unconfined }, seccompProfilePath: 'runtime/default' }), undefined);
    assert.equal(pick({ seccomp: { profileType: SecurityProfile_ProfileType.RuntimeDefault } }, true), undefined, 'privileged: no filter');
    assert.equal(pick({ seccomp: { profileType: SecurityProfile_ProfileType.Localhost, localhostRef: join(dir, 'absent.json') } }, true), undefined);
    refused(() => pick({ seccomp: { profileType: SecurityProfile_ProfileType.Localhost, localhostRef: join(dir, 'absent.json') } }), /absent\.json does not exist/);
    refused(() => pick({ seccomp: { profileType: SecurityProfile_ProfileType.Localhost } }), /needs a localhost_ref/);
    refused(() => pick({ seccomp: { profileType: SecurityProfile_ProfileType.RuntimeDefault, localhostRef: profile } }), /only valid with profile type Localhost/);
    refused(() => pick({ seccompProfilePath: 'strict' }), /expected "runtime\/default"/);
  });
});
