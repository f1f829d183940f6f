// Writes CRI log records out as the kubelet does for `kubectl logs`: each stream to its own
// writer, partial records joined into one line, the timestamp once at the start of each line,
// lines older than --since left out, and output cut at --limit-bytes.
import { Buffer } from 'node:buffer';
import { formatLogTimestamp, type CriLogRecord, type LogStream } from './cri-log-record.js';

export interface LogWriter {
  write(chunk: Buffer): void | Promise<void>;
}

export interface LogOutputOptions {
  timestamps?: boolean;
  /** Milliseconds since the epoch; lines that start before it are skipped. */
  since?: number;
  /** Stop after this many bytes; negative or undefined for no limit. */
  limitBytes?: number;
}

interface StreamState {
  /** Inside a line whose earlier records were partial. */
  open: boolean;
  /** Whether the open line is being written. */
  keep: boolean;
}

export class LogOutput {
  private readonly state: Record<LogStream, StreamState> = {
    stdout: { open: false, keep: false },
    stderr: { open: false, keep: false },
  };
  private written = 0;

  constructor(
    private readonly writers: Record<LogStream, LogWriter>,
    private readonly opts: LogOutputOptions = {},
  ) {}

  /** The byte limit is reached: nothing more will be written. */
  get full(): boolean {
    const limit = this.opts.limitBytes ?? -1;
    return limit >= 0 && this.written >= limit;
  }

  /** Whether the record begins a line on its stream (rather than continuing a partial one). */
  startsLine(rec: CriLogRecord): boolean {
    return !this.state[rec.stream].open;
  }

  passesSince(rec: CriLogRecord): boolean {
    return this.opts.since === undefined || rec.time >= this.opts.since;
  }

  /** Takes a record; `keepLine` decides for a record that starts a line (default: --since). */
  async record(rec: CriLogRecord, keepLine?: boolean): Promise<void> {
    const st = this.state[rec.stream];
    const atStart = !st.open;
    if (atStart) st.keep = keepLine ?? this.passesSince(rec);
    st.open = rec.partial;
    if (!st.keep || this.full) return;
    const parts: Buffer[] = [];
    if (atStart && this.opts.timestamps) parts.push(Buffer.from(`${formatLogTimestamp(rec.timestamp)} `));
    parts.push(rec.content);
    if (!rec.partial) parts.push(Buffer.from('\n'));
    let chunk = Buffer.concat(parts);
    const limit = this.opts.limitBytes ?? -1;
    if (limit >= 0 && this.written + chunk.length > limit) chunk = chunk.subarray(0, limit - this.written);
    this.written += chunk.length;
    await this.writers[rec.stream].write(chunk);
  }
}
