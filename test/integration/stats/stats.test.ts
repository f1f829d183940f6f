// The four stats RPCs through a real critterd on runc and on crun: memory and CPU from the
// containers' cgroups (this host's layout, v1 or v2), the writable layer's usage, the filters,
// the pod's cgroup, processes and network counters, NOT_FOUND, and `critter stats`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { status as Code } from '@grpc/grpc-js';
import { CRITTER } from '../../harness/daemon.js';
import { podConfig, inNetns } from '../pod/sandbox-helpers.js';
import { parseNetDev } from '../../../src/stats/net-dev.js';
import { CGROUP_PARENT, HANDLERS, code, ctrConfig, exec, runCtr, startCtrEnv, stopCtrEnv, until, type CtrEnv, type Handler } from '../container/helpers.js';

let env: CtrEnv;
before(async () => {
  env = await startCtrEnv();
});
after(async () => {
  await stopCtrEnv(env);
});

const rt = () => env.d.clients.runtime;
const MiB = 1024n * 1024n;
const SLEEP = ['sh', '-c', 'sleep 1000'];

/** A pod with a cgroup parent of its own (below the tests' parent), so its usage is its own. */
async function runOwnPod(h: Handler, parent: string, labels: Record<string, string>): Promise<string> {
  const config = { ...podConfig({ labels }), logDirectory: join(env.logDir, randomBytes(4).toString('hex')) };
  (config.linux as { cgroupParent: string }).cgroupParent = parent;
  const r = await rt().runPodSandbox({ config, runtimeHandler: h });
  env.net.podIds.add(r.podSandboxId);
  return r.podSandboxId;
}

/** The pod's cgroup folders, once its containers are gone. */
function removeCgroupDirs(parent: string): void {
  for (const h of existsSync('/sys/fs/cgroup/cgroup.controllers') ? [''] : readdirSync('/sys/fs/cgroup')) {
    const d = join('/sys/fs/cgroup', h, parent);
    try {
      if (existsSync(d)) rmdirSync(d);
    } catch {
      /* still in use: stopCtrEnv reports what is left */
    }
  }
}

/** Any TCP attempt at the pod's address: packets in and out of its eth0. */
function poke(ip: string): Promise<void> {
  return new Promise((resolve) => {
    const s = connect({ host: ip, port: 9 });
    s.setTimeout(1000, () => s.destroy());
    s.on('error', () => resolve());
    s.on('close', () => resolve());
  });
}

for (const h of HANDLERS) {
  void describe(`stats on ${h}`, () => {
    const parent = `${CGROUP_PARENT}/stats-${h}-${randomBytes(3).toString('hex')}`;
    const tag = randomBytes(3).toString('hex');
    let pod: string;
    let hog: string;
    let spin: string;
    before(async () => {
      pod = await runOwnPod(h, parent, { suite: `stats-${tag}` });
      hog = await runCtr(env, pod, ctrConfig(env.images.busybox, { name: 'hog', labels: { role: 'hog' }, command: ['sh', '-c', 'head -c 40m /dev/zero > /dev/shm/fill; sleep 1000'] }));
      spin = await runCtr(env, pod, ctrConfig(env.images.busybox, { name: 'spin', labels: { role: 'spin' }, command: ['sh', '-c', 'while :; do :; done'] }));
    });
    after(async () => {
      await rt().stopPodSandbox({ podSandboxId: pod });
      await rt().removePodSandbox({ podSandboxId: pod });
      removeCgroupDirs(parent);
    });

    test('a container holding 40 MiB shows a working set and usage above that', async () => {
      const s = await until('the working set to pass 40 MiB', async () => {
        const st = (await rt().containerStats({ containerId: hog })).stats!;
        return (st.memory?.workingSetBytes?.value ?? 0n) > 40n * MiB ? st : undefined;
      });
      assert.equal(s.attributes?.id, hog);
      assert.equal(s.attributes?.metadata?.name, 'hog');
      assert.deepEqual(s.attributes?.labels, { role: 'hog' });
      assert.ok(s.memory!.usageBytes!.value >= s.memory!.workingSetBytes!.value);
      assert.ok(s.memory!.timestamp > 0n);
      assert.ok(s.cpu?.usageCoreNanoSeconds !== undefined);
    });

    test('a busy loop: CPU usage grows, and usage_nano_cores is there on the second call', async () => {
      const first = (await rt().containerStats({ containerId: spin })).stats!;
      await new Promise((r) => setTimeout(r, 700));
      const second = (await rt().containerStats({ containerId: spin })).stats!;
      const a = first.cpu!.usageCoreNanoSeconds!.value;
      const b = second.cpu!.usageCoreNanoSeconds!.value;
      assert.ok(b > a, `cpu usage grows: ${a} -> ${b}`);
      assert.ok((second.cpu?.usageNanoCores?.value ?? 0n) > 100_000_000n, `about a core: ${second.cpu?.usageNanoCores?.value}`);
      assert.ok(second.cpu!.timestamp > first.cpu!.timestamp);
    });

    test("the writable layer's used bytes and inodes grow with a file written in the container", async () => {
      const id = await runCtr(env, pod, ctrConfig(env.images.busybox, { name: 'writer', command: SLEEP }));
      const before = (await rt().containerStats({ containerId: id })).stats!.writableLayer!;
      assert.ok(before.fsId?.mountpoint.startsWith(env.d.root), before.fsId?.mountpoint);
      const r = await exec(env, id, ['sh', '-c', 'mkdir -p /data && head -c 8388608 /dev/zero > /data/blob && sync']);
      assert.equal(r.exitCode, 0, r.stderr);
      const later = (await rt().containerStats({ containerId: id })).stats!.writableLayer!;
      assert.ok(later.usedBytes!.value >= before.usedBytes!.value + 8n * MiB, `${before.usedBytes!.value} -> ${later.usedBytes!.value}`);
      assert.ok(later.inodesUsed!.value >= before.inodesUsed!.value + 2n);
      await rt().removeContainer({ containerId: id });
    });

    test('ListContainerStats filters by id (or prefix), pod and labels', async () => {
      const ids = async (filter: { id?: string; podSandboxId?: string; labelSelector?: Record<string, string> }) =>
        (await rt().listContainerStats({ filter })).stats.map((s) => s.attributes!.id).sort();
      assert.deepEqual(await ids({ id: hog }), [hog]);
      assert.deepEqual(await ids({ id: hog.slice(0, 12) }), [hog]);
      assert.deepEqual(await ids({ podSandboxId: pod }), [hog, spin].sort());
      assert.deepEqual(await ids({ podSandboxId: pod, labelSelector: { role: 'spin' } }), [spin]);
      assert.deepEqual(await ids({ labelSelector: { role: 'nobody' } }), []);
      const all = await ids({});
      assert.ok(all.includes(hog) && all.includes(spin));
    });

    test("PodSandboxStats: the pod's cgroup, processes, eth0 counters and its containers", async () => {
      const st = (await rt().podSandboxStatus({ podSandboxId: pod, verbose: true })).status!;
      const netns = (JSON.parse((await rt().podSandboxStatus({ podSandboxId: pod, verbose: true })).info.info!) as { netNamespacePath: string }).netNamespacePath;
      await poke(st.network!.ip);
      const s = (await rt().podSandboxStats({ podSandboxId: pod })).stats!;
      assert.equal(s.attributes?.id, pod);
      assert.equal(s.attributes?.labels.suite, `stats-${tag}`);
      const l = s.linux!;
      assert.ok((l.memory?.workingSetBytes?.value ?? 0n) > 40n * MiB, 'the pod holds its containers');
      assert.ok((l.cpu?.usageCoreNanoSeconds?.value ?? 0n) > 0n);
      assert.ok((l.process?.processCount?.value ?? 0n) >= 2n, `at least one per container: ${l.process?.processCount?.value}`);
      assert.deepEqual(l.containers.map((c) => c.attributes!.id).sort(), [hog, spin].sort());
      const eth0 = l.network?.defaultInterface;
      assert.equal(eth0?.name, 'eth0');
      assert.ok((eth0?.rxBytes?.value ?? 0n) > 0n && (eth0?.txBytes?.value ?? 0n) > 0n);
      assert.ok(l.network!.interfaces.every((i) => i.name !== 'lo'));
      const now = parseNetDev(inNetns(netns, ['cat', '/proc/net/dev']).out).find((i) => i.name === 'eth0')!;
      assert.ok(now.rxBytes >= eth0!.rxBytes!.value && now.txBytes >= eth0!.txBytes!.value, 'the same counters as inside the namespace');
      await new Promise((r) => setTimeout(r, 300));
      const again = (await rt().podSandboxStats({ podSandboxId: pod })).stats!.linux!;
      assert.ok((again.cpu?.usageNanoCores?.value ?? 0n) > 0n, 'the pod has a rate on the second call');
    });

    test('ListPodSandboxStats filters by id and labels', async () => {
      const ids = async (filter: { id?: string; labelSelector?: Record<string, string> }) => (await rt().listPodSandboxStats({ filter })).stats.map((s) => s.attributes!.id);
      assert.deepEqual(await ids({ id: pod }), [pod]);
      assert.deepEqual(await ids({ labelSelector: { suite: `stats-${tag}` } }), [pod]);
      assert.deepEqual(await ids({ labelSelector: { suite: 'none' } }), []);
      assert.ok((await ids({})).includes(pod));
    });

    test('critter stats prints the running containers in crictl columns', () => {
      const r = spawnSync(process.execPath, [CRITTER, '-r', env.d.socket, 'stats', '-p', pod], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.match(lines[0]!, /^CONTAINER\s+NAME\s+CPU %\s+MEM\s+DISK\s+INODES$/);
      const spinLine = lines.find((l) => l.startsWith(spin.slice(0, 13)));
      assert.ok(spinLine, r.stdout);
      const cols = spinLine.split(/\s{2,}/);
      assert.equal(cols[1], 'spin');
      assert.ok(Number(cols[2]) > 10, `a busy loop uses CPU: ${cols[2]}`);
      const hogLine = lines.find((l) => l.startsWith(hog.slice(0, 13)))!;
      assert.match(hogLine.split(/\s{2,}/)[3]!, /^\d+(\.\d+)?MB$/);
      const json = spawnSync(process.execPath, [CRITTER, '-r', env.d.socket, 'stats', '-o', 'json', hog], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(json.status, 0, json.stderr);
      const parsed = JSON.parse(json.stdout) as { stats: { attributes: { id: string } }[] };
      assert.deepEqual(parsed.stats.map((s) => s.attributes.id), [hog]);
    });
  });
}

test('missing ids are NOT_FOUND', async () => {
  await assert.rejects(rt().containerStats({ containerId: 'f'.repeat(64) }), code(Code.NOT_FOUND));
  await assert.rejects(rt().podSandboxStats({ podSandboxId: 'f'.repeat(64) }), code(Code.NOT_FOUND));
  await assert.rejects(rt().containerStats({ containerId: '' }), code(Code.INVALID_ARGUMENT));
});
