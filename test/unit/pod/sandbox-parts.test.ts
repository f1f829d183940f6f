// The pure parts of pod sandboxes: sysctls, bandwidth annotations, pod files, ids and digests,
// list filters, the pause cgroup path, and the record store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bandwidthFromAnnotations, parseQuantity } from '../../../src/pod/sandbox/bandwidth.js';
import { checkSysctls, needsPodInterfaces, normaliseSysctlName, sysctlPath } from '../../../src/pod/sandbox/sysctls.js';
import { podHostsContent } from '../../../src/pod/files/hosts.js';
import { checkDnsConfig, resolvConfContent } from '../../../src/pod/files/resolv-conf.js';
import { podHostname } from '../../../src/pod/files/hostname.js';
import { requestDigest, sandboxName } from '../../../src/pod/sandbox/identity.js';
import { filterSandboxes } from '../../../src/pod/sandbox/filter.js';
import { infraCgroupsPath } from '../../../src/pod/infra/pause-spec.js';
import { RecordStore } from '../../../src/store/record-store.js';
import { parseSandboxRecord } from '../../../src/pod/sandbox/record.js';
import type { Sandbox } from '../../../src/pod/sandbox/types.js';
import { isCritterError } from '../../../src/util/errors.js';

const invalid = (e: unknown): boolean => isCritterError(e) && e.kind === 'InvalidArgument';

void test('sysctl names: dotted and slashed forms, namespaces, host namespaces refused', () => {
  assert.equal(normaliseSysctlName('net/ipv4/ip_forward'), 'net.ipv4.ip_forward');
  assert.equal(normaliseSysctlName('net.ipv4.conf.eth0/100.forwarding'), 'net.ipv4.conf.eth0/100.forwarding');
  assert.equal(sysctlPath('net.ipv4.conf.eth0/100.forwarding'), 'net/ipv4/conf/eth0.100/forwarding');
  assert.deepEqual(
    checkSysctls({ 'net.ipv4.ip_unprivileged_port_start': '0', 'kernel.shmmax': '1000', 'fs.mqueue.msg_max': '20' }, false, false).map((s) => s.ns),
    ['net', 'ipc', 'ipc'],
  );
  assert.throws(() => checkSysctls({ 'kernel.panic': '1' }, false, false), invalid);
  assert.throws(() => checkSysctls({ 'vm.swappiness': '1' }, false, false), invalid);
  assert.throws(() => checkSysctls({ 'net.ipv4.ip_forward': '1' }, true, false), /host network/);
  assert.throws(() => checkSysctls({ 'kernel.sem': '1 2 3 4' }, false, true), /host IPC/);
  assert.throws(() => checkSysctls({ 'net.ipv4/../../x': '1' }, false, false), invalid);
  assert.throws(() => checkSysctls({ 'net.ipv4.ip_forward': '1\n2' }, false, false), invalid);
});

void test('bandwidth annotations are quantities in bits per second', () => {
  assert.equal(parseQuantity('10M'), 10_000_000);
  assert.equal(parseQuantity('1Gi'), 2 ** 30);
  assert.equal(parseQuantity('1.5k'), 1500);
  assert.throws(() => parseQuantity('10 mbit'), invalid);
  assert.deepEqual(bandwidthFromAnnotations({ 'kubernetes.io/ingress-bandwidth': '10M' }), { ingressRate: 10_000_000, ingressBurst: 2 ** 32 - 1 });
  assert.deepEqual(bandwidthFromAnnotations({ 'kubernetes.io/egress-bandwidth': '1M' }), { egressRate: 1_000_000, egressBurst: 2 ** 32 - 1 });
  assert.equal(bandwidthFromAnnotations({ other: 'x' }), undefined);
  assert.throws(() => bandwidthFromAnnotations({ 'kubernetes.io/ingress-bandwidth': '10' }), /outside 1k\.\.1P/);
});

void test('resolv.conf from a DNSConfig, the node\'s without one; hosts with the pod IPs', () => {
  assert.equal(resolvConfContent({ servers: ['10.96.0.10', 'fd00::a'], searches: ['a.svc', 'svc'], options: ['ndots:5', 'edns0'] }), 'search a.svc svc\nnameserver 10.96.0.10\nnameserver fd00::a\noptions ndots:5 edns0\n');
  const dir = mkdtempSync(join(tmpdir(), 'critter-unit-'));
  try {
    writeFileSync(join(dir, 'resolv.conf'), 'nameserver 1.1.1.1\n');
    assert.equal(resolvConfContent(undefined, join(dir, 'resolv.conf')), 'nameserver 1.1.1.1\n');
    assert.equal(resolvConfContent({ servers: [], searches: [], options: [] }, join(dir, 'resolv.conf')), 'nameserver 1.1.1.1\n', 'empty counts as none');
  } finally {
    rmSync(dir, { recursive: true });
  }
  assert.throws(() => checkDnsConfig({ servers: ['dns.example'], searches: [], options: [] }), invalid);
  assert.throws(() => checkDnsConfig({ servers: [], searches: ['a\nnameserver 6.6.6.6'], options: [] }), invalid);
  const hosts = podHostsContent('web-0', ['10.1.2.3', 'fd00::3']);
  assert.match(hosts, /^127\.0\.0\.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n/);
  assert.match(hosts, /\n10\.1\.2\.3\tweb-0\nfd00::3\tweb-0\n$/);
  assert.equal(podHostname('', 'my-pod', false), 'my-pod');
  assert.equal(podHostname('h', 'my-pod', false), 'h');
});

void test('names and digests: the digest ignores map order, and changes with the handler', () => {
  assert.equal(sandboxName({ name: 'p', namespace: 'ns', uid: 'u', attempt: 2 }), 'p_ns_u_2');
  const a = requestDigest({ labels: { a: '1', b: '2' }, hostname: 'x' }, 'runc');
  const b = requestDigest({ hostname: 'x', labels: { b: '2', a: '1' } }, 'runc');
  assert.equal(a, b);
  assert.notEqual(a, requestDigest({ labels: { a: '1', b: '2' }, hostname: 'x' }, 'crun'));
  assert.notEqual(a, requestDigest({ labels: { a: '1', b: '3' }, hostname: 'x' }, 'runc'));
});

void test('filters: exact id, unique prefix (an ambiguous one matches nothing), state, every label', () => {
  const sb = (id: string, state: 'ready' | 'notready', labels: Record<string, string>) => ({ id, state, labels }) as unknown as Sandbox;
  const all = [sb('abc1', 'ready', { app: 'a' }), sb('abc2', 'notready', { app: 'b', x: 'y' }), sb('def', 'ready', {})];
  const ids = (f: Parameters<typeof filterSandboxes>[1]) => filterSandboxes(all, f).map((s) => s.id);
  assert.deepEqual(ids(undefined), ['abc1', 'abc2', 'def']);
  assert.deepEqual(ids({ id: 'abc1' }), ['abc1']);
  assert.deepEqual(ids({ id: 'd' }), ['def']);
  assert.deepEqual(ids({ id: 'abc' }), []);
  assert.deepEqual(ids({ state: 'ready' }), ['abc1', 'def']);
  assert.deepEqual(ids({ labels: { app: 'b', x: 'y' } }), ['abc2']);
  assert.deepEqual(ids({ labels: { app: 'b', x: 'z' } }), []);
});

void test('the pause cgroup: under the pod\'s cgroupfs parent or systemd slice', () => {
  assert.equal(infraCgroupsPath('/kubepods/burstable/pod123', 'abc', 'cgroupfs'), '/kubepods/burstable/pod123/abc');
  assert.equal(infraCgroupsPath('kubepods/besteffort/pod1/', 'abc', 'cgroupfs'), '/kubepods/besteffort/pod1/abc');
  assert.equal(infraCgroupsPath('', 'abc', 'cgroupfs'), '/critter/abc');
  assert.equal(infraCgroupsPath('kubepods-burstable-pod123.slice', 'abc', 'systemd'), 'kubepods-burstable-pod123.slice:critter:abc');
  assert.equal(infraCgroupsPath('', 'abc', 'systemd'), 'system.slice:critter:abc');
});

void test('the record store: put/get/list/delete, corrupt files moved aside, temp files dropped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'critter-unit-'));
  try {
    const store = new RecordStore<{ n: number }>({
      dir,
      parse: (v) => {
        if (typeof (v as { n?: unknown }).n !== 'number') throw new Error('no n');
        return v as { n: number };
      },
    });
    store.put('a', { n: 1 });
    store.put('b', { n: 2 });
    assert.deepEqual(store.get('a'), { n: 1 });
    assert.equal(store.get('zz'), undefined);
    writeFileSync(join(dir, 'c.json'), '{ torn');
    writeFileSync(join(dir, 'd.json'), '{"m":1}');
    writeFileSync(join(dir, '.a.json.123.tmp'), 'partial');
    assert.deepEqual(store.list(), [
      { id: 'a', value: { n: 1 } },
      { id: 'b', value: { n: 2 } },
    ]);
    assert.deepEqual(readdirSync(dir).sort(), ['a.json', 'b.json', 'c.json.corrupt', 'd.json.corrupt']);
    store.delete('a');
    store.delete('a');
    assert.equal(store.get('a'), undefined);
    assert.throws(() => store.put('../x', { n: 1 }), invalid);
    assert.throws(() => parseSandboxRecord({ version: 2 }, 'x'), /not a version 1 record/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

void test('per-interface sysctls of pod interfaces wait for CNI; the rest are set at namespace creation', () => {
  const late = (name: string): boolean => needsPodInterfaces({ name, value: '1', ns: 'net' });
  assert.equal(late('net.ipv4.conf.eth0.forwarding'), true);
  assert.equal(late('net.ipv6.neigh.eth0.retrans_time_ms'), true);
  assert.equal(late('net.ipv4.conf.eth0/100.forwarding'), true);
  assert.equal(late('net.ipv4.conf.all.forwarding'), false);
  assert.equal(late('net.ipv4.conf.default.rp_filter'), false);
  assert.equal(late('net.ipv4.conf.lo.rp_filter'), false);
  assert.equal(late('net.ipv4.ip_unprivileged_port_start'), false);
  assert.equal(late('kernel.shmmni'), false);
});
