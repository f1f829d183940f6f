// The worker side of the unpack pool (worker-pool.ts): runs unpackLayer for the jobs the
// daemon sends, several at once, fed chunk by chunk over the message port. Extraction is
// synchronous fs calls plus inflate and a hash: on its own thread it runs on a second core
// while the main thread downloads, hashes and writes blobs.
import { PassThrough } from 'node:stream';
import { parentPort } from 'node:worker_threads';
import { CritterError, isCritterError } from '../../util/errors.js';
import { unpackLayer, type UnpackLog } from './extract.js';
import type { FromWorker, ToWorker } from './worker-pool.js';

interface Job {
  feed: PassThrough;
  abort: AbortController;
  lowers?: (dirs: string[]) => void;
  lowersFailed?: (e: Error) => void;
}

const port = parentPort;
if (!port) throw new Error('unpack-worker.ts runs as a worker thread only');
const jobs = new Map<number, Job>();
const post = (m: FromWorker): void => port.postMessage(m);

function logFor(id: number): UnpackLog {
  return {
    warn: (obj, msg) => post({ type: 'log', id, level: 'warn', obj: { ...obj }, msg }),
    debug: (obj, msg) => post({ type: 'log', id, level: 'debug', obj: { ...obj }, msg }),
  };
}

function start(m: Extract<ToWorker, { type: 'start' }>): void {
  const feed = new PassThrough({ highWaterMark: 1 << 20 });
  const job: Job = { feed, abort: new AbortController() };
  jobs.set(m.id, job);
  const lowerDirs =
    m.lowerDirs ??
    ((): Promise<string[]> =>
      new Promise<string[]>((resolve, reject) => {
        job.lowers = resolve;
        job.lowersFailed = reject;
        post({ type: 'lowers', id: m.id });
      }));
  unpackLayer(feed, m.target, {
    mediaType: m.mediaType,
    expectedDiffId: m.expectedDiffId,
    lowerDirs,
    whiteoutTemplate: m.whiteoutTemplate,
    signal: job.abort.signal,
    log: logFor(m.id),
    what: m.what,
  }).then(
    (result) => {
      jobs.delete(m.id);
      post({ type: 'done', id: m.id, result });
    },
    (e: unknown) => {
      jobs.delete(m.id);
      const kind = isCritterError(e) ? e.kind : 'Internal';
      post({ type: 'failed', id: m.id, kind, message: e instanceof Error ? e.message : String(e) });
    },
  );
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'start') {
    start(m);
    return;
  }
  const job = jobs.get(m.id);
  if (!job) return;
  switch (m.type) {
    case 'chunk':
      // Acknowledged once the unpacker has taken it: the sender keeps a few in flight.
      if (job.feed.write(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength))) post({ type: 'ack', id: m.id });
      else job.feed.once('drain', () => post({ type: 'ack', id: m.id }));
      break;
    case 'end':
      job.feed.end();
      break;
    case 'abort':
      job.abort.abort(new Error(m.message));
      break;
    case 'lowers':
      if (m.dirs) job.lowers?.(m.dirs);
      else job.lowersFailed?.(new CritterError(m.kind ?? 'Internal', m.message ?? 'the layer below failed'));
      break;
  }
});
