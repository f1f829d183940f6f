// Fails a pull whose registry stops sending: while at least one transfer is open, some byte
// must arrive every `timeoutMs`. Waiting for a download slot or unpacking is not a stall
// (containerd's image_pull_progress_timeout behaves the same way).
import { unavailable } from '../../util/errors.js';

export class StallWatchdog {
  private readonly ac = new AbortController();
  private open = 0;
  private timer: NodeJS.Timeout | undefined;

  /** `timeoutMs` 0 disables the check. */
  constructor(
    private readonly timeoutMs: number,
    private readonly describe: () => string,
  ) {}

  /** Aborted with Unavailable when the pull stalls. */
  get signal(): AbortSignal {
    return this.ac.signal;
  }

  /** A transfer started; returns its end. */
  begin(): () => void {
    this.open++;
    this.arm();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.open--;
      if (this.open === 0) this.disarm();
      else this.arm();
    };
  }

  /** Bytes arrived. */
  progress(): void {
    if (this.open > 0) this.arm();
  }

  dispose(): void {
    this.disarm();
  }

  private arm(): void {
    if (this.timeoutMs <= 0 || this.ac.signal.aborted) return;
    if (this.timer) this.timer.refresh();
    else this.timer = setTimeout(() => this.ac.abort(unavailable(this.describe())), this.timeoutMs);
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
