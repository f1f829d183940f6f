// The image domain behind the CRI ImageService: pull, look up, list, remove, and report disk
// use. The composition root hands in the long-lived parts (content store, snapshotter, token
// cache, download limiter); everything image-specific is assembled here.
import type { ContentStore } from './content/store.js';
import { GarbageCollector, type GcResult } from './gc/collector.js';
import { Leases } from './gc/leases.js';
import type { DownloadLimiter } from './pull/limiter.js';
import { ImagePuller, type PullOptions } from './pull/puller.js';
import { PullProgressHub, type ProgressListener } from './pull/progress.js';
import { parseReference } from './reference.js';
import type { TokenCache } from './registry/auth.js';
import type { Platform } from './registry/platform.js';
import type { Snapshotter } from './snapshot/snapshotter.js';
import { imageUser, parseImageConfig } from './store/image-config.js';
import { ImageStore } from './store/image-store.js';
import type { ImageRecord } from './store/record.js';
import type { Logger } from '../util/log.js';

export interface ImageServiceOptions {
  root: string;
  content: ContentStore;
  snapshots: Snapshotter;
  tokenCache: TokenCache;
  limiter: DownloadLimiter;
  log: Logger;
  registryConfigDir: string;
  insecureRegistries: readonly string[];
  pullProgressTimeoutMs: number;
  /** The pause image: pinned, so the kubelet's image GC never removes it. */
  sandboxImage: string;
  platform?: Platform;
}

/** An image as the CRI reports it. */
export interface ImageView {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
  /** Set when config.User's user part is numeric. */
  uid?: bigint;
  /** config.User's user part when it is a name. */
  username: string;
  pinned: boolean;
  chainId: string | null;
}

export interface ImageFsUsage {
  /** The snapshot store's directory (containerd reports its snapshotter root). */
  mountpoint: string;
  timestampNs: bigint;
  usedBytes: number;
  inodesUsed: number;
}

export class ImageService {
  readonly progress = new PullProgressHub();
  private readonly leases = new Leases();
  private readonly gc: GarbageCollector;
  private readonly puller: ImagePuller;
  private readonly sandboxRefs: Set<string>;

  private constructor(
    private readonly o: ImageServiceOptions,
    private readonly store: ImageStore,
  ) {
    this.gc = new GarbageCollector({ content: o.content, snapshots: o.snapshots, images: store, leases: this.leases, log: o.log });
    this.puller = new ImagePuller({
      content: o.content,
      snapshots: o.snapshots,
      images: store,
      leases: this.leases,
      gc: this.gc,
      limiter: o.limiter,
      tokenCache: o.tokenCache,
      progress: this.progress,
      log: o.log,
      registryConfigDir: o.registryConfigDir,
      insecureRegistries: o.insecureRegistries,
      progressTimeoutMs: o.pullProgressTimeoutMs,
      platform: o.platform,
    });
    this.sandboxRefs = new Set(sandboxRefs(o.sandboxImage));
  }

  /** Loads the records, drops any whose content is gone, and collects what a crash left. */
  static async open(o: ImageServiceOptions): Promise<ImageService> {
    const store = ImageStore.open(o.root, o.log);
    for (const r of store.list()) {
      const intact = (await o.content.has(r.id)) && (r.chainId === null || o.snapshots.has(r.chainId));
      if (!intact) {
        o.log.warn({ id: r.id, tags: r.repoTags }, 'image record dropped: its config or snapshots are missing (pull it again)');
        store.remove(r.id);
      }
    }
    const svc = new ImageService(o, store);
    await svc.collectGarbage();
    return svc;
  }

  /** Pulls `ref`; resolves with the image id ("sha256:<config digest>"). */
  async pull(ref: string, opts: PullOptions = {}): Promise<string> {
    return (await this.puller.pull(ref, opts)).id;
  }

  /** The image `ref` names in any accepted form, or undefined. */
  status(ref: string): ImageView | undefined {
    const r = this.store.find(ref);
    return r && this.view(r);
  }

  /** The image and its whole config document (ImageStatus verbose; container creation). */
  async inspect(ref: string): Promise<{ image: ImageView; config: Record<string, unknown> } | undefined> {
    const r = this.store.find(ref);
    if (!r) return undefined;
    const config = parseImageConfig(await this.o.content.readBytes(r.id), `config of image ${r.id}`);
    return { image: this.view(r), config: config.raw };
  }

  /** Every image, or only the one `filter` names (ListImages' filter.image). */
  list(filter?: string): ImageView[] {
    const records = filter ? [this.store.find(filter)].filter((r): r is ImageRecord => r !== undefined) : this.store.list();
    return records.map((r) => this.view(r)).sort(byReference);
  }

  /**
   * Removes the image `ref` names, with every tag and digest it has (as containerd does), then
   * collects what no image needs any more. False when there was no such image.
   */
  async remove(ref: string): Promise<boolean> {
    const r = this.store.find(ref);
    if (!r) return false;
    this.store.remove(r.id);
    this.o.log.info({ id: r.id, tags: r.repoTags }, 'image removed');
    await this.collectGarbage();
    return true;
  }

  collectGarbage(): Promise<GcResult> {
    return this.gc.collect();
  }

  async fsUsage(): Promise<ImageFsUsage> {
    const [c, s] = await Promise.all([this.o.content.usage(), this.o.snapshots.usage()]);
    return {
      mountpoint: this.o.snapshots.dir,
      timestampNs: BigInt(Date.now()) * 1_000_000n,
      usedBytes: c.bytes + s.bytes,
      inodesUsed: c.inodes + s.inodes,
    };
  }

  /** Follows pulls of `ref` (any form PullImage accepts); returns the unsubscribe function. */
  watchPull(ref: string, listener: ProgressListener): () => void {
    return this.progress.watch(parseReference(ref).canonical, listener);
  }

  private view(r: ImageRecord): ImageView {
    const u = imageUser(r.user);
    const v: ImageView = {
      id: r.id,
      repoTags: [...r.repoTags],
      repoDigests: [...r.repoDigests],
      size: r.size,
      username: u.username,
      pinned: r.repoTags.some((t) => this.sandboxRefs.has(t)) || r.repoDigests.some((d) => this.sandboxRefs.has(d)),
      chainId: r.chainId,
    };
    if (u.uid !== undefined) v.uid = u.uid;
    return v;
  }
}

/** The forms a configured sandbox image takes in records: its tag, or its name@digest. */
function sandboxRefs(sandboxImage: string): string[] {
  try {
    const ref = parseReference(sandboxImage);
    return [ref.canonical];
  } catch {
    return [];
  }
}

// crictl's order: by first tag, then first digest, then id.
function byReference(a: ImageView, b: ImageView): number {
  const ka = a.repoTags[0] ?? a.repoDigests[0] ?? a.id;
  const kb = b.repoTags[0] ?? b.repoDigests[0] ?? b.id;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

