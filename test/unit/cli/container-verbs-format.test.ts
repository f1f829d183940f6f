// The small formatting and parsing pieces of ps, inspect and update.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { ContainerState, ContainerStatusResponseSchema } from '../../../src/gen/runtime/v1/api_pb.js';
import { containerFilter, createdAgo, humanDuration, parseLabels, shortId, stateName } from '../../../src/cli/commands/ps.js';
import { inspectJson, rfc3339Nano } from '../../../src/cli/commands/inspect.js';
import { parseMemorySize } from '../../../src/cli/commands/update.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

test('"N minutes ago" reads as docker and crictl print it', () => {
  const cases: [number, string][] = [
    [0, 'Less than a second'],
    [999, 'Less than a second'],
    [S, '1 second'],
    [59 * S, '59 seconds'],
    [60 * S, 'About a minute'],
    [119 * S, 'About a minute'],
    [2 * M, '2 minutes'],
    [59 * M + 59 * S, '59 minutes'],
    [60 * M, 'About an hour'],
    [89 * M, 'About an hour'],
    [90 * M, '2 hours'],
    [47 * H, '47 hours'],
    [48 * H, '2 days'],
    [13 * D, '13 days'],
    [14 * D, '2 weeks'],
    [59 * D, '8 weeks'],
    [60 * D, '2 months'],
    [729 * D, '24 months'],
    [730 * D, '2 years'],
  ];
  for (const [ms, text] of cases) assert.equal(humanDuration(ms), text, `${ms} ms`);
  const now = Date.UTC(2024, 0, 1);
  assert.equal(createdAgo(BigInt(now - 2 * M) * 1_000_000n, now), '2 minutes ago');
  // A clock a little behind the runtime's is not "-1 seconds".
  assert.equal(createdAgo(BigInt(now + 5 * S) * 1_000_000n, now), 'Less than a second ago');
});

test('ps: states, short IDs, labels and the default running-only filter', () => {
  assert.deepEqual(
    [ContainerState.CONTAINER_CREATED, ContainerState.CONTAINER_RUNNING, ContainerState.CONTAINER_EXITED, ContainerState.CONTAINER_UNKNOWN].map(stateName),
    ['Created', 'Running', 'Exited', 'Unknown'],
  );
  assert.equal(shortId(`sha256:${'ab'.repeat(32)}`), 'ababababababa');
  assert.equal(shortId('0123456789abcdef'), '0123456789abc');
  assert.deepEqual(parseLabels(['a=b', 'c=d=e', 'empty=']), { a: 'b', c: 'd=e', empty: '' });
  assert.throws(() => parseLabels(['novalue']), /bad --label "novalue"/);
  assert.deepEqual(containerFilter({}), { state: ContainerState.CONTAINER_RUNNING, labels: {} });
  assert.deepEqual(containerFilter({ all: true }), { labels: {} });
  assert.deepEqual(containerFilter({ state: 'Exited' }), { state: ContainerState.CONTAINER_EXITED, labels: {} });
  assert.deepEqual(containerFilter({ latest: true, state: 'running' }), { labels: {} });
  assert.deepEqual(containerFilter({ last: 3 }), { labels: {} });
  assert.throws(() => containerFilter({ state: 'paused' }), /--state must be one of created, running, exited or unknown/);
});

test('inspect: times as RFC 3339, zero as Go zero time, info entries decoded from JSON', () => {
  assert.equal(rfc3339Nano(1_700_000_000_123_456_789n), '2023-11-14T22:13:20.123456789Z');
  assert.equal(rfc3339Nano(1_700_000_000_000_000_000n), '2023-11-14T22:13:20Z');
  assert.equal(rfc3339Nano(0n), '0001-01-01T00:00:00Z');
  const res = create(ContainerStatusResponseSchema, {
    status: { id: 'c1', state: ContainerState.CONTAINER_RUNNING, createdAt: 1_700_000_000_500_000_000n, startedAt: 1_700_000_001_000_000_000n, finishedAt: 0n },
    info: { info: '{"pid": 42, "runtimeSpec": {"ociVersion": "1.0.2"}}', note: 'plain text' },
  });
  const j = inspectJson(res);
  const status = j.status as Record<string, unknown>;
  assert.equal(status.id, 'c1');
  assert.equal(status.state, 'CONTAINER_RUNNING');
  assert.equal(status.createdAt, '2023-11-14T22:13:20.5Z');
  assert.equal(status.startedAt, '2023-11-14T22:13:21Z');
  assert.equal(status.finishedAt, '0001-01-01T00:00:00Z');
  assert.deepEqual(j.info, { pid: 42, runtimeSpec: { ociVersion: '1.0.2' } });
  assert.equal(j.note, 'plain text');
});

test('update --memory takes bytes or docker-style sizes', () => {
  assert.equal(parseMemorySize('67108864'), 67108864n);
  assert.equal(parseMemorySize('64m'), 64n * 1024n * 1024n);
  assert.equal(parseMemorySize('64Mi'), 64n * 1024n * 1024n);
  assert.equal(parseMemorySize('1G'), 1024n ** 3n);
  assert.equal(parseMemorySize('512k'), 512n * 1024n);
  assert.equal(parseMemorySize('1.5g'), 1536n * 1024n * 1024n);
  assert.throws(() => parseMemorySize('lots'), /"lots" is not a size/);
});
