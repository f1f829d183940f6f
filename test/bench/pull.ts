// Cold-pull benchmark: a ~200 MB, 5-layer image from a local registry, pulled through
// critterd's CRI and through containerd's CRI (same registry, hosts.toml), fresh roots every
// run, 3 runs each, alternating which goes first. Prints figures; never fails on timing.
//
//   npm run bench:pull            (BENCH_MB=200 BENCH_RUNS=3 BENCH_LAYERS=5 to change)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBigImage } from '../fixtures/big.js';
import { pushFileImage } from '../fixtures/image.js';
import { containerdAvailable, startContainerd } from '../harness/containerd.js';
import { REPO, startCritterd } from '../harness/daemon.js';
import { startRegistry } from '../harness/registry.js';
import { makeCriClients } from '../../src/server/service-definitions.js';

const MB = 1e6;
const totalMb = Number(process.env.BENCH_MB ?? 200);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const layers = Number(process.env.BENCH_LAYERS ?? 5);

function ensureBuilt(): void {
  if (existsSync(join(REPO, 'dist', 'cmd', 'critterd.js'))) return;
  process.stderr.write('building dist/ ...\n');
  spawnSync('npm', ['run', 'build'], { cwd: REPO, stdio: 'inherit' });
  if (!existsSync(join(REPO, 'dist', 'cmd', 'critterd.js'))) throw new Error('npm run build did not produce dist/');
}

/** Peak resident set of a process (VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const fmt = (n: number): string => n.toFixed(1);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  ensureBuilt();
  process.stderr.write(`building a ${totalMb} MB, ${layers}-layer image ...\n`);
  const img = await buildBigImage({ totalBytes: totalMb * MB, layers });
  const reg = await startRegistry();
  const certs = mkdtempSync(join(tmpdir(), 'critter-bench-certs-'));
  try {
    await pushFileImage(reg, 'big', ['latest'], img);
    mkdirSync(join(certs, reg.host));
    writeFileSync(join(certs, reg.host, 'hosts.toml'), `server = "http://${reg.host}"\n`);
    const ref = `${reg.host}/big:latest`;
    const bytes = img.layers.reduce((n, l) => n + l.size, 0) + img.config.byteLength + img.manifest.byteLength;
    process.stderr.write(`pushed ${fmt(bytes / MB)} MB; pulling ${ref}\n`);

    const critter = async (): Promise<{ s: number; rss: number }> => {
      const d = await startCritterd({ config: `[image]\nregistry_config_dir = "${certs}"\n`, logLevel: 'info' });
      try {
        const t = process.hrtime.bigint();
        const res = await d.clients.image.pullImage({ image: { image: ref } });
        const s = Number(process.hrtime.bigint() - t) / 1e9;
        if (res.imageRef !== img.configDigest) throw new Error(`critterd returned ${res.imageRef}`);
        return { s, rss: peakRssMb(d.process.pid!) };
      } finally {
        await d.stop();
      }
    };
    const containerd = async (): Promise<number> => {
      const c = await startContainerd(`[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "${certs}"\n`);
      const clients = makeCriClients(c.socket);
      try {
        const t = process.hrtime.bigint();
        await clients.image.pullImage({ image: { image: ref } });
        return Number(process.hrtime.bigint() - t) / 1e9;
      } finally {
        clients.close();
        await c.stop();
      }
    };

    const cr: number[] = [];
    const ct: number[] = [];
    const rss: number[] = [];
    const haveContainerd = containerdAvailable();
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? ['critterd', 'containerd'] : ['containerd', 'critterd'];
      for (const who of order) {
        if (who === 'critterd') {
          const r = await critter();
          cr.push(r.s);
          rss.push(r.rss);
          process.stdout.write(`run ${i + 1} critterd:   ${fmt(r.s)} s  ${fmt(bytes / MB / r.s)} MB/s  peak RSS ${fmt(r.rss)} MB\n`);
        } else if (haveContainerd) {
          const s = await containerd();
          ct.push(s);
          process.stdout.write(`run ${i + 1} containerd: ${fmt(s)} s  ${fmt(bytes / MB / s)} MB/s\n`);
        }
      }
    }
    const crRate = bytes / MB / median(cr);
    process.stdout.write(`\nimage: ${fmt(bytes / MB)} MB compressed, ${layers} layers, ${runs} cold pulls each (median)\n`);
    process.stdout.write(`critterd:   ${fmt(crRate)} MB/s, peak RSS ${fmt(Math.max(...rss))} MB\n`);
    if (ct.length > 0) {
      const ctRate = bytes / MB / median(ct);
      process.stdout.write(`containerd: ${fmt(ctRate)} MB/s\nratio critterd/containerd: ${(crRate / ctRate).toFixed(2)}\n`);
    } else {
      process.stdout.write('containerd: not installed, skipped\n');
    }
  } finally {
    await reg.stop();
    await img.cleanup();
    rmSync(certs, { recursive: true, force: true });
  }
}

await main();
