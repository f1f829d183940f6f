// What each plugin reads: its conf plus name/cniVersion/prevResult, and runtimeConfig limited
// to the capabilities it declares; and CNI_ARGS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capabilityArgs, cniArgs, pluginStdin } from '../../../src/pod/cni/plugin-stdin.js';
import { compareCniVersions, supportsCheck } from '../../../src/pod/cni/version.js';

const chain = { name: 'podnet', cniVersion: '1.0.0' };
const caps = capabilityArgs({
  portMappings: [
    { hostPort: 8080, containerPort: 80, protocol: 'TCP' },
    { hostPort: 0, containerPort: 81, protocol: 'TCP' },
    { hostPort: 5353, containerPort: 53, protocol: 'UDP', hostIP: '10.0.0.1' },
  ],
  bandwidth: { ingressRate: 1000, egressRate: 0 },
  dns: { servers: ['10.96.0.10'], searches: ['svc.cluster.local'] },
  podCidrs: ['10.88.0.0/16', 'fd00::/64'],
});

void test('capability values: host-port-less mappings dropped, protocols lowercased, each CIDR its own range set', () => {
  assert.deepEqual(caps, {
    portMappings: [
      { hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '' },
      { hostPort: 5353, containerPort: 53, protocol: 'udp', hostIP: '10.0.0.1' },
    ],
    bandwidth: { ingressRate: 1000 },
    dns: { servers: ['10.96.0.10'], searches: ['svc.cluster.local'], options: [] },
    ipRanges: [[{ subnet: '10.88.0.0/16' }], [{ subnet: 'fd00::/64' }]],
  });
  assert.deepEqual(capabilityArgs({ portMappings: [], bandwidth: {}, podCidrs: [] }), {});
});

void test('a plugin gets runtimeConfig only for the capabilities it declares as true', () => {
  const portmap = { type: 'portmap', capabilities: { portMappings: true, bandwidth: false } };
  const doc = pluginStdin(portmap, chain, { cniVersion: '1.0.0', ips: [] }, caps);
  assert.deepEqual(doc, {
    type: 'portmap',
    capabilities: { portMappings: true, bandwidth: false },
    name: 'podnet',
    cniVersion: '1.0.0',
    prevResult: { cniVersion: '1.0.0', ips: [] },
    runtimeConfig: { portMappings: caps.portMappings },
  });
  const multi = pluginStdin({ type: 'x', capabilities: { ipRanges: true, dns: true, bandwidth: true, unknownCap: true } }, chain, undefined, caps);
  assert.deepEqual(Object.keys(multi.runtimeConfig as object).sort(), ['bandwidth', 'dns', 'ipRanges']);
});

void test('no declared capability, or no value for it: no runtimeConfig and an admin-written one is kept', () => {
  assert.equal('runtimeConfig' in pluginStdin({ type: 'bridge' }, chain, undefined, caps), false);
  assert.equal('runtimeConfig' in pluginStdin({ type: 'portmap', capabilities: { portMappings: true } }, chain, undefined, {}), false);
  const own = pluginStdin({ type: 'x', runtimeConfig: { mine: 1 } }, chain, undefined, caps);
  assert.deepEqual(own.runtimeConfig, { mine: 1 });
});

void test('the first plugin has no prevResult, even when its conf carries one; name and version come from the list', () => {
  const doc = pluginStdin({ type: 'bridge', name: 'stale', cniVersion: '0.1.0', prevResult: { old: true } }, chain, undefined, {});
  assert.equal(doc.name, 'podnet');
  assert.equal(doc.cniVersion, '1.0.0');
  assert.equal('prevResult' in doc, false);
});

void test('the plugin conf is not modified', () => {
  const conf = { type: 'portmap', capabilities: { portMappings: true } };
  const copy = structuredClone(conf);
  pluginStdin(conf, chain, { a: 1 }, caps);
  assert.deepEqual(conf, copy);
});

void test('CNI_ARGS in the Kubernetes runtimes\' form', () => {
  assert.equal(
    cniArgs({ namespace: 'default', name: 'web-0', infraContainerId: 'abc123', uid: '7f1c-uid' }),
    'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=abc123;K8S_POD_UID=7f1c-uid',
  );
  assert.throws(() => cniArgs({ namespace: 'a;b', name: 'x', infraContainerId: 'y', uid: 'z' }), /CNI_ARGS/);
});

void test('version comparison', () => {
  assert.ok(compareCniVersions('0.4.0', '0.3.1') > 0);
  assert.ok(compareCniVersions('1.0.0', '0.4.0') > 0);
  assert.equal(compareCniVersions('0.4.0', '0.4.0'), 0);
  assert.equal(supportsCheck('0.3.1'), false);
  assert.equal(supportsCheck('0.4.0'), true);
  assert.equal(supportsCheck('1.0.0'), true);
  assert.equal(supportsCheck(''), false);
});
