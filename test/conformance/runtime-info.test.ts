// Conformance: Version, Status, RuntimeConfig and UpdateRuntimeConfig, checked against what
// the CRI's api.proto documents and what critest's "Runtime info" specs look at.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync } from 'node:fs';
import { CgroupDriver } from '../../src/gen/runtime/v1/api_pb.js';
import { startEnv, stopEnv, type CtrEnv } from './env.js';

let env: CtrEnv;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await stopEnv(env);
});

const rt = () => env.d.clients.runtime;
// semver 2.0.0, with an optional leading "v" as the kubelet's parser tolerates.
const SEMVER = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

void test('Version: runtime name, a semver runtime version and the runtime API version are all set', async () => {
  // critest sends the old "0.1.0" kubelet API version; the runtime must still answer.
  for (const version of ['0.1.0', 'v1', '']) {
    const v = await rt().version({ version });
    assert.notEqual(v.version, '', 'version');
    assert.notEqual(v.runtimeName, '', 'runtime_name');
    assert.match(v.runtimeVersion, SEMVER, 'runtime_version must be semver-compatible');
    assert.notEqual(v.runtimeApiVersion, '', 'runtime_api_version');
    // Every runtime the kubelet knows answers "v1" (or a semver); crictl prints it as is.
    assert.ok(v.runtimeApiVersion === 'v1' || SEMVER.test(v.runtimeApiVersion), v.runtimeApiVersion);
  }
});

void test('Status: RuntimeReady and NetworkReady are both true with a CNI config; info only when verbose', async () => {
  const s = await rt().status({ verbose: false });
  const cond = (t: string) => s.status?.conditions.find((c) => c.type === t);
  assert.equal(cond('RuntimeReady')?.status, true, JSON.stringify(cond('RuntimeReady')));
  assert.equal(cond('NetworkReady')?.status, true, JSON.stringify(cond('NetworkReady')));
  assert.deepEqual(s.info, {}, 'info should only be returned non-empty when verbose is true');
  const types = s.status!.conditions.map((c) => c.type);
  assert.equal(new Set(types).size, types.length, 'one condition per type');
  const v = await rt().status({ verbose: true });
  assert.ok(Object.keys(v.info).length > 0, 'verbose status carries info');
});

void test(
  'Status: every value of the verbose info map is JSON',
  async () => {
    const v = await rt().status({ verbose: true });
    for (const [k, val] of Object.entries(v.info)) assert.doesNotThrow(() => JSON.parse(val) as unknown, `info[${k}] = ${JSON.stringify(val)} is JSON`);
  },
);

void test('Status: runtime handler names are unique and name the handlers pods can run on', async () => {
  const s = await rt().status({});
  const names = s.runtimeHandlers.map((h) => h.name);
  assert.equal(new Set(names).size, names.length, `unique: ${names.join(',')}`);
  for (const h of ['runc', 'crun']) assert.ok(names.includes(h) || names.includes(''), `${h} in ${names.join(',')}`);
  // A handler the runtime lists must be one RunPodSandbox accepts.
  for (const h of s.runtimeHandlers) assert.ok(h.features !== undefined, `features of ${h.name}`);
});

void test('Status: NetworkReady turns false while no CNI network config is present, and back to true', async () => {
  const moved = `${env.net.conflist}.away`;
  renameSync(env.net.conflist, moved);
  try {
    const s = await rt().status({});
    const net = s.status?.conditions.find((c) => c.type === 'NetworkReady');
    assert.equal(net?.status, false, 'no network config: the network is not ready');
    assert.notEqual(net?.reason, '', 'a not-ready condition says why');
    assert.equal(s.status?.conditions.find((c) => c.type === 'RuntimeReady')?.status, true, 'the runtime itself stays ready');
  } finally {
    renameSync(moved, env.net.conflist);
  }
  const again = await rt().status({});
  assert.equal(again.status?.conditions.find((c) => c.type === 'NetworkReady')?.status, true);
});

void test('RuntimeConfig: a cgroup driver is reported, and it is static across calls', async () => {
  const a = await rt().runtimeConfig({});
  assert.ok(a.linux !== undefined, 'linux runtime configuration present');
  assert.ok([CgroupDriver.SYSTEMD, CgroupDriver.CGROUPFS].includes(a.linux.cgroupDriver));
  const b = await rt().runtimeConfig({});
  assert.equal(b.linux?.cgroupDriver, a.linux.cgroupDriver);
});

void test('UpdateRuntimeConfig: the kubelet\'s pod CIDR (and an empty one) is accepted without error', async () => {
  await rt().updateRuntimeConfig({ runtimeConfig: { networkConfig: { podCidr: '10.244.0.0/24' } } });
  await rt().updateRuntimeConfig({ runtimeConfig: { networkConfig: { podCidr: '' } } });
  await rt().updateRuntimeConfig({});
  const s = await rt().status({});
  assert.equal(s.status?.conditions.find((c) => c.type === 'RuntimeReady')?.status, true, 'still ready afterwards');
});
