// Security contexts run for real: spec-built busybox containers under conmon, on runc and on
// crun, each reporting from inside what it got (capabilities, seccomp mode, no_new_privs,
// masks, namespaces, id maps). Setup and cleanup follow spec-run.test.ts.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { ContainerConfigSchema, SecurityProfile_ProfileType, NamespaceMode, type ContainerConfig } from '../../../src/gen/runtime/v1/api_pb.js';
import { buildSpec, probeHost, readOwnOomScoreAdj, type SandboxContext, type SpecInput } from '../../../src/oci/spec/index.js';
import { reportsUserNamespaces } from '../../../src/oci/security/userns.js';
import { CritterError } from '../../../src/util/errors.js';
import { makeRootfs } from '../../fixtures/bundle/make-bundle.js';
import { TEST_CGROUP_PARENT } from '../../fixtures/bundle/config.js';
import {
  HANDLERS,
  cgroupDirsOf,
  forceRemove,
  liveProcessesMentioning,
  makeEnv,
  mountsUnder,
  removeTestCgroupParents,
  skipReason,
  uniqueId,
  until,
  type Env,
} from './env.js';

const CRI_LINE = /^\S+ (stdout|stderr) ([PF]) (.*)$/;
type ConfigInit = Exclude<MessageInitShape<typeof ContainerConfigSchema>, ContainerConfig>;

function readOutput(logPath: string): Map<string, string> {
  let text = '';
  for (const line of readFileSync(logPath, 'utf8').split('\n')) {
    const m = CRI_LINE.exec(line);
    if (!m || m[1] !== 'stdout') continue;
    text += m[3] + (m[2] === 'F' ? '\n' : '');
  }
  const out = new Map<string, string>();
  for (const l of text.split('\n')) {
    const i = l.indexOf('=');
    if (i > 0) out.set(l.slice(0, i), l.slice(i + 1));
  }
  return out;
}

const status = (field: string): string => `echo "${field}=$(busybox awk '/^${field}:/ {print $2}' /proc/self/status)"`;
const PROBE = [
  status('CapEff'),
  status('CapBnd'),
  status('Seccomp'),
  status('NoNewPrivs'),
  // unshare(CLONE_NEWUSER) needs no capability, but RuntimeDefault refuses unshare without CAP_SYS_ADMIN.
  'if e=$(busybox unshare -U true 2>&1); then echo UNSHARE=ok; else echo "UNSHARE=$e"; fi',
  // /dev/shm: writable even with a read-only rootfs.
  'if e=$(busybox mkdir /dev/shm/newdir 2>&1); then echo MKDIR=ok; else echo "MKDIR=$e"; fi',
  'if echo x > /rootfs-file 2>/dev/null; then echo ROOT_WRITE=allowed; else echo ROOT_WRITE=refused; fi',
  // Masked files are /dev/null bind mounts; /proc/keys exists on every kernel (kcore may not).
  'echo "KEYS_MASKED=$(busybox grep -c " /proc/keys " /proc/self/mountinfo)"',
  'echo "TIMER_LIST_BYTES=$(busybox wc -c < /proc/timer_list)"',
  'echo "SYS=$(busybox awk \'$5 == "/sys" {print $6}\' /proc/self/mountinfo | busybox cut -d, -f1)"',
  'if [ -c /dev/kmsg ]; then echo KMSG=present; else echo KMSG=absent; fi',
  'echo "SHM_RMID=$(cat /proc/sys/kernel/shm_rmid_forced)"',
  'echo "NS_NET=$(busybox readlink /proc/self/ns/net)"',
  'echo "NS_IPC=$(busybox readlink /proc/self/ns/ipc)"',
  'echo "NS_PID=$(busybox readlink /proc/self/ns/pid)"',
  'echo "PID1=$(busybox tr "\\0" " " < /proc/1/cmdline)"',
  'echo "UID_MAP=$(busybox awk \'{print $1":"$2":"$3}\' /proc/self/uid_map)"',
  'echo "GID_MAP=$(busybox awk \'{print $1":"$2":"$3}\' /proc/self/gid_map)"',
  'echo "ID=$(id -u):$(id -g)"',
].join('; ');

/** A process holding fresh namespaces, as a pod sandbox's pause process would. */
async function holder(args: string[]): Promise<{ proc: ChildProcess; pid: number }> {
  const proc = spawn('/usr/bin/unshare', [...args, '/bin/sh', '-c', 'exec sleep 1000'], { stdio: 'ignore' });
  const pid = proc.pid!;
  // With --fork the namespaces' process is unshare's child; otherwise unshare itself execs.
  const target = await until(`the namespace holder under ${pid}`, () => {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep')) return pid;
      const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
      return kids.find((k) => readFileSync(`/proc/${k}/cmdline`, 'utf8').startsWith('sleep'));
    } catch {
      return undefined;
    }
  });
  return { proc, pid: target };
}

async function kill(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await gone;
}

for (const h of HANDLERS) {
  const skip = skipReason(h.path) ?? (existsSync('/usr/bin/unshare') ? undefined : 'unshare is not installed');
  void describe(`security contexts on ${h.name}`, { skip: skip ? `${h.name}: ${skip}` : false }, () => {
    let env: Env;
    let pod: { proc: ChildProcess; pid: number };
    const holders: ChildProcess[] = [];
    const live: { id: string; dir: string }[] = [];
    let profileDir: string;

    before(async () => {
      env = makeEnv(`security-${h.name}`, h.path);
      // The pod: its own UTS, IPC, network and (shared) PID namespace.
      pod = await holder(['--uts', '--ipc', '--net', '--pid', '--fork']);
      holders.push(pod.proc);
      profileDir = mkdtempSync(join(env.dir, 'profiles-'));
      writeFileSync(
        join(profileDir, 'no-mkdir.json'),
        JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] }),
      );
    });

    afterEach(async () => {
      const leaks: string[] = [];
      for (const { id, dir } of live.splice(0)) {
        await forceRemove(env, id);
        leaks.push(...cgroupDirsOf(id).map((d) => `cgroup ${d}`));
        leaks.push(...mountsUnder(dir).map((m) => `mount ${m}`));
        const procs = await until(`processes of ${id} to go`, () => {
          const p = liveProcessesMentioning(id);
          return p.length === 0 ? p : undefined;
        }, 5000).catch(() => liveProcessesMentioning(id));
        leaks.push(...procs.map((p) => `process ${p}`));
        rmSync(dir, { recursive: true, force: true });
      }
      assert.deepEqual(leaks, [], 'nothing of the container is left');
    });

    after(async () => {
      for (const p of holders) await kill(p);
      env?.dispose();
      removeTestCgroupParents();
    });

    const sandbox = (o: Partial<SandboxContext> = {}): SandboxContext => ({
      id: 'security-sandbox',
      hostname: 'security-sandbox',
      netnsPath: `/proc/${pod.pid}/ns/net`,
      ipcPath: `/proc/${pod.pid}/ns/ipc`,
      utsPath: `/proc/${pod.pid}/ns/uts`,
      pidNamespace: { mode: 'container' },
      cgroupParent: `/${TEST_CGROUP_PARENT}`,
      sysctls: {},
      privileged: false,
      ...o,
    });

    const specInput = async (id: string, rootfs: string, config: ConfigInit, sb: SandboxContext): Promise<SpecInput> => ({
      containerId: id,
      config: create(ContainerConfigSchema, { metadata: { name: id }, args: [PROBE], ...config }),
      image: { name: 'test/busybox', config: { Env: ['PATH=/bin'], Entrypoint: ['/bin/sh', '-c'] } },
      rootfs: { path: rootfs, readonly: false },
      sandbox: sb,
      cgroupDriver: 'cgroupfs',
      host: probeHost(),
      runtimeHandler: h.name,
      runtimeFeatures: {
        recursiveReadOnly: await env.driver.supportsRecursiveReadOnly(),
        idmappedMounts: await env.driver.supportsIdmappedMounts(),
        userNamespaces: reportsUserNamespaces(await env.driver.features()),
      },
      ownOomScoreAdj: readOwnOomScoreAdj(),
    });

    const run = async (prefix: string, config: ConfigInit, sb: SandboxContext = sandbox()): Promise<Map<string, string>> => {
      const id = uniqueId(`${h.name}-${prefix}`);
      const dir = mkdtempSync(join(env.dir, `sec-${prefix}-`));
      live.push({ id, dir });
      const rootfs = makeRootfs(dir);
      // A user-namespaced root has no rights over unmapped owners: the path must be searchable.
      chmodSync(env.dir, 0o755);
      chmodSync(dir, 0o755);
      const { spec } = buildSpec(await specInput(id, rootfs, config, sb));
      writeFileSync(join(dir, 'config.json'), JSON.stringify(spec, null, 2));
      const logPath = join(dir, 'container.log');
      const c = await env.monitor.create({ id, bundle: dir, logPath });
      await env.monitor.start(id);
      const exit = await env.monitor.waitExit(id, c.persistDir);
      assert.equal(exit.exitCode, 0, `container exited 0; output: ${readFileSync(logPath, 'utf8')}`);
      return readOutput(logPath);
    };

    void test('unconfined default: the 14 capabilities, no filter, masks, the pod namespaces, a sysctl', async () => {
      const out = await run('default', {}, sandbox({ sysctls: { 'kernel.shm_rmid_forced': '1' } }));
      assert.equal(out.get('CapEff'), '00000000a80425fb');
      assert.equal(out.get('CapBnd'), '00000000a80425fb');
      assert.equal(out.get('Seccomp'), '0');
      assert.equal(out.get('NoNewPrivs'), '0');
      assert.equal(out.get('UNSHARE'), 'ok', 'the probe call works without a filter');
      assert.equal(out.get('MKDIR'), 'ok');
      assert.equal(out.get('ROOT_WRITE'), 'allowed');
      assert.equal(out.get('KEYS_MASKED'), '1');
      assert.equal(out.get('TIMER_LIST_BYTES'), '0', '/proc/timer_list is masked (reads empty)');
      assert.equal(out.get('SYS'), 'ro');
      assert.equal(out.get('KMSG'), 'absent');
      assert.equal(out.get('SHM_RMID'), '1');
      assert.equal(out.get('NS_NET'), readlinkSync(`/proc/${pod.pid}/ns/net`));
      assert.equal(out.get('NS_IPC'), readlinkSync(`/proc/${pod.pid}/ns/ipc`));
      assert.notEqual(out.get('NS_PID'), readlinkSync(`/proc/${pod.pid}/ns/pid`), 'CONTAINER: a pid namespace of its own');
      assert.equal(out.get('UID_MAP'), '0:0:4294967295');
    });

    void test('RuntimeDefault seccomp, NET_ADMIN added, no_new_privs, read-only rootfs', async () => {
      const out = await run('restricted', {
        linux: {
          securityContext: {
            seccomp: { profileType: SecurityProfile_ProfileType.RuntimeDefault },
            capabilities: { addCapabilities: ['NET_ADMIN'] },
            noNewPrivs: true,
            readonlyRootfs: true,
          },
        },
      });
      assert.equal(out.get('Seccomp'), '2');
      assert.match(out.get('UNSHARE') ?? '', /Operation not permitted/, 'unshare is refused with EPERM');
      assert.equal(out.get('MKDIR'), 'ok', 'ordinary calls still work');
      assert.equal(out.get('CapEff'), '00000000a80435fb', 'the default 14 and CAP_NET_ADMIN (bit 12)');
      assert.equal(out.get('NoNewPrivs'), '1');
      assert.equal(out.get('ROOT_WRITE'), 'refused');
    });

    void test('a Localhost profile refusing mkdir; drop ALL and add CHOWN', async () => {
      const out = await run('localhost', {
        linux: {
          securityContext: {
            seccomp: { profileType: SecurityProfile_ProfileType.Localhost, localhostRef: join(profileDir, 'no-mkdir.json') },
            capabilities: { dropCapabilities: ['ALL'], addCapabilities: ['CHOWN'] },
          },
        },
      });
      assert.equal(out.get('Seccomp'), '2');
      assert.match(out.get('MKDIR') ?? '', /Operation not permitted/);
      assert.equal(out.get('UNSHARE'), 'ok', 'only what the profile refuses is refused');
      assert.equal(out.get('CapEff'), '0000000000000001');
      assert.equal(out.get('CapBnd'), '0000000000000001');
    });

    void test('a missing Localhost profile is InvalidArgument before anything runs', async () => {
      const missing = join(profileDir, 'absent.json');
      const input = await specInput('never-run', '/nonexistent-rootfs', {
        linux: { securityContext: { seccomp: { profileType: SecurityProfile_ProfileType.Localhost, localhostRef: missing } } },
      }, sandbox());
      assert.throws(() => buildSpec(input), (e: unknown) => e instanceof CritterError && e.kind === 'InvalidArgument' && e.message.includes(missing));
    });

    void test('privileged: every capability, no filter even if asked, /sys writable, host devices, nothing masked', async () => {
      // Every capability critterd (here: the test) has itself, which is all a runtime can grant.
      const all = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1];
      const out = await run('privileged', {
        linux: { securityContext: { privileged: true, seccomp: { profileType: SecurityProfile_ProfileType.RuntimeDefault } } },
      }, sandbox({ privileged: true }));
      assert.equal(out.get('CapEff'), all);
      assert.equal(out.get('CapBnd'), all);
      assert.equal(out.get('Seccomp'), '0');
      assert.equal(out.get('SYS'), 'rw');
      assert.equal(out.get('KMSG'), existsSync('/dev/kmsg') ? 'present' : 'absent');
      assert.equal(out.get('KEYS_MASKED'), '0');
      assert.notEqual(out.get('TIMER_LIST_BYTES'), '0');
    });

    void test("host network, IPC and PID: the host's namespaces", async () => {
      const out = await run('hostns', {}, sandbox({ netnsPath: undefined, ipcPath: undefined, pidNamespace: { mode: 'node' } }));
      assert.equal(out.get('NS_NET'), readlinkSync('/proc/self/ns/net'));
      assert.equal(out.get('NS_IPC'), readlinkSync('/proc/self/ns/ipc'));
      assert.equal(out.get('NS_PID'), readlinkSync('/proc/self/ns/pid'));
      assert.equal(out.get('PID1'), readFileSync('/proc/1/cmdline', 'utf8').replace(/\0/g, ' '));
    });

    void test("POD and TARGET pid modes: the pod's (or target's) pid namespace, its pid 1", async () => {
      const ns = readlinkSync(`/proc/${pod.pid}/ns/pid`);
      const out = await run('podpid', {}, sandbox({ pidNamespace: { mode: 'pod', infraPid: pod.pid } }));
      assert.equal(out.get('NS_PID'), ns);
      assert.equal(out.get('PID1'), 'sleep 1000 ');
      const target = await run('targetpid', {}, sandbox({ pidNamespace: { mode: 'target', targetPid: pod.pid } }));
      assert.equal(target.get('NS_PID'), ns);
    });

    void test('user namespace (mode POD): the pod user namespace and its id maps, from inside', async () => {
      const map = { hostId: 200000, containerId: 0, length: 65536 };
      const request: ConfigInit = { linux: { securityContext: { namespaceOptions: { usernsOptions: { mode: NamespaceMode.POD, uids: [map], gids: [map] } } } } };
      if (!reportsUserNamespaces(await env.driver.features())) {
        // crun 1.8.1 has no feature report (and would chown the host's /dev/null): refused up front.
        const input = await specInput('never-run', '/nonexistent-rootfs', request, sandbox());
        assert.throws(() => buildSpec(input), (e: unknown) => e instanceof CritterError && e.kind === 'FailedPrecondition' && /does not report/.test(e.message));
        return;
      }
      // The pod's namespaces are created inside its user namespace, as for a user-namespaced pod.
      const upod = await holder(['--user', '--uts', '--ipc', '--net']);
      holders.push(upod.proc);
      writeFileSync(`/proc/${upod.pid}/uid_map`, '0 200000 65536');
      writeFileSync(`/proc/${upod.pid}/gid_map`, '0 200000 65536');
      const out = await run(
        'userns',
        request,
        sandbox({
          netnsPath: `/proc/${upod.pid}/ns/net`,
          ipcPath: `/proc/${upod.pid}/ns/ipc`,
          utsPath: `/proc/${upod.pid}/ns/uts`,
          userNamespacePath: `/proc/${upod.pid}/ns/user`,
        }),
      );
      assert.equal(out.get('UID_MAP'), '0:200000:65536');
      assert.equal(out.get('GID_MAP'), '0:200000:65536');
      assert.equal(out.get('ID'), '0:0');
      assert.equal(out.get('NS_NET'), readlinkSync(`/proc/${upod.pid}/ns/net`));
      // Root in the namespace has the default capabilities, over the namespace only.
      assert.equal(out.get('CapEff'), '00000000a80425fb');
      assert.equal(statSync('/dev/null').uid, 0, "the host's /dev/null is left alone");
    });
  });
}
