// User-namespaced pods (KEP-127) end to end through a real critterd: the pod's containers run in
// its user namespace with an idmapped rootfs and idmapped volumes that critter makes itself
// (src/container/idmap.ts), since neither runtime here can. The harness then checks that
// removing everything leaves no mount, process or cgroup behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { NamespaceMode, type PodSandboxConfigSchema } from '../../../src/gen/runtime/v1/api_pb.js';
import { newTestDir } from '../../harness/daemon.js';
import { mountsUnder } from '../../harness/leaks.js';
import { CGROUP_PARENT, ctrConfig, exec, runCtr, startCtrEnv, stopCtrEnv, type CtrEnv, type Handler } from '../container/helpers.js';
import { podConfig } from '../pod/sandbox-helpers.js';

type PodInit = Exclude<MessageInitShape<typeof PodSandboxConfigSchema>, { $typeName: string }>;
interface VerboseInfo {
  rootfs?: string;
  bundle?: string;
  runtimeSpec?: { mounts?: { destination: string; source: string; uidMappings?: unknown }[] };
}
const verbose = async (id: string): Promise<VerboseInfo> =>
  JSON.parse((await rt().containerStatus({ containerId: id, verbose: true })).info.info ?? '{}') as VerboseInfo;

const HOST_ROOT = 200000;
const MAP = [{ containerId: 0, hostId: HOST_ROOT, length: 65536 }];
const USERNS = { mode: NamespaceMode.POD, uids: MAP, gids: MAP };

let env: CtrEnv | undefined;
before(async () => {
  const dir = newTestDir('critter-userns-run-');
  // The pod's root (an unprivileged host uid) resolves the rootfs and volume paths in there.
  chmodSync(dir, 0o711);
  env = await startCtrEnv(dir);
});
after(async () => {
  await stopCtrEnv(env);
});
const e = (): CtrEnv => env!;
const rt = () => e().d.clients.runtime;

async function runUsernsPod(handler: Handler): Promise<string> {
  const c = podConfig() as PodInit;
  const config: PodInit = {
    ...c,
    logDirectory: join(e().logDir, randomBytes(4).toString('hex')),
    linux: {
      cgroupParent: CGROUP_PARENT,
      securityContext: { namespaceOptions: { network: NamespaceMode.POD, ipc: NamespaceMode.POD, pid: NamespaceMode.CONTAINER, usernsOptions: USERNS } },
    },
  };
  const r = await rt().runPodSandbox({ config, runtimeHandler: handler });
  e().net.podIds.add(r.podSandboxId);
  return r.podSandboxId;
}

/** The crun skip reason, when crun cannot be given user-namespaced pods here. */
async function crunSkip(): Promise<string | false> {
  const s = await rt().status({});
  const crun = s.runtimeHandlers.find((h) => h.name === 'crun');
  return crun?.features?.userNamespaces
    ? false
    : 'crun 1.8.1 reports no `features` (so no user namespaces) and chowns the host /dev/null to the namespace root: critter does not trust it with user-namespaced pods';
}

void describe('user-namespaced pods running', () => {
  for (const handler of ['runc', 'crun'] as const) {
    void test(`${handler}: the rootfs and a hostPath volume are idmapped into the pod's user namespace`, async (t) => {
      if (handler === 'crun') {
        const skip = await crunSkip();
        if (skip) {
          t.skip(skip);
          return;
        }
      }
      const vol = join(e().dir, `vol-${handler}`);
      mkdirSync(vol);
      writeFileSync(join(vol, 'from-host'), 'x');
      chownSync(join(vol, 'from-host'), 1234, 1234);
      const pod = await runUsernsPod(handler);
      const id = await runCtr(
        e(),
        pod,
        ctrConfig(e().images.busybox, {
          command: ['sleep', '3600'],
          mounts: [{ containerPath: '/vol', hostPath: vol }],
          linux: { securityContext: { namespaceOptions: { pid: NamespaceMode.CONTAINER, usernsOptions: USERNS } } },
        }),
      );
      const run = async (cmd: string[]): Promise<string> => {
        const r = await exec(e(), id, cmd);
        assert.equal(r.exitCode, 0, `${cmd.join(' ')}: ${r.stderr}`);
        return r.stdout.trim();
      };
      assert.equal((await run(['cat', '/proc/self/uid_map'])).split(/\s+/).join(' '), `0 ${HOST_ROOT} 65536`);
      assert.equal((await run(['cat', '/proc/self/gid_map'])).split(/\s+/).join(' '), `0 ${HOST_ROOT} 65536`);
      assert.equal(await run(['id', '-u']), '0');
      // The image's files are root's inside, not the overflow id's.
      assert.equal(await run(['stat', '-c', '%u:%g', '/bin/busybox']), '0:0');
      assert.equal(await run(['stat', '-c', '%u:%g', '/']), '0:0');
      // Root inside writes to the rootfs: the file lands in the writable layer as the pod's root.
      await run(['sh', '-c', 'echo hi > /written && mkdir -p /etc/new-dir && touch /etc/new-dir/f']);
      const info = await verbose(id);
      const rootfs = info.rootfs ?? '';
      assert.ok(rootfs !== '', 'verbose status names the rootfs');
      assert.equal(statSync(join(rootfs, 'written')).uid, HOST_ROOT);
      assert.equal(statSync(join(rootfs, 'etc', 'new-dir', 'f')).uid, HOST_ROOT);
      assert.equal(statSync(join(rootfs, 'bin', 'busybox')).uid, HOST_ROOT, 'the image files, seen from the host through the rootfs');
      // The volume is idmapped: the host's ids show through unchanged, and what root inside
      // writes is root's on the host (the namespace's shift undone, as KEP-127's idmapped volumes do).
      assert.equal(await run(['stat', '-c', '%u:%g', '/vol/from-host']), '1234:1234');
      await run(['sh', '-c', 'echo hi > /vol/from-ctr']);
      const written = statSync(join(vol, 'from-ctr'));
      assert.deepEqual([written.uid, written.gid], [0, 0]);
      // The spec points the runtime at the idmapped copy, not the host path.
      const m = info.runtimeSpec?.mounts?.find((x) => x.destination === '/vol');
      assert.match(m?.source ?? '', /\/mounts\/0$/);
      assert.equal(m?.uidMappings, undefined);

      // A container of a pod on the host's user namespace is unaffected.
      const hostPod = await rt().runPodSandbox({
        config: { ...podConfig(), logDirectory: join(e().logDir, randomBytes(4).toString('hex')) },
        runtimeHandler: handler,
      });
      e().net.podIds.add(hostPod.podSandboxId);
      const plain = await runCtr(e(), hostPod.podSandboxId, ctrConfig(e().images.busybox, { command: ['sleep', '3600'], mounts: [{ containerPath: '/vol', hostPath: vol }] }));
      const p = await exec(e(), plain, ['sh', '-c', 'cat /proc/self/uid_map; stat -c %u /vol/from-host /vol/from-ctr']);
      assert.equal(p.exitCode, 0, p.stderr);
      assert.deepEqual(p.stdout.trim().split(/\s+/), ['0', '0', '4294967295', '1234', '0']);
      const plainInfo = await verbose(plain);
      assert.ok(plainInfo.bundle && !existsSync(join(plainInfo.bundle, 'layers')) && !existsSync(join(plainInfo.bundle, 'mounts')));

      // Removal takes the idmapped mounts along.
      const bundle = info.bundle ?? '';
      assert.ok(mountsUnder(bundle).length >= 3, 'rootfs, layers and the volume are mounted');
      await rt().removeContainer({ containerId: id });
      assert.deepEqual(mountsUnder(bundle), []);
      assert.ok(!existsSync(bundle));
      for (const podId of [pod, hostPod.podSandboxId]) {
        await rt().stopPodSandbox({ podSandboxId: podId });
        await rt().removePodSandbox({ podSandboxId: podId });
      }
      // The volume's own files are intact.
      assert.deepEqual(readdirSync(vol).sort(), ['from-ctr', 'from-host']);
    });
  }

  void test('a container asking for mappings other than the pod\'s on a volume is refused, and leaves nothing', async () => {
    const pod = await runUsernsPod('runc');
    const vol = join(e().dir, 'vol-other');
    mkdirSync(vol);
    const other = [{ containerId: 0, hostId: 500000, length: 65536 }];
    await assert.rejects(
      runCtr(
        e(),
        pod,
        ctrConfig(e().images.busybox, {
          command: ['sleep', '3600'],
          mounts: [{ containerPath: '/vol', hostPath: vol, uidMappings: other, gidMappings: other }],
          linux: { securityContext: { namespaceOptions: { pid: NamespaceMode.CONTAINER, usernsOptions: USERNS } } },
        }),
      ),
      /pod's own mappings/,
    );
    assert.equal((await rt().listContainers({})).containers.filter((c) => c.podSandboxId === pod).length, 0);
    assert.deepEqual(mountsUnder(join(e().dir, 'state', 'containers')), []);
    await rt().stopPodSandbox({ podSandboxId: pod });
    await rt().removePodSandbox({ podSandboxId: pod });
  });
});
