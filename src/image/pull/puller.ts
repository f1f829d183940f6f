// PullImage's domain side. Resolve the reference to the platform's manifest, store the
// manifests and config, then download every layer concurrently (through the node-wide
// limiter) into the content store while unpacking them bottom-up as soon as each one and the
// layer below it are in. Only when every snapshot is committed is the image recorded.
//
// Concurrent pulls of one image share work below this level: the content store downloads a
// blob once for all callers, the snapshotter unpacks a chain id once. What a pull has fetched
// is leased until its record is written, so a collection running meanwhile keeps it.
import { PassThrough, pipeline, Transform, type Readable, type TransformCallback, type Writable } from 'node:stream';
import { CritterError, errorMessage, failedPrecondition, isCritterError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import type { ContentStore } from '../content/store.js';
import type { GarbageCollector } from '../gc/collector.js';
import type { Lease, Leases } from '../gc/leases.js';
import { parseReference, type ParsedReference } from '../reference.js';
import type { RegistryCredentials, TokenCache } from '../registry/auth.js';
import { RegistryClient } from '../registry/client.js';
import { resolveEndpoints } from '../registry/hosts.js';
import type { Descriptor } from '../registry/manifest.js';
import type { Platform } from '../registry/platform.js';
import { chainIds } from '../snapshot/chain.js';
import type { Snapshotter } from '../snapshot/snapshotter.js';
import type { LayerToUnpack } from '../unpack/apply.js';
import { unpackLayer } from '../unpack/extract.js';
import { parseImageConfig } from '../store/image-config.js';
import type { ImageStore } from '../store/image-store.js';
import type { ImageRecord } from '../store/record.js';
import type { DownloadLimiter } from './limiter.js';
import type { PullProgressHub, PullTracker } from './progress.js';
import { StallWatchdog } from './stall-watchdog.js';

export interface PullerDeps {
  content: ContentStore;
  snapshots: Snapshotter;
  images: ImageStore;
  leases: Leases;
  gc: GarbageCollector;
  limiter: DownloadLimiter;
  tokenCache: TokenCache;
  progress: PullProgressHub;
  log: Logger;
  registryConfigDir: string;
  insecureRegistries: readonly string[];
  /** No bytes for this long while a transfer is open fails the pull; 0 disables. */
  progressTimeoutMs: number;
  /** Defaults to this machine's. */
  platform?: Platform;
}

export interface PullOptions {
  /** The CRI AuthConfig; used for this pull only, never logged or stored. */
  credentials?: RegistryCredentials;
  /** PullImage's cancellation and deadline. */
  signal?: AbortSignal;
}

export interface PullResult {
  id: string;
  record: ImageRecord;
}

interface LayerTask {
  client: RegistryClient;
  ref: ParsedReference;
  desc: Descriptor;
  layer: LayerToUnpack;
  index: number;
  chain: string[];
  /** The task of the layer below (its snapshot committed when it resolves). */
  below: Promise<void> | undefined;
  signal: AbortSignal;
  watchdog: StallWatchdog;
  tracker: PullTracker;
  log: Logger;
}

/** Where a download's bytes go besides the content store; opened() says they will come. */
interface Tee {
  stream: Writable;
  opened(): void;
}

/** Buffering between the download and the unpacker, per layer. */
const FEED_HWM = 1 << 20;
/** Download bytes are passed on in pieces of this size. */
const COALESCE = 1 << 20;

const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(3))} s`;

export class ImagePuller {
  constructor(private readonly d: PullerDeps) {}

  async pull(input: string, opts: PullOptions = {}): Promise<PullResult> {
    const ref = parseReference(input);
    const d = this.d;
    const log = d.log.child({ image: ref.familiar });
    const tracker = d.progress.begin(ref.canonical);
    const lease = d.leases.create();
    const watchdog = new StallWatchdog(
      d.progressTimeoutMs,
      () => `no bytes received for ${seconds(d.progressTimeoutMs)} from ${ref.domain} while pulling ${ref.familiar}`,
    );
    const signal = opts.signal ? AbortSignal.any([opts.signal, watchdog.signal]) : watchdog.signal;
    let client: RegistryClient | undefined;
    let failed = false;
    const started = Date.now();
    try {
      const endpoints = await resolveEndpoints(ref.domain, { configDir: d.registryConfigDir, insecureRegistries: d.insecureRegistries });
      client = new RegistryClient({ endpoints, credentials: opts.credentials, logger: log, signal, tokenCache: d.tokenCache, platform: d.platform });
      const result = await this.run(ref, client, signal, watchdog, tracker, lease, log);
      tracker.finish(result.id);
      log.info({ id: result.id, ms: Date.now() - started, size: result.record.size }, 'image pulled');
      return result;
    } catch (e) {
      failed = true;
      const err = explain(e, signal, ref);
      tracker.fail(err.message);
      throw err;
    } finally {
      watchdog.dispose();
      client?.close();
      lease.release();
      d.progress.end(tracker);
      // A failed pull's blobs belong to no image: reclaim them now, not at the next restart.
      if (failed) await d.gc.collect().catch((e: unknown) => log.warn({ err: errorMessage(e) }, 'collection after a failed pull failed'));
    }
  }

  private async run(
    ref: ParsedReference,
    client: RegistryClient,
    signal: AbortSignal,
    watchdog: StallWatchdog,
    tracker: PullTracker,
    lease: Lease,
    log: Logger,
  ): Promise<PullResult> {
    const { content, gc } = this.d;
    const source = ref.name;
    const endManifest = watchdog.begin();
    const m = await client.fetchManifest(ref).finally(endManifest);
    lease.add({ blobs: [m.target.digest, m.digest, m.config.digest, ...m.layers.map((l) => l.digest)] });
    // From here on the collector keeps what this pull holds; wait out a pass already running.
    await gc.idle();

    await content.putBytes(m.target.bytes, m.target.digest, { signal, source, what: 'manifest' });
    if (m.index) await content.putBytes(m.raw, m.digest, { signal, source, what: 'manifest' });
    await this.download(client, ref, m.config, 'config', signal, watchdog);
    const where = `${ref.name}@${m.target.digest}`;
    const config = parseImageConfig(await content.readBytes(m.config.digest), `config ${m.config.digest} of ${where}`);
    if (config.diffIds.length !== m.layers.length) {
      throw failedPrecondition(`${where}: the manifest has ${m.layers.length} layers but the config lists ${config.diffIds.length} diff ids`);
    }
    const chain = chainIds(config.diffIds);
    lease.add({ snapshots: chain });
    tracker.setLayers(m.layers);

    // Every layer at once: each is downloaded (through the limiter) and, as its bytes arrive,
    // unpacked into its own temp snapshot; snapshots are committed bottom up, each only when
    // its blob and diff id have verified and the one below is committed. One failure stops
    // the others; every task is settled before we return.
    const stop = new AbortController();
    const layerSignal = AbortSignal.any([signal, stop.signal]);
    const tasks: Promise<void>[] = [];
    for (const [i, l] of m.layers.entries()) {
      const layer: LayerToUnpack = { digest: l.digest, mediaType: l.mediaType, diffId: config.diffIds[i]! };
      const task = this.layer({ client, ref, desc: l, layer, index: i, chain, below: tasks[i - 1], signal: layerSignal, watchdog, tracker, log });
      task.catch((e: unknown) => stop.abort(e));
      tasks.push(task);
    }
    const settled = await Promise.allSettled(tasks);
    const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    // The first failure to stop the pull is the one to report, not a cancellation it caused.
    if (failure) throw stop.signal.aborted ? stop.signal.reason : failure.reason;

    const size = m.target.size + (m.index ? m.raw.byteLength : 0) + m.config.size + m.layers.reduce((n, l) => n + l.size, 0);
    const blobs = [...new Set([m.target.digest, m.digest, m.config.digest, ...m.layers.map((l) => l.digest)])];
    const record = this.d.images.add({
      id: m.config.digest,
      repoTag: ref.digest === undefined ? `${ref.name}:${ref.tag ?? 'latest'}` : undefined,
      repoDigest: `${ref.name}@${m.target.digest}`,
      size,
      chainId: chain.at(-1) ?? null,
      user: config.user,
      blobs,
    });
    return { id: record.id, record };
  }

  /**
   * One layer: its blob into the content store and its snapshot committed. A layer whose blob
   * is downloaded here is unpacked from the download as it arrives (the bytes go to the
   * content store and to the unpacker at once); one whose blob was there already, or came
   * from another pull's download of it, is unpacked from the content store.
   */
  private async layer(t: LayerTask): Promise<void> {
    const { snapshots, content } = this.d;
    const { index: i, chain, layer, tracker } = t;
    const id = chain[i]!;
    const parent = i === 0 ? null : chain[i - 1]!;
    if (snapshots.has(id)) {
      await this.download(t.client, t.ref, t.desc, 'layer', t.signal, t.watchdog, tracker, i);
      tracker.layerState(i, 'unpacked');
      return;
    }
    const what = `layer ${layer.digest} of ${t.ref.familiar}`;
    let populated = false;
    await snapshots.commitOver(id, parent, layer.diffId, t.below, async (dir, lowerDirs) => {
      populated = true;
      const stopUnpack = new AbortController();
      const unpackSignal = AbortSignal.any([t.signal, stopUnpack.signal]);
      const feed = new PassThrough({ highWaterMark: FEED_HWM });
      let teed = false;
      const unpacking = unpackLayer(feed, dir, {
        mediaType: layer.mediaType,
        expectedDiffId: layer.diffId,
        lowerDirs,
        whiteoutTemplate: snapshots.whiteoutTemplate,
        signal: unpackSignal,
        log: t.log,
        what,
      });
      // A layer that cannot be unpacked need not be downloaded any further.
      let unpackFailed = false;
      unpacking.catch((e: unknown) => {
        unpackFailed = true;
        stopUnpack.abort(e);
      });
      const tee = {
        stream: feed,
        opened: (): void => {
          teed = true;
        },
      };
      try {
        await this.download(t.client, t.ref, t.desc, 'layer', unpackSignal, t.watchdog, tracker, i, tee);
      } catch (e) {
        feed.destroy();
        await unpacking.catch(() => undefined);
        throw unpackFailed ? stopUnpack.signal.reason : e;
      }
      tracker.layerState(i, 'unpacking');
      if (!teed) {
        // Nothing came through the tee: unpack the verified blob from the content store.
        const src = await content.read(layer.digest).catch((e: unknown) => {
          feed.destroy();
          throw e;
        });
        src.on('error', (e) => feed.destroy(e));
        src.pipe(feed);
      }
      await unpacking;
    });
    // Another pull was committing this chain id: the blob is still this image's to hold.
    if (!populated) await this.download(t.client, t.ref, t.desc, 'layer', t.signal, t.watchdog, tracker, i);
    tracker.layerState(i, 'unpacked');
  }

  /** Fetches one blob into the content store unless it is there; layers go through the limiter. */
  private async download(
    client: RegistryClient,
    ref: ParsedReference,
    desc: Descriptor,
    what: 'config' | 'layer',
    signal: AbortSignal,
    watchdog: StallWatchdog,
    tracker?: PullTracker,
    index = -1,
    tee?: Tee,
  ): Promise<void> {
    const { content, limiter } = this.d;
    if (await content.has(desc.digest)) {
      tracker?.layerState(index, 'exists');
      return;
    }
    const open = async (): Promise<Readable> => {
      // Only the caller that really downloads takes a slot; one waiting on another pull's
      // download of the same blob (content-store dedupe) never calls this.
      const release = what === 'layer' ? await limiter.acquire(signal) : () => undefined;
      tracker?.layerState(index, 'downloading');
      const end = watchdog.begin();
      let body: Readable;
      try {
        body = await client.fetchBlob(ref.path, desc, { signal });
      } catch (e) {
        end();
        release();
        throw e;
      }
      tee?.opened();
      const out = tee?.stream;
      // The socket delivers 64 KiB at a time; hashing, writing and above all inflating cost
      // much less per byte in 1 MiB pieces (gunzip: 2.5x less CPU), worth one copy.
      let buf = Buffer.allocUnsafe(COALESCE);
      let used = 0;
      const emit = (self: Transform, pieces: Buffer[], cb: TransformCallback): void => {
        // The same bytes to the unpacker, at the pace of the slower of the two readers.
        let blocked = false;
        for (const piece of pieces) {
          self.push(piece);
          if (out && !out.destroyed && !out.write(piece)) blocked = true;
        }
        if (!blocked || !out) {
          cb();
          return;
        }
        const go = (): void => {
          out.off('drain', go);
          out.off('close', go);
          cb();
        };
        out.on('drain', go);
        out.on('close', go);
      };
      const counter = new Transform({
        highWaterMark: FEED_HWM,
        transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
          watchdog.progress();
          tracker?.bytes(index, chunk.length);
          const full: Buffer[] = [];
          for (let off = 0; off < chunk.length; ) {
            const n = chunk.copy(buf, used, off);
            used += n;
            off += n;
            if (used === COALESCE) {
              full.push(buf);
              buf = Buffer.allocUnsafe(COALESCE);
              used = 0;
            }
          }
          emit(this, full, cb);
        },
        flush(cb: TransformCallback): void {
          emit(this, used > 0 ? [buf.subarray(0, used)] : [], () => {
            out?.end();
            cb();
          });
        },
      });
      return pipeline(body, counter, () => {
        end();
        release();
      });
    };
    await content.ingest(desc.digest, desc.size, open, { signal, source: ref.name, what });
    tracker?.layerState(index, 'downloaded');
  }
}

/** The error PullImage reports: an abort's own reason (deadline, stall), else the failure in context. */
function explain(e: unknown, signal: AbortSignal, ref: ParsedReference): CritterError {
  const reason: unknown = signal.aborted ? signal.reason : undefined;
  if (isCritterError(reason)) {
    // The stall message names the image already; a client deadline does not.
    return reason.message.includes(ref.familiar) ? reason : new CritterError(reason.kind, `pulling ${ref.familiar}: ${reason.message}`, { cause: e });
  }
  if (isCritterError(e)) return new CritterError(e.kind, `pulling ${ref.familiar}: ${e.message}`, { cause: e });
  return new CritterError('Internal', `pulling ${ref.familiar}: ${errorMessage(e)}`, { cause: e });
}
