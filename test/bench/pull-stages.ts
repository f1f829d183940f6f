// Where does a cold pull's time go? Each stage of the pipeline measured alone over the same
// synthetic image the pull benchmark uses (in this process, no gRPC), then a whole in-process
// pull. BENCH_PROFILE profiles the stages run (main thread):
//
//   node --import tsx test/bench/pull-stages.ts                 (BENCH_MB, BENCH_LAYERS, BENCH_REPEAT)
//   BENCH_PROFILE=/tmp/prof node --import tsx test/bench/pull-stages.ts pull   (<stage>.cpuprofile)
//
// Arguments name the stages to run (default: all). Prints MB/s of compressed bytes per stage
// (for the tar stages, MB/s of the same compressed input, so figures are comparable).
import { createHash } from 'node:crypto';
import { Session } from 'node:inspector/promises';
import { createReadStream, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { buildBigImage } from '../fixtures/big.js';
import { pushFileImage } from '../fixtures/image.js';
import { startRegistry } from '../harness/registry.js';
import { ContentStore } from '../../src/image/content/store.js';
import { ImageService } from '../../src/image/image-service.js';
import { DownloadLimiter } from '../../src/image/pull/limiter.js';
import { TokenCache } from '../../src/image/registry/auth.js';
import { RegistryClient } from '../../src/image/registry/client.js';
import { resolveEndpoints } from '../../src/image/registry/hosts.js';
import { parseReference } from '../../src/image/reference.js';
import { Snapshotter } from '../../src/image/snapshot/snapshotter.js';
import { createDecompressor } from '../../src/image/unpack/decompress.js';
import { unpackLayer } from '../../src/image/unpack/extract.js';
import { silentLogger } from '../../src/util/log.js';

const MB = 1e6;
const totalMb = Number(process.env.BENCH_MB ?? 200);
const nLayers = Number(process.env.BENCH_LAYERS ?? 5);
const repeat = Number(process.env.BENCH_REPEAT ?? 3);
const wanted = new Set(process.argv.slice(2));
const want = (s: string): boolean => wanted.size === 0 || wanted.has(s);
const log = silentLogger();
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const sink = (): Writable =>
  new Writable({
    highWaterMark: 1 << 20,
    write(_c: Buffer, _e, cb): void {
      cb();
    },
  });

async function main(): Promise<void> {
  const img = await buildBigImage({ totalBytes: totalMb * MB, layers: nLayers });
  const bytes = img.layerFiles.reduce((n, l) => n + l.size, 0);
  const work = mkdtempSync(join(tmpdir(), 'critter-stages-'));
  const cpu0 = process.cpuUsage();
  const stage = async (name: string, fn: () => Promise<void>): Promise<void> => {
    if (!want(name)) return;
    // BENCH_PROFILE=<dir>: a CPU profile of this stage's runs only (not the image building).
    const profileDir = process.env.BENCH_PROFILE;
    const session = profileDir ? new Session() : undefined;
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    const times: number[] = [];
    const cpus: number[] = [];
    const elus: number[] = [];
    for (let r = 0; r < repeat; r++) {
      const c = process.cpuUsage();
      const e = performance.eventLoopUtilization();
      const t = process.hrtime.bigint();
      await fn();
      elus.push(performance.eventLoopUtilization(e).utilization);
      times.push(Number(process.hrtime.bigint() - t) / 1e9);
      const d = process.cpuUsage(c);
      cpus.push((d.user + d.system) / 1e6);
    }
    if (session && profileDir) {
      const { profile } = await session.post('Profiler.stop');
      mkdirSync(profileDir, { recursive: true });
      writeFileSync(join(profileDir, `${name}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
    }
    const s = median(times);
    process.stdout.write(
      `${name.padEnd(22)} ${s.toFixed(3)} s  ${(bytes / MB / s).toFixed(0).padStart(5)} MB/s  cpu ${median(cpus).toFixed(3)} s  main thread busy ${(median(elus) * 100).toFixed(0)}%  (runs ${times.map((x) => x.toFixed(2)).join(' ')})\n`,
    );
  };
  const eachLayer = async (fn: (path: string, i: number) => Promise<void>): Promise<void> => {
    for (const [i, l] of img.layerFiles.entries()) await fn(l.path, i);
  };
  try {
    process.stdout.write(`image: ${(bytes / MB).toFixed(1)} MB compressed in ${nLayers} layers; medians of ${repeat}\n`);
    await stage('read', () => eachLayer((p) => pipeline(createReadStream(p, { highWaterMark: 1 << 20 }), sink())));
    await stage('sha256', () =>
      eachLayer(async (p) => {
        const h = createHash('sha256');
        for await (const c of createReadStream(p, { highWaterMark: 1 << 20 })) h.update(c as Buffer);
        h.digest();
      }),
    );
    await stage('gunzip', () => eachLayer((p) => pipeline(createReadStream(p, { highWaterMark: 1 << 20 }), createDecompressor('gzip')!, sink())));
    await stage('gunzip+sha256', () =>
      eachLayer(async (p) => {
        const h = createHash('sha256');
        for await (const c of createReadStream(p, { highWaterMark: 1 << 20 }).pipe(createDecompressor('gzip')!)) h.update(c as Buffer);
        h.digest();
      }),
    );
    await stage('gunzip+tar-parse', () =>
      eachLayer(async (p) => {
        const x = tar.extract();
        x.on('entry', (_h, s, next) => {
          s.on('end', () => next());
          s.resume();
        });
        await pipeline(createReadStream(p, { highWaterMark: 1 << 20 }), createDecompressor('gzip')!, x);
      }),
    );
    await stage('unpackLayer', () =>
      eachLayer(async (p, i) => {
        const l = img.layerFiles[i]!;
        const dir = join(work, `u${i}`);
        await unpackLayer(createReadStream(p, { highWaterMark: 1 << 20 }), dir, { mediaType: l.mediaType, expectedDiffId: l.diffId, log });
      }).finally(() => {
        for (let i = 0; i < nLayers; i++) rmSync(join(work, `u${i}`), { recursive: true, force: true });
      }),
    );
    await stage('ingest', async () => {
      const root = join(work, 'cs');
      const cs = await ContentStore.open(root, log);
      await eachLayer(async (p, i) => {
        const l = img.layerFiles[i]!;
        await cs.ingest(l.digest, l.size, createReadStream(p, { highWaterMark: 1 << 20 }));
      });
      rmSync(root, { recursive: true, force: true });
    });

    if (!want('download') && !want('pull')) return;
    const reg = await startRegistry();
    try {
      await pushFileImage(reg, 'big', ['latest'], img);
      const certs = join(work, 'certs');
      mkdirSync(join(certs, reg.host), { recursive: true });
      writeFileSync(join(certs, reg.host, 'hosts.toml'), `server = "http://${reg.host}"\n`);
      const ref = parseReference(`${reg.host}/big:latest`);
      await stage('download', async () => {
        const client = new RegistryClient({ endpoints: await resolveEndpoints(ref.domain, { configDir: certs }), logger: log });
        try {
          await Promise.all(
            img.layerFiles.map(async (l) =>
              pipeline(await client.fetchBlob(ref.path, { digest: l.digest, size: l.size, mediaType: l.mediaType }), sink()),
            ),
          );
        } finally {
          client.close();
        }
      });
      await stage('pull', async () => {
        const root = join(work, 'root');
        const content = await ContentStore.open(root, log);
        const snapshots = await Snapshotter.open(root, log);
        const images = await ImageService.open({
          root,
          content,
          snapshots,
          tokenCache: new TokenCache(),
          limiter: new DownloadLimiter(3),
          log,
          registryConfigDir: certs,
          insecureRegistries: [],
          pullProgressTimeoutMs: 60_000,
          sandboxImage: 'registry.k8s.io/pause:3.9',
        });
        await images.pull(`${reg.host}/big:latest`);
        rmSync(root, { recursive: true, force: true });
      });
    } finally {
      await reg.stop();
    }
  } finally {
    const c = process.cpuUsage(cpu0);
    process.stdout.write(`process cpu: user ${(c.user / 1e6).toFixed(2)} s, system ${(c.system / 1e6).toFixed(2)} s\n`);
    rmSync(work, { recursive: true, force: true });
    await img.cleanup();
  }
}

await main();
