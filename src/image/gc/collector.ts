// The image garbage collector: deletes content-store blobs and committed snapshots that no
// image record names and no pull in progress holds. Runs after RemoveImage, after a failed
// pull, and at startup (leftovers of a crash). Snapshots under a container's writable layer
// are refused by the snapshotter and simply kept for a later pass.
import type { ContentStore } from '../content/store.js';
import type { Snapshotter } from '../snapshot/snapshotter.js';
import type { ImageStore } from '../store/image-store.js';
import { errorMessage, isCritterError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import type { Leases } from './leases.js';

export interface GcResult {
  blobsRemoved: string[];
  snapshotsRemoved: string[];
  /** Unreferenced snapshots still in use (by a container layer or a child). */
  snapshotsKept: string[];
}

export interface GcDeps {
  content: ContentStore;
  snapshots: Snapshotter;
  images: ImageStore;
  leases: Leases;
  log: Logger;
}

export class GarbageCollector {
  private current: Promise<GcResult> | undefined;
  private queued: Promise<GcResult> | undefined;

  constructor(private readonly deps: GcDeps) {}

  /**
   * Runs a pass. Passes never overlap: a call during a pass gets the next one, which starts
   * when the current one ends (callers arriving meanwhile share it).
   */
  collect(): Promise<GcResult> {
    if (this.current === undefined) return this.start();
    this.queued ??= this.current.then(
      () => this.start(),
      () => this.start(),
    );
    return this.queued;
  }

  /** Resolves when no pass is running; a pull that just took a lease waits on this. */
  async idle(): Promise<void> {
    while (this.current !== undefined) await this.current.catch(() => undefined);
  }

  private start(): Promise<GcResult> {
    this.queued = undefined;
    const p = this.pass().finally(() => {
      if (this.current === p) this.current = undefined;
    });
    this.current = p;
    return p;
  }

  private async pass(): Promise<GcResult> {
    const { content, snapshots, images, leases, log } = this.deps;
    const keepBlobs = new Set<string>();
    const keepSnaps = new Set<string>();
    for (const r of images.list()) {
      for (const b of r.blobs) keepBlobs.add(b);
      for (let c = r.chainId; c !== null && snapshots.has(c); c = snapshots.get(c).parent) keepSnaps.add(c);
    }
    const result: GcResult = { blobsRemoved: [], snapshotsRemoved: [], snapshotsKept: [] };

    // Snapshots first, top of each chain first: the snapshotter refuses to remove a parent.
    const depth = (c: string): number => {
      let n = 0;
      for (let p = snapshots.get(c).parent; p !== null && snapshots.has(p); p = snapshots.get(p).parent) n++;
      return n;
    };
    const doomedSnaps = snapshots
      .list()
      .map((s) => s.chainId)
      .filter((c) => !keepSnaps.has(c))
      .map((c) => ({ c, d: depth(c) }))
      .sort((a, b) => b.d - a.d);
    for (const { c } of doomedSnaps) {
      // Checked right before removal: a pull may have leased it since the pass began.
      if (leases.snapshotLeased(c) || !snapshots.has(c)) continue;
      try {
        await snapshots.remove(c);
        result.snapshotsRemoved.push(c);
      } catch (e) {
        if (!isCritterError(e) || e.kind !== 'FailedPrecondition') throw e;
        result.snapshotsKept.push(c);
        log.debug({ chainId: c, reason: errorMessage(e) }, 'unreferenced snapshot kept: still in use');
      }
    }

    for (const b of await content.list()) {
      if (keepBlobs.has(b.digest) || leases.blobLeased(b.digest)) continue;
      if (await content.delete(b.digest)) result.blobsRemoved.push(b.digest);
    }
    if (result.blobsRemoved.length + result.snapshotsRemoved.length > 0) {
      log.info({ blobs: result.blobsRemoved.length, snapshots: result.snapshotsRemoved.length, kept: result.snapshotsKept.length }, 'image garbage collected');
    }
    return result;
  }
}
