// Reads a CRI container log file for `critter logs`: the whole file or its last N lines, then,
// with follow, whatever is appended. The kubelet's log rotation renames the file and has the
// runtime reopen a new one at the same path (ReopenContainerLog); the follower notices the new
// inode, drains the old file and goes on with the new one from its start. A file truncated in
// place is read again from the start.
import { Buffer } from 'node:buffer';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseCriLogLine, type CriLogRecord, type LogStream } from './cri-log-record.js';
import { LogOutput, type LogWriter } from './log-output.js';

export interface ReadLogsOptions {
  follow?: boolean;
  /** Lines from the end to show; negative or undefined for all. */
  tail?: number;
  /** Milliseconds since the epoch. */
  since?: number;
  timestamps?: boolean;
  limitBytes?: number;
  /** Asked when following finds nothing new: following ends once this says false. */
  isRunning?: () => Promise<boolean>;
  signal?: AbortSignal;
  /** How often to look for new data and rotation while following. */
  pollMs?: number;
  /** How often, while idle, to ask isRunning. */
  runningCheckMs?: number;
  onBadLine?: (line: Buffer, err: Error) => void;
}

const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

/** One open log file and how far into it the reader is. */
class LogFile {
  /** Bytes read past the last complete line: a line still being written. */
  private rest: Buffer = Buffer.alloc(0);
  private pos = 0;

  private constructor(
    readonly fh: FileHandle,
    readonly ino: number,
  ) {}

  static async open(path: string): Promise<LogFile> {
    const fh = await open(path, 'r');
    try {
      return new LogFile(fh, (await fh.stat()).ino);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** Where the next complete line starts. */
  get offset(): number {
    return this.pos - this.rest.length;
  }

  rewind(to = 0): void {
    this.pos = to;
    this.rest = Buffer.alloc(0);
  }

  /** Calls back with each complete line up to `end` (EOF by default); returns the count. */
  async scan(onLine: (line: Buffer) => Promise<void>, end = Infinity): Promise<number> {
    const buf = Buffer.alloc(CHUNK);
    let lines = 0;
    while (this.pos < end) {
      const { bytesRead } = await this.fh.read(buf, 0, Math.min(CHUNK, end - this.pos), this.pos);
      if (bytesRead === 0) break;
      this.pos += bytesRead;
      const data = this.rest.length > 0 ? Buffer.concat([this.rest, buf.subarray(0, bytesRead)]) : Buffer.from(buf.subarray(0, bytesRead));
      let start = 0;
      for (let nl = data.indexOf(NEWLINE); nl >= 0; nl = data.indexOf(NEWLINE, start)) {
        await onLine(data.subarray(start, nl));
        lines++;
        start = nl + 1;
      }
      this.rest = data.subarray(start);
    }
    return lines;
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

/** Counts the lines (partial records joined, per stream) that start at or after `since`. */
class LineCounter {
  private readonly open: Record<LogStream, boolean> = { stdout: false, stderr: false };
  count = 0;

  constructor(private readonly since: number | undefined) {}

  add(rec: CriLogRecord): void {
    if (!this.open[rec.stream] && (this.since === undefined || rec.time >= this.since)) this.count++;
    this.open[rec.stream] = rec.partial;
  }
}

export async function readLogs(path: string, opts: ReadLogsOptions, writers: Record<LogStream, LogWriter>): Promise<void> {
  const out = new LogOutput(writers, opts);
  const parse = (line: Buffer): CriLogRecord | undefined => {
    try {
      return parseCriLogLine(line);
    } catch (e) {
      opts.onBadLine?.(line, e as Error);
      return undefined;
    }
  };
  let file = await LogFile.open(path);
  try {
    // What is in the file now: with --tail, a first pass counts lines so the second can skip all
    // but the last N without holding the file in memory.
    const end = (await file.fh.stat()).size;
    let skip = 0;
    const tail = opts.tail ?? -1;
    if (tail >= 0) {
      const counter = new LineCounter(opts.since);
      await file.scan(async (line) => {
        const rec = parse(line);
        if (rec) counter.add(rec);
      }, end);
      skip = Math.max(0, counter.count - tail);
      file.rewind();
    }
    let seen = 0;
    await file.scan(async (line) => {
      const rec = parse(line);
      if (!rec) return;
      let keep: boolean | undefined;
      if (out.startsLine(rec)) {
        keep = out.passesSince(rec);
        if (keep) keep = ++seen > skip;
      }
      await out.record(rec, keep);
    }, end);
    if (!opts.follow) return;

    const pollMs = opts.pollMs ?? 100;
    const runningCheckMs = opts.runningCheckMs ?? 1000;
    const emit = async (line: Buffer): Promise<void> => {
      const rec = parse(line);
      if (rec) await out.record(rec);
    };
    let lastCheck = Date.now();
    let stopping = false;
    while (!out.full && !opts.signal?.aborted) {
      if ((await file.scan(emit)) > 0) {
        lastCheck = Date.now();
        continue;
      }
      const now = await stat(path).catch(() => undefined);
      if (now && now.ino !== file.ino) {
        // Rotated: the runtime writes to the new file only once it exists, so the old one is
        // complete after one more drain.
        await file.scan(emit);
        const next = await LogFile.open(path).catch(() => undefined);
        if (next) {
          await file.close();
          file = next;
          continue;
        }
      } else if (now && now.size < file.offset) {
        file.rewind();
        continue;
      }
      if (stopping) break;
      if (opts.isRunning && Date.now() - lastCheck >= runningCheckMs) {
        lastCheck = Date.now();
        // One more pass after the container stopped picks up its last lines.
        if (!(await opts.isRunning())) stopping = true;
        continue;
      }
      await sleep(pollMs, undefined, { signal: opts.signal }).catch(() => undefined);
    }
  } finally {
    await file.close();
  }
}
