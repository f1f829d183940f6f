// The content store: verified blobs addressed by digest, laid out like containerd's
// (<root>/content/blobs/sha256/<hex>). A blob becomes visible only by a rename after its size
// and digest were checked and its bytes fsynced, so a crash mid-pull leaves at most a temp
// file under ingest/, which open() removes.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { cancelled, CritterError, errnoCode, errorMessage, internal, invalidArgument, notFound } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { digestHex } from './digest.js';
import { diskUsage, type Usage } from './usage.js';

export interface BlobInfo {
  digest: string;
  size: number;
}

export interface IngestOptions {
  signal?: AbortSignal;
  /** Where the bytes come from, for error messages ("127.0.0.1:5000/busybox"). */
  source?: string;
  /** What the blob is, for error messages: "layer", "config", "manifest". */
  what?: string;
}

/** A stream, or a function opening one: with a function, a deduplicated caller never opens it. */
export type BlobSource = Readable | (() => Promise<Readable>);

/** Small blobs (manifests, configs) read whole; larger is refused as a malformed image. */
export const MAX_SMALL_BLOB = 8 * 1024 * 1024;

const describe = (digest: string, o: IngestOptions): string => `${o.what ?? 'blob'} ${digest}${o.source ? ` from ${o.source}` : ''}`;

export class ContentStore {
  private readonly blobsDir: string;
  private readonly ingestDir: string;
  /** In-flight ingests by digest: concurrent pulls of one blob share a single download. */
  private readonly inflight = new Map<string, Promise<BlobInfo>>();

  private constructor(
    readonly root: string,
    private readonly log: Logger,
  ) {
    this.blobsDir = join(root, 'content', 'blobs', 'sha256');
    this.ingestDir = join(root, 'content', 'ingest');
  }

  /** Opens (creating) the store under root and removes temp files a crash left behind. */
  static async open(root: string, log: Logger): Promise<ContentStore> {
    const s = new ContentStore(root, log);
    await mkdir(s.blobsDir, { recursive: true });
    // Only this process writes here; anything in ingest/ at start is a dead pull's leftovers.
    await rm(s.ingestDir, { recursive: true, force: true });
    await mkdir(s.ingestDir, { recursive: true });
    return s;
  }

  blobPath(digest: string): string {
    return join(this.blobsDir, digestHex(digest));
  }

  async has(digest: string): Promise<boolean> {
    try {
      return (await stat(this.blobPath(digest))).isFile();
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return false;
      throw e;
    }
  }

  async info(digest: string): Promise<BlobInfo> {
    try {
      const st = await stat(this.blobPath(digest));
      return { digest, size: st.size };
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') throw notFound(`blob ${digest} not found in the content store`);
      throw e;
    }
  }

  /** A stream of the blob's bytes; NotFound if absent. */
  async read(digest: string): Promise<Readable> {
    const path = this.blobPath(digest);
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') throw notFound(`blob ${digest} not found in the content store`);
      throw e;
    }
    return createReadStream('', { fd: fh, highWaterMark: 1 << 20 });
  }

  /**
   * Stores a blob from source, verifying its size (when given) and sha256. Returns at once if
   * the blob is already present.
   *
   * Concurrent calls for one digest share the first caller's download. If that download fails
   * (its caller cancelled, its connection broke, its bytes did not match), each waiter then
   * tries once more with its own source, so one caller's cancellation never fails another;
   * a blob that is really wrong fails every caller on its own attempt.
   */
  async ingest(digest: string, size: number | undefined, source: BlobSource, opts: IngestOptions = {}): Promise<BlobInfo> {
    digestHex(digest);
    for (let attempt = 0; ; attempt++) {
      const running = this.inflight.get(digest);
      if (running) {
        try {
          return await waitWithSignal(running, opts.signal, () => cancelled(`${describe(digest, opts)}: cancelled`));
        } catch (e) {
          if (opts.signal?.aborted || attempt > 0) {
            if (typeof source !== 'function') source.destroy();
            throw e;
          }
          continue;
        }
      }
      const p = this.ingestOnce(digest, size, source, opts);
      this.inflight.set(digest, p);
      try {
        return await p;
      } finally {
        if (this.inflight.get(digest) === p) this.inflight.delete(digest);
      }
    }
  }

  private async ingestOnce(digest: string, size: number | undefined, source: BlobSource, opts: IngestOptions): Promise<BlobInfo> {
    const final = this.blobPath(digest);
    const what = describe(digest, opts);
    try {
      const st = await stat(final);
      if (size === undefined || st.size === size) {
        if (typeof source !== 'function') source.destroy();
        return { digest, size: st.size };
      }
      // A stored blob whose size disagrees with its descriptor: the descriptor is wrong.
      throw invalidArgument(`${what}: size mismatch, descriptor says ${size} bytes but the stored blob has ${st.size}`);
    } catch (e) {
      if (e instanceof CritterError) throw e;
      if (errnoCode(e) !== 'ENOENT') throw e;
    }
    if (opts.signal?.aborted) throw cancelled(`${what}: cancelled`);

    const tmp = join(this.ingestDir, randomBytes(12).toString('hex'));
    const fh = await open(tmp, 'wx', 0o644);
    let stream: Readable | undefined;
    let closed = false;
    const onAbort = (): void => {
      stream?.destroy(cancelled(`${what}: cancelled`));
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      stream = typeof source === 'function' ? await source() : source;
      if (opts.signal?.aborted) onAbort();
      const hash = createHash('sha256');
      let n = 0;
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        n += chunk.byteLength;
        if (size !== undefined && n > size) throw invalidArgument(`${what}: size mismatch, got more than the ${size} bytes the descriptor gives`);
        hash.update(chunk);
        await fh.write(chunk);
      }
      if (opts.signal?.aborted) throw cancelled(`${what}: cancelled`);
      if (size !== undefined && n !== size) throw invalidArgument(`${what}: size mismatch, got ${n} bytes, want ${size}`);
      const got = `sha256:${hash.digest('hex')}`;
      if (got !== digest) throw invalidArgument(`${what}: digest mismatch, got ${got}`);
      await fh.sync();
      await fh.close();
      closed = true;
      await rename(tmp, final);
      await syncDir(this.blobsDir);
      this.log.debug({ digest, size: n, source: opts.source }, 'blob stored');
      return { digest, size: n };
    } catch (e) {
      stream?.destroy();
      if (!closed) await fh.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      if (e instanceof CritterError) throw e;
      if (opts.signal?.aborted) throw cancelled(`${what}: cancelled`, e);
      throw internal(`${what}: ingest failed: ${errorMessage(e)}`, e);
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Stores a small blob held in memory; returns its digest. */
  async putBytes(data: Uint8Array, expectedDigest?: string, opts: IngestOptions = {}): Promise<string> {
    const digest = expectedDigest ?? `sha256:${createHash('sha256').update(data).digest('hex')}`;
    await this.ingest(digest, data.byteLength, () => Promise.resolve(Readable.from([Buffer.from(data.buffer, data.byteOffset, data.byteLength)])), opts);
    return digest;
  }

  /** Reads a small blob whole, re-verifying its digest (cheap at this size, catches disk rot). */
  async readBytes(digest: string, maxSize = MAX_SMALL_BLOB): Promise<Buffer> {
    const { size } = await this.info(digest);
    if (size > maxSize) throw invalidArgument(`blob ${digest} is ${size} bytes, more than the ${maxSize} allowed for a manifest or config`);
    let data: Buffer;
    try {
      data = await readFile(this.blobPath(digest));
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') throw notFound(`blob ${digest} not found in the content store`);
      throw e;
    }
    const got = `sha256:${createHash('sha256').update(data).digest('hex')}`;
    if (got !== digest) throw internal(`blob ${digest} in the content store is corrupt (its bytes hash to ${got})`);
    return data;
  }

  /** Removes a blob; false if it was not there. */
  async delete(digest: string): Promise<boolean> {
    try {
      await unlink(this.blobPath(digest));
      return true;
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return false;
      throw e;
    }
  }

  async list(): Promise<BlobInfo[]> {
    const out: BlobInfo[] = [];
    for (const hex of (await readdir(this.blobsDir)).sort()) {
      try {
        const st = await stat(join(this.blobsDir, hex));
        if (st.isFile()) out.push({ digest: `sha256:${hex}`, size: st.size });
      } catch (e) {
        if (errnoCode(e) !== 'ENOENT') throw e;
      }
    }
    return out;
  }

  /** Bytes and inodes used under <root>/content. */
  usage(): Promise<Usage> {
    return diskUsage(join(this.root, 'content'));
  }
}

function waitWithSignal<T>(p: Promise<T>, signal: AbortSignal | undefined, onAbort: () => Error): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(onAbort());
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => reject(onAbort());
    signal.addEventListener('abort', abort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', abort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** fsyncs a directory so a rename into it survives a power cut. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
