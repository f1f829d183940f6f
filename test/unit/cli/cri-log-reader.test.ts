// The CRI log reader behind `critter logs`: parsing, partial lines, --tail, --since,
// --timestamps, --limit-bytes, and following a file across rotation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatLogTimestamp, parseCriLogLine } from '../../../src/cli/logs/cri-log-record.js';
import { readLogs, type ReadLogsOptions } from '../../../src/cli/logs/read-logs.js';

const T = (s: number, frac = '000000000'): string => `2024-05-06T07:08:${String(s).padStart(2, '0')}.${frac}Z`;
const rec = (s: number, stream: 'stdout' | 'stderr', tag: 'P' | 'F', content: string): string => `${T(s)} ${stream} ${tag} ${content}\n`;

function tempLog(content: string): { dir: string; path: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), 'critter-logs-'));
  const path = join(dir, '0.log');
  writeFileSync(path, content);
  return { dir, path, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

interface Captured {
  stdout: string;
  stderr: string;
  /** Both streams in write order, each chunk tagged. */
  both: string[];
}

async function read(path: string, opts: ReadLogsOptions = {}): Promise<Captured> {
  const out: Captured = { stdout: '', stderr: '', both: [] };
  const bufs = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  const writer = (s: 'stdout' | 'stderr') => ({
    write(c: Buffer) {
      bufs[s].push(Buffer.from(c));
      out.both.push(`${s}:${c.toString()}`);
    },
  });
  await readLogs(path, opts, { stdout: writer('stdout'), stderr: writer('stderr') });
  out.stdout = Buffer.concat(bufs.stdout).toString();
  out.stderr = Buffer.concat(bufs.stderr).toString();
  return out;
}

test('a CRI log line parses into time, stream, tag and content', () => {
  const r = parseCriLogLine(Buffer.from('2016-10-06T00:17:09.669794202Z stdout F The content of the log entry 1'));
  assert.equal(r.timestamp, '2016-10-06T00:17:09.669794202Z');
  assert.equal(r.time, Date.UTC(2016, 9, 6, 0, 17, 9, 669));
  assert.equal(r.stream, 'stdout');
  assert.equal(r.partial, false);
  assert.equal(r.content.toString(), 'The content of the log entry 1');
  const p = parseCriLogLine(Buffer.from('2016-10-06T00:17:10.113242941+02:00 stderr P:x  two spaces '));
  assert.equal(p.stream, 'stderr');
  assert.equal(p.partial, true);
  assert.equal(p.content.toString(), ' two spaces ');
  assert.equal(parseCriLogLine(Buffer.from(`${T(1)} stdout F `)).content.length, 0);
  assert.equal(parseCriLogLine(Buffer.from(`${T(1)} stdout F`)).content.length, 0);
  for (const bad of ['garbage', `${T(1)} stdin F x`, `${T(1)} stdout X x`, 'yesterday stdout F x', `${T(1)}`]) {
    assert.throws(() => parseCriLogLine(Buffer.from(bad)), Error, bad);
  }
});

test('timestamps print with nine fractional digits and the zone as written, as the kubelet does', () => {
  assert.equal(formatLogTimestamp('2016-10-06T00:17:09.6697942Z'), '2016-10-06T00:17:09.669794200Z');
  assert.equal(formatLogTimestamp('2016-10-06T00:17:09Z'), '2016-10-06T00:17:09.000000000Z');
  assert.equal(formatLogTimestamp('2016-10-06T00:17:09.1+02:00'), '2016-10-06T00:17:09.100000000+02:00');
});

test('stdout and stderr go to their own writers; partial records join into one line per stream', async () => {
  using f = tempLog(
    rec(1, 'stdout', 'F', 'hello') +
      rec(2, 'stdout', 'P', 'a long ') +
      rec(2, 'stderr', 'F', 'oops') +
      rec(3, 'stdout', 'P', 'line in ') +
      rec(3, 'stdout', 'F', 'three parts') +
      rec(4, 'stderr', 'F', ''),
  );
  const out = await read(f.path);
  assert.equal(out.stdout, 'hello\na long line in three parts\n');
  assert.equal(out.stderr, 'oops\n\n');
});

test('a UTF-8 character cut between partial records comes out whole', async () => {
  const euro = Buffer.from('€');
  using f = tempLog('');
  writeFileSync(
    f.path,
    Buffer.concat([Buffer.from(`${T(1)} stdout P price `), euro.subarray(0, 1), Buffer.from(`\n${T(1)} stdout F `), euro.subarray(1), Buffer.from('5\n')]),
  );
  assert.equal((await read(f.path)).stdout, 'price €5\n');
});

test('--timestamps prefixes each line once, with the time of its first record', async () => {
  using f = tempLog(rec(1, 'stdout', 'P', 'par') + rec(2, 'stdout', 'F', 'tial') + rec(3, 'stderr', 'F', 'err'));
  const out = await read(f.path, { timestamps: true });
  assert.equal(out.stdout, `${T(1)} partial\n`);
  assert.equal(out.stderr, `${T(3)} err\n`);
});

test('--tail counts whole lines across both streams; 0 prints nothing', async () => {
  using f = tempLog(
    rec(1, 'stdout', 'F', 'one') + rec(2, 'stderr', 'F', 'two') + rec(3, 'stdout', 'P', 'thr') + rec(3, 'stdout', 'F', 'ee') + rec(4, 'stderr', 'F', 'four'),
  );
  const t2 = await read(f.path, { tail: 2 });
  assert.equal(t2.stdout, 'three\n');
  assert.equal(t2.stderr, 'four\n');
  assert.deepEqual(t2.both, ['stdout:thr', 'stdout:ee\n', 'stderr:four\n']);
  assert.equal((await read(f.path, { tail: 1 })).stderr, 'four\n');
  assert.equal((await read(f.path, { tail: 1 })).stdout, '');
  const t0 = await read(f.path, { tail: 0 });
  assert.equal(t0.stdout + t0.stderr, '');
  const all = await read(f.path, { tail: 100 });
  assert.equal(all.stdout, 'one\nthree\n');
  assert.equal((await read(f.path, { tail: -1 })).stderr, 'two\nfour\n');
});

test('--since drops lines that start before it; with --tail, the last N of the rest', async () => {
  using f = tempLog(rec(1, 'stdout', 'F', 'one') + rec(2, 'stdout', 'P', 'tw') + rec(3, 'stdout', 'F', 'o') + rec(4, 'stdout', 'F', 'four') + rec(5, 'stdout', 'F', 'five'));
  const since = Date.parse(T(2));
  assert.equal((await read(f.path, { since })).stdout, 'two\nfour\nfive\n');
  // A line that began before --since is left out whole, even its later records.
  assert.equal((await read(f.path, { since: Date.parse(T(3)) })).stdout, 'four\nfive\n');
  assert.equal((await read(f.path, { since, tail: 2 })).stdout, 'four\nfive\n');
  assert.equal((await read(f.path, { since: Date.parse(T(9)) })).stdout, '');
});

test('--limit-bytes cuts the output', async () => {
  using f = tempLog(rec(1, 'stdout', 'F', 'hello') + rec(2, 'stdout', 'F', 'world'));
  assert.equal((await read(f.path, { limitBytes: 8 })).stdout, 'hello\nwo');
});

test('lines not in the CRI format are skipped and reported; a line still being written is not read', async () => {
  using f = tempLog(`${rec(1, 'stdout', 'F', 'good')}not a log line\n${T(2)} stdout F unfinish`);
  const bad: string[] = [];
  const out = await read(f.path, { onBadLine: (l) => bad.push(l.toString()) });
  assert.equal(out.stdout, 'good\n');
  assert.deepEqual(bad, ['not a log line']);
});

/** Follows `path` in the background; `stop()` aborts and returns what was printed. */
function follow(path: string, opts: ReadLogsOptions = {}) {
  const ac = new AbortController();
  const chunks: string[] = [];
  const done = readLogs(path, { follow: true, pollMs: 20, signal: ac.signal, ...opts }, {
    stdout: { write: (c) => void chunks.push(`out:${c.toString()}`) },
    stderr: { write: (c) => void chunks.push(`err:${c.toString()}`) },
  });
  const text = () => chunks.map((c) => c.slice(4)).join('');
  return {
    chunks,
    text,
    done,
    async waitFor(s: string, ms = 3000): Promise<void> {
      const end = Date.now() + ms;
      while (!text().includes(s)) {
        if (Date.now() > end) assert.fail(`timed out waiting for ${JSON.stringify(s)}; have ${JSON.stringify(text())}`);
        await sleep(10);
      }
    },
    async stop(): Promise<string> {
      ac.abort();
      await done;
      return text();
    },
  };
}

test('follow prints appended lines, joins partial records written apart, and goes on across rename + recreate (log rotation)', async () => {
  using f = tempLog(rec(1, 'stdout', 'F', 'before'));
  const fl = follow(f.path, { tail: 1, timestamps: true });
  await fl.waitFor('before\n');
  appendFileSync(f.path, rec(2, 'stdout', 'F', 'appended'));
  await fl.waitFor('appended\n');
  appendFileSync(f.path, rec(3, 'stdout', 'P', 'split '));
  await sleep(60);
  appendFileSync(f.path, rec(3, 'stdout', 'F', 'write'));
  await fl.waitFor('split write\n');
  // The kubelet renames the file, the runtime writes a last line to it, then reopens the path.
  renameSync(f.path, `${f.path}.20240506-070809`);
  appendFileSync(`${f.path}.20240506-070809`, rec(4, 'stderr', 'F', 'last in the old file'));
  await sleep(60);
  writeFileSync(f.path, rec(5, 'stdout', 'F', 'first in the new file'));
  await fl.waitFor('first in the new file\n');
  appendFileSync(f.path, rec(6, 'stdout', 'F', 'second in the new file'));
  await fl.waitFor('second in the new file\n');
  // Rotated again, by copy and truncate this time.
  truncateSync(f.path, 0);
  appendFileSync(f.path, rec(7, 'stdout', 'F', 'after truncation'));
  await fl.waitFor('after truncation\n');
  await fl.stop();
  assert.deepEqual(fl.chunks, [
    `out:${T(1)} before\n`,
    `out:${T(2)} appended\n`,
    `out:${T(3)} split `,
    'out:write\n',
    `err:${T(4)} last in the old file\n`,
    `out:${T(5)} first in the new file\n`,
    `out:${T(6)} second in the new file\n`,
    `out:${T(7)} after truncation\n`,
  ]);
});

test('follow ends by itself once the container is no longer running, after reading its last lines', async () => {
  using f = tempLog(rec(1, 'stdout', 'F', 'one'));
  let running = true;
  const fl = follow(f.path, { runningCheckMs: 50, isRunning: () => Promise.resolve(running) });
  await fl.waitFor('one\n');
  appendFileSync(f.path, rec(2, 'stdout', 'F', 'two'));
  await fl.waitFor('two\n');
  appendFileSync(f.path, rec(3, 'stdout', 'F', 'last words'));
  running = false;
  await fl.done;
  assert.equal(fl.text(), 'one\ntwo\nlast words\n');
});

test('follow waits while the file is renamed away and not yet recreated', async () => {
  using f = tempLog(rec(1, 'stdout', 'F', 'one'));
  const fl = follow(f.path);
  await fl.waitFor('one\n');
  renameSync(f.path, `${f.path}.1`);
  await sleep(100);
  writeFileSync(f.path, rec(2, 'stdout', 'F', 'two'));
  await fl.waitFor('two\n');
  assert.equal(await fl.stop(), 'one\ntwo\n');
});
