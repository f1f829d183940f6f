// The container service's pure parts: stop signals, names and digests, filters, resources,
// log paths, records, exit reasons and the oom_score_adj note.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { LinuxContainerResourcesSchema } from '../../../src/gen/runtime/v1/api_pb.js';
import { exitReason } from '../../../src/container/exit-reason.js';
import { filterContainers } from '../../../src/container/filter.js';
import { containerName, requestDigest } from '../../../src/container/identity.js';
import { oomFloorNote } from '../../../src/container/oom-floor.js';
import { parseContainerRecord } from '../../../src/container/record.js';
import { applyToSpec, fromCri, mergeResources, NO_RESOURCES } from '../../../src/container/resources.js';
import { containerLogPath } from '../../../src/container/service.js';
import { parseStopSignal } from '../../../src/container/stop-signal.js';
import type { ContainerRecord, ContainerView } from '../../../src/container/types.js';

test('stop signals: names with or without SIG, numbers, real-time ones; junk refused', () => {
  assert.equal(parseStopSignal('SIGQUIT'), 'SIGQUIT');
  assert.equal(parseStopSignal('quit'), 'SIGQUIT');
  assert.equal(parseStopSignal(' SIGUSR1 '), 'SIGUSR1');
  assert.equal(parseStopSignal('9'), '9');
  assert.equal(parseStopSignal('SIGRTMIN+3'), '37');
  assert.equal(parseStopSignal('RTMAX'), '64');
  for (const bad of ['', 'SIGNOPE', '0', '65', 'SIGRTMAX+1', 'rm -rf']) assert.equal(parseStopSignal(bad), undefined, bad);
});

test('names follow the kubelet; digests ignore map order', () => {
  assert.equal(containerName({ name: 'app', attempt: 2 }, { name: 'web', namespace: 'ns', uid: 'u1' }), 'app_web_ns_u1_2');
  assert.equal(requestDigest('s', { a: 1, b: { c: 2, d: 3 } }), requestDigest('s', { b: { d: 3, c: 2 }, a: 1 }));
  assert.notEqual(requestDigest('s', { a: 1 }), requestDigest('t', { a: 1 }));
});

const view = (id: string, over: Partial<ContainerView> = {}): ContainerView => ({
  id,
  sandboxId: 'pod1',
  state: 'running',
  metadata: { name: id, attempt: 0 },
  labels: {},
  annotations: {},
  image: { requested: '', userSpecified: '', id: '', chainId: null, stopSignal: '' },
  imageRef: '',
  imageTag: '',
  logPath: '',
  createdAt: 1n,
  startedAt: 1n,
  finishedAt: 0n,
  exitCode: 0,
  reason: '',
  message: '',
  resources: NO_RESOURCES,
  user: { uid: 0, gid: 0, additionalGids: [] },
  config: {},
  ...over,
});

test('filters: id or unique prefix, pod, state, labels', () => {
  const all = [view('abc1', { labels: { a: '1' } }), view('abc2', { sandboxId: 'pod2', state: 'exited' }), view('def', { labels: { a: '1', b: '2' } })];
  const ids = (f: Parameters<typeof filterContainers>[1]) => filterContainers(all, f).map((c) => c.id);
  assert.deepEqual(ids({ id: 'abc1' }), ['abc1']);
  assert.deepEqual(ids({ id: 'abc' }), [], 'an ambiguous prefix matches nothing');
  assert.deepEqual(ids({ id: 'de' }), ['def']);
  assert.deepEqual(ids({ sandboxId: 'pod2' }), ['abc2']);
  assert.deepEqual(ids({ state: 'running' }), ['abc1', 'def']);
  assert.deepEqual(ids({ labels: { a: '1', b: '2' } }), ['def']);
  assert.deepEqual(ids(undefined), ['abc1', 'abc2', 'def']);
});

test('resources: an update changes only what it sets; oom_score_adj stays', () => {
  const first = { ...fromCri(create(LinuxContainerResourcesSchema, { memoryLimitInBytes: 100n, cpuShares: 2n, cpusetCpus: '0' })), oomScoreAdj: 500 };
  const next = mergeResources(first, fromCri(create(LinuxContainerResourcesSchema, { memoryLimitInBytes: 200n, oomScoreAdj: -10n, unified: { 'memory.high': '1' } })));
  assert.equal(next.memoryLimitInBytes, 200);
  assert.equal(next.cpuShares, 2);
  assert.equal(next.cpusetCpus, '0');
  assert.equal(next.oomScoreAdj, 500);
  assert.deepEqual(next.unified, { 'memory.high': '1' });
  assert.throws(() => fromCri(create(LinuxContainerResourcesSchema, { memoryLimitInBytes: 2n ** 60n })), /out of range/);
  const spec = applyToSpec({ devices: [{ allow: false, access: 'rwm' }], memory: { limit: 1, swap: 1 }, cpu: { shares: 2 } }, { memory: { limit: 5 } });
  assert.deepEqual(spec, { devices: [{ allow: false, access: 'rwm' }], memory: { limit: 5, swap: 1 }, cpu: { shares: 2 } });
});

test('log path: the pod log directory joined with the container log path, never outside it', () => {
  assert.equal(containerLogPath('/var/log/pods/x', 'app/0.log'), '/var/log/pods/x/app/0.log');
  assert.equal(containerLogPath('', 'app/0.log'), '');
  assert.equal(containerLogPath('/var/log/pods/x', ''), '');
  assert.throws(() => containerLogPath('/var/log/pods/x', '../../etc/passwd'), /leaves/);
  assert.throws(() => containerLogPath('relative', 'a.log'), /not absolute/);
});

test('exit reasons: OOMKilled wins, then Completed or Error', () => {
  const at = new Date();
  assert.equal(exitReason({ exitCode: 137, oomKilled: true, finishedAt: at }), 'OOMKilled');
  assert.equal(exitReason({ exitCode: 0, oomKilled: true, finishedAt: at }), 'OOMKilled');
  assert.equal(exitReason({ exitCode: 0, oomKilled: false, finishedAt: at }), 'Completed');
  assert.equal(exitReason({ exitCode: 1, oomKilled: false, finishedAt: at }), 'Error');
});

test('records round-trip and bad ones are refused', () => {
  const rec: ContainerRecord = {
    version: 1,
    id: 'c1',
    name: 'a_b_c_d_0',
    digest: 'x',
    sandboxId: 's',
    phase: 'running',
    runtimeHandler: 'runc',
    metadata: { name: 'a', attempt: 0 },
    labels: { l: 'v' },
    annotations: {},
    image: { requested: 'sha256:1', userSpecified: 'busybox', id: 'sha256:1', chainId: null, stopSignal: 'SIGQUIT' },
    logPath: '/l',
    bundle: '/b',
    rootfs: '/b/rootfs',
    snapshotKey: 'c1',
    monitor: { id: 'c1', uuid: 'u', bundle: '/b', persistDir: '/b', logPath: '/l', pidFile: '/b/p', conmonPidFile: '/b/c', pid: 10, conmonPid: 9 },
    resources: { ...NO_RESOURCES, hugepageLimits: [{ pageSize: '2MB', limit: 4 }] },
    user: { uid: 1, gid: 2, additionalGids: [3] },
    createdAt: '1',
    startedAt: '2',
    finishedAt: '0',
    exitCode: 0,
    reason: '',
    message: '',
    config: { metadata: { name: 'a' } },
  };
  assert.deepEqual(parseContainerRecord(JSON.parse(JSON.stringify(rec)), 'c1'), rec);
  assert.throws(() => parseContainerRecord({ ...rec, phase: 'zombie' }, 'c1'), /phase/);
  assert.throws(() => parseContainerRecord(rec, 'c2'), /holds id/);
  assert.throws(() => parseContainerRecord({ ...rec, createdAt: 'yesterday' }, 'c1'), /timestamp/);
});

test('the oom_score_adj note appears only without CAP_SYS_RESOURCE in the bounding set', () => {
  assert.match(oomFloorNote(-999, 'CapBnd:\t000001fffeffffff\n') ?? '', /below critterd's own -999 are raised to -999: CAP_SYS_RESOURCE is not in the bounding set/);
  assert.equal(oomFloorNote(0, 'CapBnd:\t000001ffffffffff\n'), undefined);
});
