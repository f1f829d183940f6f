// buildSpec's output run for real: a busybox container under conmon, on runc and on crun,
// checked from inside through its CRI log.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { ContainerConfigSchema, type ContainerConfig } from '../../../src/gen/runtime/v1/api_pb.js';
import { buildSpec, probeHost, readOwnOomScoreAdj, type SpecInput } from '../../../src/oci/spec/index.js';
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
const MEMORY_LIMIT = 64 * 1024 * 1024;

type ConfigInit = Exclude<MessageInitShape<typeof ContainerConfigSchema>, ContainerConfig>;

/** The container's stdout, reassembled from CRI log lines, as KEY=value pairs (one per line). */
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

for (const h of HANDLERS) {
  const skip = skipReason(h.path) ?? (existsSync('/usr/bin/unshare') ? undefined : 'unshare is not installed');
  void describe(`spec builder output on ${h.name}`, { skip: skip ? `${h.name}: ${skip}` : false }, () => {
    let env: Env;
    let sandboxProc: ChildProcess;
    let sandboxPid: number;
    const live: { id: string; dir: string }[] = [];

    before(async () => {
      env = makeEnv(`spec-${h.name}`, h.path);
      // The pod sandbox: a process holding its own UTS, IPC and network namespaces, named.
      sandboxProc = spawn('/usr/bin/unshare', ['--uts', '--ipc', '--net', '/bin/sh', '-c', 'hostname spec-sandbox && exec sleep 1000'], {
        stdio: 'ignore',
      });
      sandboxPid = sandboxProc.pid!;
      await until('the sandbox to name itself', () => {
        try {
          return readFileSync(`/proc/${sandboxPid}/cmdline`, 'utf8').startsWith('sleep');
        } catch {
          return false;
        }
      });
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
      if (sandboxProc && sandboxProc.exitCode === null) {
        const gone = new Promise((r) => sandboxProc.once('exit', r));
        sandboxProc.kill('SIGKILL');
        await gone;
      }
      env?.dispose();
      removeTestCgroupParents();
    });

    /** Builds the spec for `config` over a fresh busybox rootfs, runs it to its end, returns its output. */
    const run = async (prefix: string, config: ConfigInit): Promise<{ out: Map<string, string>; input: SpecInput; id: string }> => {
      const id = uniqueId(`${h.name}-${prefix}`);
      const dir = mkdtempSync(join(env.dir, `spec-${prefix}-`));
      live.push({ id, dir });
      const rootfs = makeRootfs(dir);
      writeFileSync(
        join(rootfs, 'etc', 'passwd'),
        'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n',
      );
      writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\nalice:x:1000:\nwheel:x:10:alice\nstaff:x:50:\n');
      mkdirSync(join(rootfs, 'work'));
      const data = join(dir, 'data');
      mkdirSync(data);
      writeFileSync(join(data, 'hello'), 'hi\n');

      const input: SpecInput = {
        containerId: id,
        config: create(ContainerConfigSchema, {
          metadata: { name: prefix },
          ...config,
          mounts: [{ containerPath: '/data', hostPath: data, readonly: true }],
        }),
        image: { name: 'test/busybox', config: { Env: ['PATH=/bin', 'FROM_IMAGE=image', 'OVERRIDDEN=image'], Entrypoint: ['/bin/sh', '-c'] } },
        rootfs: { path: rootfs, readonly: false },
        sandbox: {
          id: 'spec-sandbox',
          hostname: 'spec-sandbox',
          netnsPath: `/proc/${sandboxPid}/ns/net`,
          ipcPath: `/proc/${sandboxPid}/ns/ipc`,
          utsPath: `/proc/${sandboxPid}/ns/uts`,
          pidNamespace: { mode: 'container' },
          cgroupParent: `/${TEST_CGROUP_PARENT}`,
          sysctls: {},
          privileged: false,
        },
        cgroupDriver: 'cgroupfs',
        host: probeHost(),
        runtimeHandler: h.name,
        runtimeFeatures: { recursiveReadOnly: await env.driver.supportsRecursiveReadOnly() },
        ownOomScoreAdj: readOwnOomScoreAdj(),
      };
      const { spec } = buildSpec(input);
      writeFileSync(join(dir, 'config.json'), JSON.stringify(spec, null, 2));
      const logPath = join(dir, 'container.log');
      const c = await env.monitor.create({ id, bundle: dir, logPath });
      await env.monitor.start(id);
      const exit = await env.monitor.waitExit(id, c.persistDir);
      const out = readOutput(logPath);
      assert.equal(exit.exitCode, 0, `container exited 0; output: ${readFileSync(logPath, 'utf8')}`);
      return { out, input, id };
    };

    const PROBE = [
      'echo "ID=$(id)"',
      'echo "FROM_IMAGE=$FROM_IMAGE"',
      'echo "OVERRIDDEN=$OVERRIDDEN"',
      'echo "FROM_CRI=$FROM_CRI"',
      'echo "HOSTNAME_ENV=$HOSTNAME"',
      'echo "CWD=$(pwd)"',
      'echo "BIND_READ=$(cat /data/hello)"',
      'if echo x > /data/new 2>/dev/null; then echo BIND_WRITE=allowed; else echo BIND_WRITE=refused; fi',
      'if echo x > /rootfs-file 2>/dev/null; then echo ROOT_WRITE=allowed; else echo ROOT_WRITE=refused; fi',
      'echo "CAPEFF=$(busybox awk \'/^CapEff/ {print $2}\' /proc/self/status)"',
      'echo "CAPBND=$(busybox awk \'/^CapBnd/ {print $2}\' /proc/self/status)"',
      'echo "NNP=$(busybox awk \'/^NoNewPrivs/ {print $2}\' /proc/self/status)"',
      // /proc/kcore is masked by default, but not every kernel has it; /proc/timer_list then.
      'for f in /proc/kcore /proc/timer_list; do if [ -e $f ]; then echo "MASKED=$f"; echo "MASKED_BYTES=$(busybox wc -c < $f)"; break; fi; done',
      'echo "UTS=$(busybox hostname)"',
      'echo "MEMLIMIT=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)"',
    ].join('; ');

    void test('a non-root user with groups, merged env, cwd, read-only bind and rootfs, dropped capability, no_new_privs', async () => {
      const { out } = await run('user', {
        args: [PROBE],
        workingDir: '/work',
        envs: [
          { key: 'OVERRIDDEN', value: 'cri' },
          { key: 'FROM_CRI', value: 'cri' },
        ],
        linux: {
          securityContext: {
            runAsUser: { value: 1000n },
            supplementalGroups: [50n],
            readonlyRootfs: true,
            noNewPrivs: true,
            capabilities: { dropCapabilities: ['NET_RAW'] },
          },
        },
      });
      assert.equal(out.get('ID'), 'uid=1000(alice) gid=1000(alice) groups=10(wheel),50(staff),1000(alice)');
      assert.equal(out.get('FROM_IMAGE'), 'image');
      assert.equal(out.get('OVERRIDDEN'), 'cri');
      assert.equal(out.get('FROM_CRI'), 'cri');
      assert.equal(out.get('HOSTNAME_ENV'), 'spec-sandbox');
      assert.equal(out.get('CWD'), '/work');
      assert.equal(out.get('BIND_READ'), 'hi');
      assert.equal(out.get('BIND_WRITE'), 'refused');
      assert.equal(out.get('ROOT_WRITE'), 'refused');
      // The default 14 without CAP_NET_RAW (bit 13); a non-root process has none effective.
      assert.equal(out.get('CAPBND'), '00000000a80405fb');
      assert.equal(out.get('CAPEFF'), '0000000000000000');
      assert.equal(out.get('NNP'), '1');
    });

    void test('root: the default capabilities, a masked /proc/kcore, the sandbox hostname, the memory limit', async () => {
      const { out, id } = await run('root', {
        args: [PROBE],
        linux: { resources: { memoryLimitInBytes: BigInt(MEMORY_LIMIT), oomScoreAdj: 500n } },
      });
      assert.equal(out.get('ID'), 'uid=0(root) gid=0(root) groups=0(root)');
      assert.equal(out.get('CAPEFF'), '00000000a80425fb');
      assert.equal(out.get('CAPBND'), '00000000a80425fb');
      assert.equal(out.get('NNP'), '0');
      const masked = out.get('MASKED');
      assert.ok(masked === '/proc/kcore' || masked === '/proc/timer_list', `a masked file exists: ${masked}`);
      if (masked === '/proc/timer_list') assert.ok(readFileSync(masked).length > 0, 'it is not empty on the host');
      assert.equal(out.get('MASKED_BYTES'), '0', `${masked} reads empty`);
      assert.equal(out.get('UTS'), 'spec-sandbox');
      assert.equal(out.get('ROOT_WRITE'), 'allowed');
      assert.equal(out.get('BIND_WRITE'), 'refused');
      assert.equal(out.get('CWD'), '/');
      assert.equal(out.get('MEMLIMIT'), String(MEMORY_LIMIT));
      const hostFile = join('/sys/fs/cgroup/memory', TEST_CGROUP_PARENT, id, 'memory.limit_in_bytes');
      if (existsSync(hostFile)) assert.equal(readFileSync(hostFile, 'utf8').trim(), String(MEMORY_LIMIT));
    });
  });
}
