// Draws pull progress: one bar per layer plus a total on a terminal (cli-progress), plain
// lines otherwise (one per layer state change), and a spinner with the elapsed time when the
// runtime reports no progress (any runtime but critterd). Everything goes to stderr so stdout
// keeps crictl's single result line.
import cliProgress from 'cli-progress';
import type { LayerProgressMessage, PullProgressMessage } from '../../server/image/progress-protocol.js';
import { humanRate, humanSize } from './human-size.js';

export interface ProgressRenderer {
  update(p: PullProgressMessage): void;
  /** The runtime gives no progress: show that time passes. */
  spinner(image: string): void;
  stop(): void;
}

const short = (digest: string): string => digest.replace(/^sha256:/, '').slice(0, 12);

export function makeRenderer(stream: NodeJS.WriteStream = process.stderr): ProgressRenderer {
  return stream.isTTY ? new TtyRenderer(stream) : new PlainRenderer(stream);
}

interface LayerTiming {
  started?: number;
  ended?: number;
}

function rate(l: LayerProgressMessage, t: LayerTiming | undefined, now: number): string {
  if (!t?.started || l.state === 'exists') return '';
  return humanRate(l.downloaded, (t.ended ?? now) - t.started);
}

class TtyRenderer implements ProgressRenderer {
  private readonly multi: cliProgress.MultiBar;
  private readonly bars = new Map<string, cliProgress.SingleBar>();
  private readonly timing = new Map<string, LayerTiming>();
  private total: cliProgress.SingleBar | undefined;
  private spin: NodeJS.Timeout | undefined;

  constructor(private readonly stream: NodeJS.WriteStream) {
    this.multi = new cliProgress.MultiBar(
      { stream, format: ' {name} |{bar}| {done}/{size} {speed} {state}', hideCursor: true, barsize: 30, autopadding: true, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
  }

  update(p: PullProgressMessage): void {
    const now = Date.now();
    for (const l of p.layers) {
      const t = this.timing.get(l.digest) ?? {};
      if (l.state === 'downloading' && t.started === undefined) t.started = now;
      if ((l.state === 'downloaded' || l.state === 'unpacking' || l.state === 'unpacked') && t.started !== undefined) t.ended ??= now;
      this.timing.set(l.digest, t);
      const payload = { name: short(l.digest), done: humanSize(l.downloaded), size: humanSize(l.size), speed: rate(l, t, now), state: l.state };
      const bar = this.bars.get(l.digest);
      if (bar) bar.update(l.downloaded, payload);
      else this.bars.set(l.digest, this.multi.create(Math.max(l.size, 1), l.downloaded, payload));
    }
    const size = p.layers.reduce((n, l) => n + l.size, 0);
    const done = p.layers.reduce((n, l) => n + l.downloaded, 0);
    const payload = { name: 'total       ', done: humanSize(done), size: humanSize(size), speed: humanRate(done, now - p.startedAt), state: p.phase };
    if (p.layers.length > 0) {
      if (this.total) this.total.update(done, payload);
      else this.total = this.multi.create(Math.max(size, 1), done, payload);
    }
  }

  spinner(image: string): void {
    const frames = ['|', '/', '-', '\\'];
    const start = Date.now();
    let i = 0;
    this.spin = setInterval(() => {
      this.stream.write(`\r${frames[i++ % frames.length]} pulling ${image} (${((Date.now() - start) / 1000).toFixed(0)} s)`);
    }, 200);
  }

  stop(): void {
    if (this.spin) {
      clearInterval(this.spin);
      this.stream.write('\r\x1b[K');
    }
    this.multi.stop();
  }
}

class PlainRenderer implements ProgressRenderer {
  private readonly seen = new Map<string, string>();

  constructor(private readonly stream: NodeJS.WritableStream) {}

  update(p: PullProgressMessage): void {
    for (const l of p.layers) {
      if (this.seen.get(l.digest) === l.state) continue;
      this.seen.set(l.digest, l.state);
      if (l.state === 'waiting') continue;
      this.stream.write(`${short(l.digest)}: ${l.state} ${humanSize(l.downloaded)}/${humanSize(l.size)}\n`);
    }
    if (p.phase === 'done') {
      const bytes = p.layers.reduce((n, l) => n + l.size, 0);
      const ms = Date.now() - p.startedAt;
      this.stream.write(`pulled ${humanSize(bytes)} in ${(ms / 1000).toFixed(1)} s (${humanRate(bytes, ms)})\n`);
    }
  }

  spinner(): void {
    // Nothing to animate in a log.
  }

  stop(): void {}
}
