// The node-wide download limiter ([image] max_concurrent_downloads): a counting semaphore whose
// waiters leave the queue when their pull is cancelled.
import { cancelled, CritterError } from '../../util/errors.js';

interface Waiter {
  grant: (release: () => void) => void;
  fail: (e: Error) => void;
}

export class DownloadLimiter {
  private active = 0;
  private readonly waiting: Waiter[] = [];

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`download limit must be a positive integer, got ${max}`);
  }

  get inUse(): number {
    return this.active;
  }

  /** Resolves with a release function once a slot is free. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(reasonOf(signal));
    if (this.active < this.max) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
        fail: reject,
      };
      const onAbort = (): void => {
        const i = this.waiting.indexOf(w);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(reasonOf(signal as AbortSignal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(w);
    });
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter; the count stays.
      if (next) next.grant(this.releaser());
      else this.active--;
    };
  }
}

function reasonOf(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof CritterError ? r : cancelled('download cancelled while waiting for a free slot');
}
