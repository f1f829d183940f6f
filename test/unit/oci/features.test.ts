import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  kernelVersion,
  parseFeatures,
  supportsIdmappedMounts,
  supportsRecursiveReadOnly,
  supportsUserNamespaces,
} from '../../../src/oci/features.js';

const RUNC_1_1 = JSON.stringify({
  ociVersionMin: '1.0.0',
  ociVersionMax: '1.0.2-dev',
  mountOptions: ['bind', 'ro', 'rro', 'rbind'],
  linux: { namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'user', 'uts'], cgroup: { v1: true, v2: true, systemd: true } },
});
const RUNC_1_2 = JSON.stringify({
  mountOptions: ['rro'],
  linux: { namespaces: ['user', 'pid'], mountExtensions: { idmap: { enabled: true } } },
});

void test('parses the runtime report, dropping ill-typed fields', () => {
  const f = parseFeatures(JSON.stringify({ mountOptions: ['rro', 3], linux: { namespaces: 'pid', cgroup: { v1: 'yes', v2: true } } }));
  assert.deepEqual(f.mountOptions, ['rro']);
  assert.equal(f.linux?.namespaces, undefined);
  assert.deepEqual(f.linux?.cgroup, { v1: undefined, v2: true, systemd: undefined, systemdUser: undefined, rdma: undefined });
  assert.throws(() => parseFeatures('unknown command features'), /not JSON/);
});

void test('rro needs the runtime to know it and a kernel with mount_setattr', () => {
  const f = parseFeatures(RUNC_1_1);
  assert.equal(supportsRecursiveReadOnly(f, '6.1.0-18-amd64'), true);
  assert.equal(supportsRecursiveReadOnly(f, '5.11.0'), false);
  assert.equal(supportsRecursiveReadOnly(f, '5.12.0'), true);
  assert.equal(supportsRecursiveReadOnly(null, '6.1.0'), false, 'a runtime that reports nothing');
  assert.equal(supportsRecursiveReadOnly(parseFeatures('{"mountOptions":["ro"]}'), '6.1.0'), false);
});

void test('user namespaces need the user namespace and idmapped mounts, both reported', () => {
  const old = parseFeatures(RUNC_1_1);
  assert.equal(supportsIdmappedMounts(old, '6.1.0'), false, 'runc 1.1 reports no idmap extension');
  assert.equal(supportsUserNamespaces(old, '6.1.0'), false);
  const cur = parseFeatures(RUNC_1_2);
  assert.equal(supportsIdmappedMounts(cur, '6.1.0'), true);
  assert.equal(supportsUserNamespaces(cur, '6.1.0'), true);
  assert.equal(supportsUserNamespaces(cur, '5.4.0'), false, 'old kernel');
  assert.equal(supportsUserNamespaces(null, '6.1.0'), false);
});

void test('kernel versions', () => {
  assert.deepEqual(kernelVersion('6.18.44-fc-v657'), [6, 18]);
  assert.deepEqual(kernelVersion('garbage'), [0, 0]);
});
