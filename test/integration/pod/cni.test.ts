// The CNI adapter on the real plugins (bridge + host-local + portmap + loopback) in namespaces
// of our own, plus fake plugins that record what we send them. Every test removes what it made:
// namespaces, the bridge, veths, portmap rules and its temp folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import { CniManager } from '../../../src/pod/cni/manager.js';
import { createNamespaceFile, releaseNamespaceDir, removeNamespaceFile } from '../../../src/pod/netns/namespace-file.js';
import { bringLoopbackUp, runInNetns } from '../../../src/pod/netns/netns-exec.js';
import { isCritterError } from '../../../src/util/errors.js';
import { CNI_BIN_DIR, createTestNetwork, linkExists, natRules, type TestNetwork, type TestNetworkOptions } from '../../fixtures/cni/test-network.js';
import { mountsUnder, processesUnder } from '../../harness/leaks.js';
import { fetchGreeting, listenInPod } from '../../fixtures/cni/pod-listener.js';

interface Ctx {
  dir: string;
  net: TestNetwork;
  fakeBin: string;
  cacheDir: string;
  manager(extra?: { binDirs?: string[] }): CniManager;
  pod(): Promise<{ id: string; ns: string; ref: { name: string; namespace: string; uid: string } }>;
}

async function withNetwork(opts: TestNetworkOptions, fn: (c: Ctx) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'critter-cni-'));
  const net = createTestNetwork(dir, opts);
  const nsDir = join(dir, 'netns');
  const fakeBin = join(dir, 'bin');
  mkdirSync(fakeBin);
  const cacheDir = join(dir, 'cni', 'results');
  const namespaces: string[] = [];
  const ctx: Ctx = {
    dir,
    net,
    fakeBin,
    cacheDir,
    manager: (extra) => new CniManager({ confDir: net.confDir, binDirs: extra?.binDirs ?? [fakeBin, CNI_BIN_DIR], cacheDir }),
    async pod() {
      const id = randomBytes(16).toString('hex');
      const ns = join(nsDir, id);
      await createNamespaceFile('net', ns);
      namespaces.push(ns);
      await bringLoopbackUp(ns);
      net.podIds.add(id);
      return { id, ns, ref: { name: `pod-${id.slice(0, 6)}`, namespace: 'critter-test', uid: `uid-${id.slice(0, 8)}` } };
    },
  };
  try {
    await fn(ctx);
  } finally {
    for (const ns of namespaces) await removeNamespaceFile(ns);
    await releaseNamespaceDir(nsDir);
    net.teardown();
    const leftovers = { mounts: mountsUnder(dir), procs: processesUnder(dir), bridge: linkExists(net.bridge) };
    const nat = natRules();
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(leftovers, { mounts: [], procs: [], bridge: false }, 'nothing left behind');
    for (const id of net.podIds) assert.equal(nat.includes(id), false, `no nat rules left for pod ${id}`);
  }
}

/** Host-side veth names on the test bridge. */
function bridgePorts(bridge: string): Promise<string[]> {
  return new Promise((resolve) => {
    const p = spawn('ip', ['-o', 'link', 'show', 'master', bridge]);
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.on('close', () => resolve(out.split('\n').filter(Boolean).map((l) => l.split(': ')[1]!.split('@')[0]!)));
  });
}

const ipamFiles = (net: TestNetwork): string[] => {
  const d = join(net.dataDir, net.name);
  return existsSync(d) ? readdirSync(d).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)) : [];
};

function inRange(ip: string, net: TestNetwork): boolean {
  return ip.startsWith(net.subnet.replace(/0\/24$/, ''));
}


/** A fake plugin that records its stdin and CNI_* environment per call, then prints `output`. */
function writeRecorder(bin: string, name: string, records: string, output: string, exitCode = 0): void {
  mkdirSync(records, { recursive: true });
  const file = join(bin, name);
  writeFileSync(
    file,
    `#!/bin/sh
n=$(ls '${records}' | wc -l)
base='${records}'/$(printf %03d "$n")-"$CNI_COMMAND"-${name}
cat > "$base.stdin"
env | grep '^CNI_' | sort > "$base.env"
if [ "$CNI_COMMAND" = ADD ] || [ ${exitCode} -ne 0 ]; then printf '%s' '${output}'; fi
exit ${exitCode}
`,
  );
  chmodSync(file, 0o755);
}

function readRecords(records: string): { key: string; stdin: Record<string, unknown>; env: Record<string, string> }[] {
  return readdirSync(records)
    .filter((f) => f.endsWith('.stdin'))
    .sort()
    .map((f) => {
      const base = join(records, f.replace(/\.stdin$/, ''));
      const env = Object.fromEntries(
        readFileSync(`${base}.env`, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      return { key: f.replace(/^\d+-/, '').replace(/\.stdin$/, ''), stdin: JSON.parse(readFileSync(`${base}.stdin`, 'utf8')) as Record<string, unknown>, env };
    });
}

void test('two pods on the real bridge get IPs from the range, reach each other, get a host port, and DEL removes it all', async () => {
  await withNetwork({}, async ({ net, manager, pod, cacheDir }) => {
    const m = manager();
    const a = await pod();
    const b = await pod();
    const hostPort = randomInt(20000, 40000);
    const addA = await m.add({
      podId: a.id,
      netnsPath: a.ns,
      pod: a.ref,
      // The bridge address as hostIP: reachable from the host with no SNAT and no route_localnet.
      options: { portMappings: [{ hostPort, containerPort: 8080, protocol: 'TCP', hostIP: net.gateway }] },
    });
    const addB = await m.add({ podId: b.id, netnsPath: b.ns, pod: b.ref });
    assert.ok(inRange(addA.ips.primary, net), `${addA.ips.primary} in ${net.subnet}`);
    assert.ok(inRange(addB.ips.primary, net), `${addB.ips.primary} in ${net.subnet}`);
    assert.notEqual(addA.ips.primary, addB.ips.primary);
    assert.deepEqual(addA.ips.additional, []);
    assert.equal(addA.networkName, net.name);
    assert.equal(addA.result.interfaces.find((i) => i.sandbox)?.sandbox, a.ns);
    assert.deepEqual(ipamFiles(net).sort(), [addA.ips.primary, addB.ips.primary].sort());
    assert.equal((await bridgePorts(net.bridge)).length, 2);
    assert.ok(existsSync(join(cacheDir, `${a.id}-eth0.json`)));

    const ping = await runInNetns(a.ns, ['/usr/bin/busybox', 'ping', '-c1', '-W1', addB.ips.primary]);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    const pingBack = await runInNetns(b.ns, ['/usr/bin/busybox', 'ping', '-c1', '-W1', addA.ips.primary]);
    assert.equal(pingBack.code, 0, pingBack.stdout + pingBack.stderr);

    assert.match(natRules(), new RegExp(`id: \\\\"${a.id}\\\\"`), 'portmap rule tagged with the pod id');
    assert.match(natRules(), new RegExp(`-d ${net.gateway.replace(/\./g, '\\.')}/32 -p tcp -m tcp --dport ${hostPort} -j DNAT --to-destination ${addA.ips.primary.replace(/\./g, '\\.')}:8080`));
    const listener = await listenInPod(a.ns, 8080);
    try {
      assert.equal(await fetchGreeting(net.gateway, hostPort), 'hello from pod');
    } finally {
      listener.stop();
    }

    await m.del({ podId: a.id, netnsPath: a.ns });
    assert.equal(natRules().includes(a.id), false, 'portmap rules of the pod gone');
    assert.deepEqual(ipamFiles(net), [addB.ips.primary], 'IPAM allocation released');
    assert.equal((await bridgePorts(net.bridge)).length, 1, 'veth gone');
    const inside = await runInNetns(a.ns, ['ip', '-o', 'link']);
    assert.doesNotMatch(inside.stdout, /eth0/);
    assert.equal(existsSync(join(cacheDir, `${a.id}-eth0.json`)), false, 'cache entry removed');
    await assert.rejects(fetchGreeting(net.gateway, hostPort));

    await m.del({ podId: b.id, netnsPath: b.ns });
    await m.del({ podId: b.id, netnsPath: b.ns });
    assert.deepEqual(ipamFiles(net), []);
    assert.deepEqual(await bridgePorts(net.bridge), []);
  });
});

void test('DEL after a restart uses the cached config and result even though the conflist is gone', async () => {
  await withNetwork({}, async ({ net, manager, pod, cacheDir }) => {
    const a = await pod();
    const added = await manager().add({
      podId: a.id,
      netnsPath: a.ns,
      pod: a.ref,
      options: { portMappings: [{ hostPort: randomInt(20000, 40000), containerPort: 80, protocol: 'TCP', hostIP: net.gateway }] },
    });
    unlinkSync(net.conflist);
    const restarted = manager();
    assert.equal(restarted.attachment(a.id)?.ips.primary, added.ips.primary, 'the IP is known after a restart');
    await restarted.del({ podId: a.id, netnsPath: a.ns });
    assert.equal(natRules().includes(a.id), false);
    assert.deepEqual(ipamFiles(net), []);
    assert.deepEqual(await bridgePorts(net.bridge), []);
    assert.deepEqual(readdirSync(cacheDir), []);
    // Again, with neither cache nor config: nothing to do, not an error.
    await restarted.del({ podId: a.id, netnsPath: a.ns });
  });
});

void test('without a network config ADD is a FailedPrecondition saying why, and DEL has nothing to do', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'critter-cni-'));
  try {
    const m = new CniManager({ confDir: join(dir, 'net.d'), binDirs: [CNI_BIN_DIR], cacheDir: join(dir, 'results') });
    await assert.rejects(
      m.add({ podId: 'abc', netnsPath: join(dir, 'ns'), pod: { name: 'p', namespace: 'n', uid: 'u' } }),
      (e: unknown) => isCritterError(e) && e.kind === 'FailedPrecondition' && /pod network is not ready: CNI config directory .* does not exist/.test(e.message),
    );
    await m.del({ podId: 'abc' });
    await assert.rejects(m.del({ podId: '../escape' }), (e: unknown) => isCritterError(e) && e.kind === 'InvalidArgument');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('DEL of a pod never added runs the current chain and succeeds', async () => {
  await withNetwork({}, async ({ manager, pod }) => {
    const a = await pod();
    await manager().del({ podId: a.id, netnsPath: a.ns, pod: a.ref });
    await manager().del({ podId: a.id });
  });
});

void test('CHECK passes after ADD and fails once the interface is gone; older spec versions refuse CHECK', async () => {
  // Without portmap: portmap 1.1.1's CHECK wrongly demands IPv6 rules on IPv4-only pods
  // (containernetworking/plugins#819).
  await withNetwork({ noPortmap: true }, async ({ manager, pod }) => {
    const m = manager();
    const a = await pod();
    await assert.rejects(m.check({ podId: a.id, netnsPath: a.ns }), (e: unknown) => isCritterError(e) && e.kind === 'NotFound');
    await m.add({ podId: a.id, netnsPath: a.ns, pod: a.ref });
    await m.check({ podId: a.id, netnsPath: a.ns });
    const del = await runInNetns(a.ns, ['ip', 'link', 'del', 'eth0']);
    assert.equal(del.code, 0, del.stderr);
    await assert.rejects(m.check({ podId: a.id, netnsPath: a.ns }), /CNI plugin "bridge" \(CHECK of pod .*\) failed/);
    await m.del({ podId: a.id, netnsPath: a.ns });
  });
  await withNetwork({ noPortmap: true, cniVersion: '0.3.1' }, async ({ manager, pod }) => {
    const m = manager();
    const a = await pod();
    await m.add({ podId: a.id, netnsPath: a.ns, pod: a.ref });
    await assert.rejects(m.check({ podId: a.id, netnsPath: a.ns }), (e: unknown) => isCritterError(e) && e.kind === 'FailedPrecondition' && /0\.4\.0/.test(e.message));
    await m.del({ podId: a.id, netnsPath: a.ns });
  });
});

void test('a missing plugin is a FailedPrecondition naming it and the folders, and nothing runs', async () => {
  await withNetwork({ extraPlugins: [{ type: 'no-such-plugin' }] }, async ({ net, manager, pod, fakeBin, cacheDir }) => {
    const a = await pod();
    await assert.rejects(manager().add({ podId: a.id, netnsPath: a.ns, pod: a.ref }), (e: unknown) => {
      assert.ok(isCritterError(e));
      assert.equal(e.kind, 'FailedPrecondition');
      assert.match(e.message, new RegExp(`CNI plugin "no-such-plugin" was not found in ${fakeBin}, ${CNI_BIN_DIR}`));
      return true;
    });
    assert.deepEqual(await bridgePorts(net.bridge).catch(() => []), []);
    assert.equal(existsSync(cacheDir), false);
  });
});

void test('a plugin error carries the plugin, message and code, and the plugins before it are undone', async () => {
  await withNetwork({}, async ({ net, manager, pod, fakeBin, dir, cacheDir }) => {
    const records = join(dir, 'records');
    writeRecorder(fakeBin, 'refuser', records, '{"cniVersion":"1.0.0","code":7,"msg":"invalid network config","details":"refuser wants a tag"}', 1);
    const conf = JSON.parse(readFileSync(net.conflist, 'utf8')) as { plugins: unknown[] };
    conf.plugins.push({ type: 'refuser' });
    writeFileSync(net.conflist, JSON.stringify(conf));
    const a = await pod();
    await assert.rejects(manager().add({ podId: a.id, netnsPath: a.ns, pod: a.ref }), (e: unknown) => {
      assert.ok(isCritterError(e));
      assert.equal(e.kind, 'Internal');
      assert.match(e.message, /CNI plugin "refuser" \(ADD of pod [0-9a-f]+ on network "crtnet-[0-9a-f]+"\) failed: invalid network config \(refuser wants a tag\) \[CNI error code 7\]/);
      assert.equal((e as unknown as { plugin: string }).plugin, 'refuser');
      return true;
    });
    // The cleanup DEL went on past the refuser's own failing DEL.
    assert.deepEqual(await bridgePorts(net.bridge), [], 'the bridge plugin\'s veth was removed by the cleanup DEL');
    assert.deepEqual(ipamFiles(net), [], 'and its IP released');
    assert.deepEqual(readRecords(records).map((r) => r.key), ['ADD-refuser', 'DEL-refuser']);
    // Its failure keeps the attachment on record, so the kubelet's DEL retries it with the same config.
    assert.ok(existsSync(join(cacheDir, `${a.id}-eth0.json`)));
    const m = manager();
    await assert.rejects(m.del({ podId: a.id, netnsPath: a.ns }), /CNI plugin "refuser" \(DEL of pod/);
    assert.ok(existsSync(join(cacheDir, `${a.id}-eth0.json`)));
    writeRecorder(fakeBin, 'refuser', records, '', 0);
    await m.del({ podId: a.id, netnsPath: a.ns });
    assert.equal(existsSync(join(cacheDir, `${a.id}-eth0.json`)), false);
  });
});

void test('what plugins are sent: CNI_* env, capabilities they declare, prevResult in order, DEL in reverse with the cached result', async () => {
  await withNetwork({}, async ({ net, manager, pod, fakeBin, dir, cacheDir }) => {
    const records = join(dir, 'records');
    const result = (ip: string): string => `{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"SANDBOX"}],"ips":[{"address":"${ip}/24","interface":0}]}`;
    writeRecorder(fakeBin, 'first', records, result('10.255.1.2'));
    writeRecorder(fakeBin, 'second', records, result('10.255.1.3'));
    writeFileSync(
      net.conflist,
      JSON.stringify({
        cniVersion: '1.0.0',
        name: 'fakenet',
        plugins: [
          { type: 'first', capabilities: { ipRanges: true, portMappings: false } },
          { type: 'second', capabilities: { portMappings: true, bandwidth: true, dns: true } },
        ],
      }),
    );
    const a = await pod();
    const m = manager();
    const added = await m.add({
      podId: a.id,
      netnsPath: a.ns,
      pod: a.ref,
      ifName: 'eth0',
      options: {
        portMappings: [{ hostPort: 8443, containerPort: 443, protocol: 'TCP' }],
        bandwidth: { ingressRate: 1_000_000, ingressBurst: 2_000_000 },
        dns: { servers: ['10.96.0.10'], searches: ['ns.svc.cluster.local'], options: ['ndots:5'] },
        podCidrs: ['10.244.1.0/24'],
      },
    });
    assert.deepEqual(added.ips, { primary: '10.255.1.3', additional: [] }, 'the last plugin\'s result is the pod\'s');
    // A restart in between: DEL comes from the cache.
    unlinkSync(net.conflist);
    await manager().del({ podId: a.id, netnsPath: a.ns });

    const calls = readRecords(records);
    assert.deepEqual(calls.map((c) => c.key), ['ADD-first', 'ADD-second', 'DEL-second', 'DEL-first']);
    for (const c of calls) {
      assert.equal(c.env.CNI_CONTAINERID, a.id);
      assert.equal(c.env.CNI_NETNS, a.ns);
      assert.equal(c.env.CNI_IFNAME, 'eth0');
      assert.equal(c.env.CNI_PATH, `${fakeBin}:${CNI_BIN_DIR}`);
      assert.equal(c.env.CNI_ARGS, `IgnoreUnknown=1;K8S_POD_NAMESPACE=critter-test;K8S_POD_NAME=${a.ref.name};K8S_POD_INFRA_CONTAINER_ID=${a.id};K8S_POD_UID=${a.ref.uid}`);
      assert.equal(c.stdin.name, 'fakenet');
      assert.equal(c.stdin.cniVersion, '1.0.0');
    }
    const [addFirst, addSecond, delSecond, delFirst] = calls;
    assert.equal(addFirst!.env.CNI_COMMAND, 'ADD');
    assert.equal('prevResult' in addFirst!.stdin, false);
    assert.deepEqual(addFirst!.stdin.runtimeConfig, { ipRanges: [[{ subnet: '10.244.1.0/24' }]] });
    assert.deepEqual((addSecond!.stdin.prevResult as { ips: unknown }).ips, [{ address: '10.255.1.2/24', interface: 0 }]);
    assert.deepEqual(addSecond!.stdin.runtimeConfig, {
      portMappings: [{ hostPort: 8443, containerPort: 443, protocol: 'tcp', hostIP: '' }],
      bandwidth: { ingressRate: 1_000_000, ingressBurst: 2_000_000 },
      dns: { servers: ['10.96.0.10'], searches: ['ns.svc.cluster.local'], options: ['ndots:5'] },
    });
    for (const d of [delSecond!, delFirst!]) {
      assert.equal(d.env.CNI_COMMAND, 'DEL');
      assert.deepEqual((d.stdin.prevResult as { ips: unknown }).ips, [{ address: '10.255.1.3/24', interface: 0 }]);
    }
    assert.deepEqual(delSecond!.stdin.runtimeConfig, addSecond!.stdin.runtimeConfig, 'DEL gets the ADD-time capability values');
    assert.deepEqual(readdirSync(cacheDir), []);
  });
});

void test('an aborted ADD kills the plugin and says so', async () => {
  await withNetwork({}, async ({ net, manager, pod, fakeBin }) => {
    const slow = join(fakeBin, 'slow');
    // Sleeping under a name inside the test folder, so the leak check would see a survivor.
    symlinkSync('/usr/bin/sleep', join(fakeBin, 'sleepy'));
    writeFileSync(slow, `#!/bin/sh\n[ "$CNI_COMMAND" = ADD ] && exec ${join(fakeBin, 'sleepy')} 30\nexit 0\n`);
    chmodSync(slow, 0o755);
    writeFileSync(net.conflist, JSON.stringify({ cniVersion: '1.0.0', name: 'slownet', plugins: [{ type: 'slow' }] }));
    const a = await pod();
    const started = Date.now();
    await assert.rejects(
      manager().add({ podId: a.id, netnsPath: a.ns, pod: a.ref, signal: AbortSignal.timeout(300) }),
      (e: unknown) => isCritterError(e) && e.kind === 'DeadlineExceeded' && /CNI plugin "slow" .* was killed: timed out/.test(e.message),
    );
    assert.ok(Date.now() - started < 5000);
    const ac = new AbortController();
    const pending = manager().add({ podId: a.id, netnsPath: a.ns, pod: a.ref, signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(pending, (e: unknown) => isCritterError(e) && e.kind === 'Cancelled');
    assert.deepEqual(processesUnder(fakeBin), [], 'the plugin was killed');
  });
});

void test('ADD and DEL of one pod are serialised; different pods run together', async () => {
  await withNetwork({}, async ({ net, manager, pod }) => {
    const m = manager();
    const pods = await Promise.all([pod(), pod(), pod()]);
    const adds = await Promise.all(pods.map((p) => m.add({ podId: p.id, netnsPath: p.ns, pod: p.ref })));
    assert.equal(new Set(adds.map((x) => x.ips.primary)).size, 3);
    // ADD then DEL queued back to back on one pod: DEL sees the finished ADD.
    const [p0] = pods;
    await Promise.all([m.del({ podId: p0!.id, netnsPath: p0!.ns }), m.add({ podId: p0!.id, netnsPath: p0!.ns, pod: p0!.ref })]);
    await Promise.all(pods.map((p) => m.del({ podId: p.id, netnsPath: p.ns })));
    assert.deepEqual(ipamFiles(net), []);
    assert.deepEqual(await bridgePorts(net.bridge), []);
  });
});
