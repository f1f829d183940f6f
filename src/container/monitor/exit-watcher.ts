// Waits for conmon's exit files. One fs.watch on the exit dir serves every watched container;
// a slow poll backs it up (inotify can miss events, e.g. on overlay or after a dir re-create),
// and the first check happens at once, so containers that ended while no daemon was running
// (recovery) are reported too.
import { watch, type FSWatcher } from 'node:fs';
import { readExitFile } from './exit-file.js';
import type { ExitInfo } from './conmon-types.js';
import type { Logger } from '../../util/log.js';

export type ExitCallback = (info: ExitInfo) => void;

interface Watch {
  cb: ExitCallback;
  persistDir?: string;
}

export class ExitWatcher {
  private readonly watches = new Map<string, Set<Watch>>();
  private fsw?: FSWatcher;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly exitDir: string,
    private readonly log: Logger,
    private readonly pollMs = 2000,
  ) {}

  /** Calls `cb` once when container `id` has exited; the returned function cancels. */
  watch(id: string, cb: ExitCallback, persistDir?: string): () => void {
    const w: Watch = { cb, persistDir };
    let set = this.watches.get(id);
    if (!set) this.watches.set(id, (set = new Set()));
    set.add(w);
    this.ensureRunning();
    // Already there: report on the next tick so the caller has its canceller first.
    setImmediate(() => this.check(id));
    return () => this.remove(id, w);
  }

  /** Stops watching everything. */
  close(): void {
    this.watches.clear();
    this.stopIfIdle();
  }

  private remove(id: string, w: Watch): void {
    const set = this.watches.get(id);
    if (!set) return;
    set.delete(w);
    if (set.size === 0) this.watches.delete(id);
    this.stopIfIdle();
  }

  private ensureRunning(): void {
    if (!this.fsw) {
      try {
        this.fsw = watch(this.exitDir, (_event, filename) => {
          if (filename && this.watches.has(filename)) this.check(filename);
        });
        this.fsw.on('error', (e) => {
          this.log.warn({ err: e, dir: this.exitDir }, 'exit dir watch failed; polling only');
          this.fsw?.close();
          this.fsw = undefined;
        });
      } catch (e) {
        this.log.warn({ err: e, dir: this.exitDir }, 'cannot watch exit dir; polling only');
      }
    }
    this.timer ??= setInterval(() => {
      for (const id of [...this.watches.keys()]) this.check(id);
    }, this.pollMs);
  }

  private stopIfIdle(): void {
    if (this.watches.size > 0) return;
    this.fsw?.close();
    this.fsw = undefined;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(id: string): void {
    const set = this.watches.get(id);
    if (!set || set.size === 0) return;
    for (const w of [...set]) {
      const info = readExitFile(this.exitDir, id, w.persistDir);
      if (!info) return;
      this.remove(id, w);
      try {
        w.cb(info);
      } catch (e) {
        this.log.error({ err: e, id }, 'exit callback threw');
      }
    }
  }
}
