// Layer extraction on worker threads. unpackLayer is CPU and syscall bound (inflate, sha256 of
// the tar, one synchronous fs call or more per entry); on the main thread it competes with
// the downloads (HTTP, the blob's sha256, gRPC). The pool runs it on other cores instead:
// the caller's stream is copied to a worker chunk by chunk (a few MiB in flight at most, so
// memory stays flat), the worker unpacks exactly as unpackLayer does in-thread, and asks back
// for the lower dirs, logs through the caller's logger, and reports the result or the error
// (kind and message). Workers are started on first use and kept; they hold the process open
// only while they have jobs.
//
// CRITTER_UNPACK_WORKERS sets the pool size (default: cores - 1, at most 4); 0 unpacks on the
// calling thread (as does a machine with one core).
import { availableParallelism } from 'node:os';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { cancelled, CritterError, errorMessage, internal, isCritterError, type ErrorKind } from '../../util/errors.js';
import { unpackLayer, type UnpackOptions, type UnpackResult } from './extract.js';

export type ToWorker =
  | { type: 'start'; id: number; target: string; mediaType: string; expectedDiffId?: string; lowerDirs?: string[]; whiteoutTemplate?: string; what?: string }
  | { type: 'chunk'; id: number; data: Uint8Array }
  | { type: 'end'; id: number }
  | { type: 'abort'; id: number; message: string }
  | { type: 'lowers'; id: number; dirs?: string[]; kind?: ErrorKind; message?: string };

export type FromWorker =
  | { type: 'ack'; id: number }
  | { type: 'lowers'; id: number }
  | { type: 'log'; id: number; level: 'warn' | 'debug'; obj: object; msg: string }
  | { type: 'done'; id: number; result: UnpackResult }
  | { type: 'failed'; id: number; kind: ErrorKind; message: string };

/** Chunks (of up to 1 MiB) sent to a worker and not yet taken by its unpacker. */
const IN_FLIGHT = 4;

interface Job {
  opts: UnpackOptions;
  onMessage(m: FromWorker): void;
  fail(e: Error): void;
}

interface Slot {
  worker: Worker;
  jobs: Map<number, Job>;
}

/** The worker: the built .js; under tsx (tests, benchmarks) the .ts source, through tsx's loader. */
function newWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./unpack-worker.js', import.meta.url));
  const api = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./unpack-worker.ts', import.meta.url).href;
  return new Worker(`import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`, { eval: true });
}

export class UnpackPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;

  constructor(readonly size: number) {}

  /** unpackLayer, on a worker when the pool has any. */
  unpack(source: Readable, target: string, opts: UnpackOptions): Promise<UnpackResult> {
    if (this.size < 1) return unpackLayer(source, target, opts);
    return this.run(this.slot(), source, target, opts);
  }

  /** Stops the workers (their jobs fail). */
  async close(): Promise<void> {
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  /** The least busy worker; a new one while the pool is not full. */
  private slot(): Slot {
    const idle = this.slots.find((s) => s.jobs.size === 0);
    if (idle) return idle;
    if (this.slots.length < this.size) return this.spawn();
    return this.slots.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
  }

  private spawn(): Slot {
    const worker = newWorker();
    const slot: Slot = { worker, jobs: new Map() };
    worker.unref();
    worker.on('message', (m: FromWorker) => slot.jobs.get(m.id)?.onMessage(m));
    const lost = (why: string): void => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      for (const job of slot.jobs.values()) job.fail(internal(`unpack worker ${why}`));
      slot.jobs.clear();
    };
    worker.on('error', (e) => lost(`failed: ${errorMessage(e)}`));
    worker.on('exit', (code) => lost(`exited (${code})`));
    this.slots.push(slot);
    return slot;
  }

  private run(slot: Slot, source: Readable, target: string, opts: UnpackOptions): Promise<UnpackResult> {
    const id = this.nextId++;
    const what = opts.what ?? 'layer';
    const { worker } = slot;
    const post = (m: ToWorker, transfer?: ArrayBuffer[]): void => worker.postMessage(m, transfer);
    return new Promise<UnpackResult>((resolve, reject) => {
      let inFlight = 0;
      let settled = false;
      const finish = (): void => {
        settled = true;
        slot.jobs.delete(id);
        if (slot.jobs.size === 0) worker.unref();
        opts.signal?.removeEventListener('abort', onAbort);
        source.off('data', onData);
        source.off('end', onEnd);
        source.off('error', onError);
        source.off('close', onClose);
      };
      const fail = (e: Error): void => {
        if (settled) return;
        finish();
        source.destroy();
        reject(e);
      };
      const abort = (message: string): void => {
        if (!settled) post({ type: 'abort', id, message });
      };
      const onAbort = (): void => abort('cancelled');
      const onData = (chunk: Buffer): void => {
        // A copy of our own to hand over: the caller may still be using chunk (the tee).
        const data = new Uint8Array(chunk);
        post({ type: 'chunk', id, data }, [data.buffer]);
        if (++inFlight >= IN_FLIGHT) source.pause();
      };
      let ended = false;
      const onEnd = (): void => {
        ended = true;
        post({ type: 'end', id });
      };
      const onError = (e: Error): void => abort(errorMessage(e));
      const onClose = (): void => {
        if (!ended) abort('premature close');
      };
      const job: Job = {
        opts,
        fail,
        onMessage: (m) => {
          switch (m.type) {
            case 'ack':
              if (--inFlight < IN_FLIGHT) source.resume();
              break;
            case 'lowers':
              lowers(opts).then(
                (dirs) => post({ type: 'lowers', id, dirs }),
                (e: unknown) => post({ type: 'lowers', id, kind: isCritterError(e) ? e.kind : 'Internal', message: errorMessage(e) }),
              );
              break;
            case 'log':
              opts.log[m.level](m.obj, m.msg);
              break;
            case 'done':
              if (settled) return;
              finish();
              resolve(m.result);
              break;
            case 'failed':
              if (settled) return;
              finish();
              source.destroy();
              // Cancelled by our signal: say so in the caller's words, as unpackLayer would.
              reject(opts.signal?.aborted && m.kind === 'Cancelled' ? cancelled(`${what}: unpack cancelled`) : new CritterError(m.kind, m.message));
              break;
          }
        },
      };
      slot.jobs.set(id, job);
      worker.ref();
      const lowerDirs = typeof opts.lowerDirs === 'function' ? undefined : (opts.lowerDirs ?? []);
      post({ type: 'start', id, target, mediaType: opts.mediaType, expectedDiffId: opts.expectedDiffId, lowerDirs, whiteoutTemplate: opts.whiteoutTemplate, what: opts.what });
      if (opts.signal?.aborted) onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      source.on('error', onError);
      source.on('close', onClose);
      source.on('end', onEnd);
      source.on('data', onData);
    });
  }
}

function lowers(opts: UnpackOptions): Promise<string[]> {
  const l = opts.lowerDirs;
  return typeof l === 'function' ? l() : Promise.resolve(l ?? []);
}

function defaultSize(): number {
  const env = process.env.CRITTER_UNPACK_WORKERS;
  if (env !== undefined && /^\d+$/.test(env)) return Number(env);
  return Math.max(0, Math.min(4, availableParallelism() - 1));
}

let shared: UnpackPool | undefined;

/** The process's pool, made on first use. */
export function unpackPool(): UnpackPool {
  return (shared ??= new UnpackPool(defaultSize()));
}
