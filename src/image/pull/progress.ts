// Pull progress, for the critter client's progress bars. The CRI PullImage RPC reports
// nothing until it ends, so pulls publish their per-layer byte counts here, keyed by the
// normalised reference, and a critter-specific watch call (src/server/image/progress-*.ts)
// streams them. Purely informational: nothing in the pull depends on anyone watching.

export type LayerState = 'waiting' | 'downloading' | 'downloaded' | 'exists' | 'unpacking' | 'unpacked';

export interface LayerProgress {
  digest: string;
  size: number;
  downloaded: number;
  state: LayerState;
}

export interface PullProgress {
  /** The canonical reference being pulled: "docker.io/library/busybox:latest". */
  image: string;
  /** resolving: fetching manifests and config; then layers; then done or failed. */
  phase: 'resolving' | 'layers' | 'done' | 'failed';
  startedAt: number;
  layers: LayerProgress[];
  imageId?: string;
  error?: string;
}

export type ProgressListener = (p: PullProgress) => void;

/** Byte counts are published at most this often; state changes at once. */
const THROTTLE_MS = 100;

export class PullTracker {
  private readonly state: PullProgress;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    image: string,
    private readonly publish: (p: PullProgress) => void,
  ) {
    this.state = { image, phase: 'resolving', startedAt: Date.now(), layers: [] };
  }

  snapshot(): PullProgress {
    return { ...this.state, layers: this.state.layers.map((l) => ({ ...l })) };
  }

  setLayers(layers: { digest: string; size: number }[]): void {
    this.state.layers = layers.map((l) => ({ digest: l.digest, size: l.size, downloaded: 0, state: 'waiting' }));
    this.state.phase = 'layers';
    this.flush();
  }

  layerState(i: number, state: LayerState): void {
    const l = this.state.layers[i];
    if (!l) return;
    l.state = state;
    if (state === 'exists' || state === 'downloaded') l.downloaded = l.size;
    this.flush();
  }

  bytes(i: number, n: number): void {
    const l = this.state.layers[i];
    if (!l) return;
    l.downloaded += n;
    this.timer ??= setTimeout(() => this.flush(), THROTTLE_MS);
  }

  finish(imageId: string): void {
    this.state.phase = 'done';
    this.state.imageId = imageId;
    this.flush();
  }

  fail(message: string): void {
    this.state.phase = 'failed';
    this.state.error = message;
    this.flush();
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.publish(this.snapshot());
  }
}

export class PullProgressHub {
  private readonly current = new Map<string, PullTracker>();
  private readonly watchers = new Map<string, Set<ProgressListener>>();

  /** A pull of `image` starts; watchers of that reference start hearing from it. */
  begin(image: string): PullTracker {
    const t = new PullTracker(image, (p) => {
      for (const w of this.watchers.get(image) ?? []) w(p);
    });
    this.current.set(image, t);
    for (const w of this.watchers.get(image) ?? []) w(t.snapshot());
    return t;
  }

  end(t: PullTracker): void {
    const image = t.snapshot().image;
    if (this.current.get(image) === t) this.current.delete(image);
  }

  /**
   * Calls `listener` with every update of pulls of `image` (a canonical reference), starting
   * with the state of one already running. Returns the unsubscribe function.
   */
  watch(image: string, listener: ProgressListener): () => void {
    let set = this.watchers.get(image);
    if (!set) {
      set = new Set();
      this.watchers.set(image, set);
    }
    set.add(listener);
    const running = this.current.get(image);
    if (running) listener(running.snapshot());
    return () => {
      set.delete(listener);
      if (set.size === 0) this.watchers.delete(image);
    };
  }
}
