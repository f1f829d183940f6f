// Reading CNI results and picking the pod's IPs the way the kubelet expects them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCniResult, podIps } from '../../../src/pod/cni/result.js';
import { KeyedMutex } from '../../../src/pod/cni/keyed-mutex.js';

const bridgeResult = {
  cniVersion: '1.0.0',
  interfaces: [
    { name: 'cni0', mac: 'aa:bb:cc:00:00:01' },
    { name: 'veth1234', mac: 'aa:bb:cc:00:00:02' },
    { name: 'eth0', mac: 'aa:bb:cc:00:00:03', sandbox: '/run/critter/netns/p1' },
  ],
  ips: [
    { address: 'fd00::5/64', gateway: 'fd00::1', interface: 2 },
    { address: '10.88.0.5/16', gateway: '10.88.0.1', interface: 2 },
    { address: '10.88.0.1/16', interface: 0 },
  ],
  routes: [{ dst: '0.0.0.0/0', gw: '10.88.0.1' }, { dst: '::/0' }, { nope: 1 }],
  dns: { nameservers: ['10.96.0.10'], domain: 'cluster.local', search: ['svc.cluster.local'], options: ['ndots:5'] },
};

void test('a 1.0.0 result is read in full; malformed entries are skipped', () => {
  const r = parseCniResult(bridgeResult);
  assert.equal(r.cniVersion, '1.0.0');
  assert.equal(r.interfaces.length, 3);
  assert.equal(r.interfaces[2]!.sandbox, '/run/critter/netns/p1');
  assert.equal(r.interfaces[0]!.sandbox, undefined);
  assert.deepEqual(r.ips[1], { address: '10.88.0.5/16', gateway: '10.88.0.1', interface: 2 });
  assert.deepEqual(r.routes, [{ dst: '0.0.0.0/0', gw: '10.88.0.1' }, { dst: '::/0' }]);
  assert.deepEqual(r.dns, { nameservers: ['10.96.0.10'], domain: 'cluster.local', search: ['svc.cluster.local'], options: ['ndots:5'] });
});

void test('pod IPs: only the sandbox interface\'s, first IPv4 primary, the rest additional, no prefix', () => {
  assert.deepEqual(podIps(parseCniResult(bridgeResult), 'eth0'), { primary: '10.88.0.5', additional: ['fd00::5'] });
});

void test('an IPv6-only pod has an IPv6 primary', () => {
  const r = parseCniResult({ cniVersion: '1.0.0', interfaces: [{ name: 'eth0', sandbox: '/ns' }], ips: [{ address: 'fd00::7/64', interface: 0 }] });
  assert.deepEqual(podIps(r, 'eth0'), { primary: 'fd00::7', additional: [] });
});

void test('IPs without an interface index count as the pod\'s; host-side ones never do', () => {
  const r = parseCniResult({ cniVersion: '0.3.1', interfaces: [{ name: 'br0' }], ips: [{ version: '4', address: '10.1.0.9/24' }, { address: '10.1.0.1/24', interface: 0 }] });
  assert.deepEqual(podIps(r, 'eth0'), { primary: '10.1.0.9', additional: [] });
  assert.equal(podIps(parseCniResult({ cniVersion: '1.0.0', interfaces: [{ name: 'br0' }], ips: [{ address: '10.1.0.1/24', interface: 0 }] })), undefined);
});

void test('IPs of the named interface win over other sandbox interfaces', () => {
  const r = parseCniResult({
    cniVersion: '1.0.0',
    interfaces: [{ name: 'net1', sandbox: '/ns' }, { name: 'eth0', sandbox: '/ns' }],
    ips: [{ address: '192.168.5.5/24', interface: 0 }, { address: '10.2.0.3/24', interface: 1 }],
  });
  assert.deepEqual(podIps(r, 'eth0'), { primary: '10.2.0.3', additional: [] });
});

void test('0.2.0 results (ip4/ip6) still give the pod IP', () => {
  const r = parseCniResult({ cniVersion: '0.2.0', ip4: { ip: '10.22.0.4/16', gateway: '10.22.0.1', routes: [{ dst: '0.0.0.0/0' }] }, ip6: { ip: 'fd01::4/64' } });
  assert.deepEqual(podIps(r, 'eth0'), { primary: '10.22.0.4', additional: ['fd01::4'] });
  assert.deepEqual(r.routes, [{ dst: '0.0.0.0/0' }]);
});

void test('an empty or non-object result', () => {
  assert.equal(podIps(parseCniResult({ cniVersion: '1.0.0' })), undefined);
  assert.throws(() => parseCniResult([]), /not a JSON object/);
  assert.throws(() => parseCniResult(null), /not a JSON object/);
});

void test('the keyed mutex serialises one key and lets others run alongside', async () => {
  const m = new KeyedMutex();
  const events: string[] = [];
  const step = (k: string, ms: number) => m.run(k, async () => {
    events.push(`${k}+`);
    await new Promise((r) => setTimeout(r, ms));
    events.push(`${k}-`);
  });
  await Promise.all([step('a', 30), step('a', 1), step('b', 5)]);
  assert.deepEqual(events.filter((e) => e.startsWith('a')), ['a+', 'a-', 'a+', 'a-']);
  assert.ok(events.indexOf('b-') < events.lastIndexOf('a+'), 'b finished while a waited');
  await assert.rejects(m.run('a', () => Promise.reject(new Error('boom'))), /boom/);
  assert.equal(await m.run('a', () => Promise.resolve(7)), 7, 'a failure releases the key');
  assert.equal(m.size, 0);
});
