// `critter logs --since`: Go durations, RFC 3339 times with or without a zone, dates, Unix seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGoDuration, parseSince } from '../../../src/cli/logs/since.js';

test('Go durations', () => {
  assert.equal(parseGoDuration('5m'), 300_000);
  assert.equal(parseGoDuration('1h30m'), 5_400_000);
  assert.equal(parseGoDuration('1.5s'), 1500);
  assert.equal(parseGoDuration('250ms'), 250);
  assert.equal(parseGoDuration('0'), 0);
  for (const bad of ['', '5', 'm', '5 m', '5d', '1h30']) assert.equal(parseGoDuration(bad), undefined, bad);
});

test('--since takes a duration back from now, a time, a date or Unix seconds', () => {
  const now = Date.UTC(2024, 4, 6, 12, 0, 0);
  assert.equal(parseSince('5m', now), now - 300_000);
  assert.equal(parseSince('42m', now), now - 42 * 60_000);
  assert.equal(parseSince('2024-05-06T11:00:00Z', now), Date.UTC(2024, 4, 6, 11));
  assert.equal(parseSince('2024-05-06T11:00:00.5+01:00', now), Date.UTC(2024, 4, 6, 10, 0, 0, 500));
  assert.equal(parseSince('2024-05-06T11:00:00.123456789Z', now), Date.UTC(2024, 4, 6, 11, 0, 0, 123));
  // No zone: local time, as crictl reads it.
  assert.equal(parseSince('2013-01-02T13:23:37', now), new Date(2013, 0, 2, 13, 23, 37).getTime());
  assert.equal(parseSince('2013-01-02', now), new Date(2013, 0, 2).getTime());
  assert.equal(parseSince('1136073600', now), 1136073600_000);
  assert.equal(parseSince('1136073600.5', now), 1136073600_500);
  assert.throws(() => parseSince('yesterday', now), /bad --since "yesterday"/);
  assert.throws(() => parseSince('2024-13-45T99:00:00Z', now), /bad --since/);
});
