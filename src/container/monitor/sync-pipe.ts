// conmon's sync pipe: newline-terminated JSON objects `{"data": N, "message": "..."}` (API
// version 1; older conmon says "pid" or "exit_code" instead of "data").
import type { Readable } from 'node:stream';
import type { SyncMessage } from './conmon-types.js';

export function parseSyncLine(line: string): SyncMessage | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const n = [o.data, o.pid, o.exit_code].find((x) => typeof x === 'number');
  if (typeof n !== 'number') return undefined;
  return typeof o.message === 'string' ? { data: n, message: o.message } : { data: n };
}

/**
 * Reads sync messages off a stream as they arrive. `next()` resolves with the next message, or
 * undefined when the pipe closed first.
 */
export class SyncReader {
  private buf = '';
  private queue: SyncMessage[] = [];
  private waiters: ((m: SyncMessage | undefined) => void)[] = [];
  private ended = false;

  constructor(stream: Readable) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      this.buf += chunk;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        const m = line ? parseSyncLine(line) : undefined;
        if (m) this.push(m);
      }
    });
    const end = (): void => {
      const rest = this.buf.trim();
      this.buf = '';
      const m = rest ? parseSyncLine(rest) : undefined;
      if (m) this.push(m);
      this.ended = true;
      for (const w of this.waiters.splice(0)) w(undefined);
    };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
  }

  next(): Promise<SyncMessage | undefined> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private push(m: SyncMessage): void {
    const w = this.waiters.shift();
    if (w) w(m);
    else this.queue.push(m);
  }
}
