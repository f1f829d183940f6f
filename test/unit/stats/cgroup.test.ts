// The cgroup readers on fake trees (v1 hybrid and v2 unified) in temporary folders, layout
// detection, and the cgroup paths of specs and pod parents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CgroupV1Reader, CgroupV2Reader, cgroupReader, detectCgroupLayout } from '../../../src/stats/cgroup.js';
import { cgroupOfParent, cgroupOfSpecPath, sliceDir } from '../../../src/stats/cgroup-path.js';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'critter-cgroup-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}

const CG = 'kubepods/pod1/abc';

test('v2: cpu from usage_usec, working set is current minus inactive_file, available from memory.max', (t) => {
  const root = tree({
    'cgroup.controllers': 'cpu memory pids\n',
    [`${CG}/cgroup.procs`]: '12\n',
    [`${CG}/cpu.stat`]: 'usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n',
    [`${CG}/memory.current`]: '10000000\n',
    [`${CG}/memory.max`]: '50000000\n',
    [`${CG}/memory.stat`]: 'anon 6000000\nfile 4000000\ninactive_file 3000000\nactive_file 1000000\npgfault 77\npgmajfault 3\n',
    [`${CG}/memory.swap.current`]: '4096\n',
    [`${CG}/memory.swap.max`]: 'max\n',
    [`${CG}/pids.current`]: '4\n',
  });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const layout = detectCgroupLayout(root);
  assert.equal(layout.kind, 'unified');
  const r = cgroupReader(layout);
  assert.equal(r.version, 2);
  const s = r.read(`/${CG}`);
  assert.deepEqual(s, {
    cpuUsageNs: 2_500_000n,
    memory: { usageBytes: 10_000_000n, workingSetBytes: 7_000_000n, availableBytes: 43_000_000n, rssBytes: 6_000_000n, pageFaults: 77n, majorPageFaults: 3n },
    swap: { usageBytes: 4096n },
    pids: 4n,
  });
  assert.equal(r.read('/kubepods/pod1/gone'), undefined, 'a missing cgroup has no sample');
});

test('v2: memory.max "max" means no available bytes; inactive_file above usage clamps to zero', (t) => {
  const root = tree({
    'cgroup.controllers': '',
    'a/cgroup.procs': '',
    'a/memory.current': '100\n',
    'a/memory.max': 'max\n',
    'a/memory.stat': 'inactive_file 400\n',
  });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const s = new CgroupV2Reader(root).read('/a');
  assert.equal(s?.memory?.workingSetBytes, 0n);
  assert.equal(s?.memory?.availableBytes, undefined);
  assert.equal(s?.cpuUsageNs, undefined);
  assert.equal(s?.pids, undefined);
});

test('v1 hybrid: cpuacct.usage, memory.usage_in_bytes minus total_inactive_file, memsw swap, pids.current', (t) => {
  const root = tree({
    'unified/cgroup.controllers': '',
    [`cpu,cpuacct/${CG}/cpuacct.usage`]: '123456789\n',
    [`memory/${CG}/memory.usage_in_bytes`]: '8000\n',
    [`memory/${CG}/memory.limit_in_bytes`]: '20000\n',
    [`memory/${CG}/memory.stat`]: 'cache 5000\nrss 100\ninactive_file 999\ntotal_rss 3000\ntotal_inactive_file 2000\ntotal_pgfault 10\ntotal_pgmajfault 1\n',
    [`memory/${CG}/memory.memsw.usage_in_bytes`]: '9000\n',
    [`memory/${CG}/memory.memsw.limit_in_bytes`]: '30000\n',
    [`pids/${CG}/pids.current`]: '2\n',
  });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const layout = detectCgroupLayout(root);
  assert.equal(layout.kind, 'legacy');
  assert.ok(layout.kind === 'legacy' && layout.hybrid);
  const r = cgroupReader(layout);
  assert.equal(r.version, 1);
  assert.deepEqual(r.read(`/${CG}`), {
    cpuUsageNs: 123_456_789n,
    memory: { usageBytes: 8000n, workingSetBytes: 6000n, availableBytes: 14_000n, rssBytes: 3000n, pageFaults: 10n, majorPageFaults: 1n },
    swap: { usageBytes: 1000n, availableBytes: 9000n },
    pids: 2n,
  });
  assert.equal(r.read('/nope'), undefined);
});

test('v1: the "unlimited" limit gives no available bytes; separate cpuacct folder; missing controllers', (t) => {
  const root = tree({
    'cpuacct/x/cpuacct.usage': '5\n',
    'memory/x/memory.usage_in_bytes': '10\n',
    'memory/x/memory.limit_in_bytes': '9223372036854771712\n',
    'memory/x/memory.stat': '',
  });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const layout = detectCgroupLayout(root);
  assert.ok(layout.kind === 'legacy' && !layout.hybrid && layout.mounts.pids === undefined);
  const s = cgroupReader(layout).read('/x');
  assert.equal(s?.cpuUsageNs, 5n);
  assert.equal(s?.memory?.workingSetBytes, 10n);
  assert.equal(s?.memory?.availableBytes, undefined);
  assert.equal(s?.swap, undefined, 'no memsw files: no swap accounting');
  assert.equal(s?.pids, undefined);
  assert.equal(new CgroupV1Reader({}).read('/x'), undefined);
});

test('cgroup paths: cgroupfs as is, systemd slices and scopes expanded', () => {
  assert.equal(sliceDir('kubepods-burstable-pod12.slice'), '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod12.slice');
  assert.equal(sliceDir('/kubepods.slice/kubepods-besteffort.slice'), '/kubepods.slice/kubepods-besteffort.slice');
  assert.equal(sliceDir('-.slice'), '/');
  assert.equal(cgroupOfSpecPath('/kubepods/pod1/abc'), '/kubepods/pod1/abc');
  assert.equal(cgroupOfSpecPath('kubepods/pod1/abc/'), '/kubepods/pod1/abc');
  assert.equal(cgroupOfSpecPath('kubepods-pod1.slice:critter:abc'), '/kubepods.slice/kubepods-pod1.slice/critter-abc.scope');
  assert.equal(cgroupOfSpecPath(':critter:abc'), '/system.slice/critter-abc.scope');
  assert.equal(cgroupOfSpecPath(''), undefined);
  assert.equal(cgroupOfParent(''), undefined);
  assert.equal(cgroupOfParent('/kubepods/burstable/pod1'), '/kubepods/burstable/pod1');
  assert.equal(cgroupOfParent('/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice'), '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice');
  assert.equal(cgroupOfParent('kubepods-burstable-pod1.slice'), '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice');
});
