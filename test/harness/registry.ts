// A real docker-registry (distribution 2.8) on 127.0.0.1 for tests: random port, its own temp
// storage, filesystem driver, no auth unless htpasswd credentials are asked for.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';

export interface TestRegistry {
  host: string; // "127.0.0.1:PORT"
  url: string; // "http://127.0.0.1:PORT"
  dataDir: string;
  pushBlob(repo: string, data: Uint8Array): Promise<string>; // returns "sha256:..." (monolithic upload: POST then PUT ?digest=)
  pushManifest(repo: string, reference: string, body: Uint8Array, mediaType: string): Promise<string>; // returns the manifest digest
  stop(): Promise<void>; // kills the process, waits for exit, removes the temp dir
}

export interface StartRegistryOptions {
  /**
   * Protect the registry with htpasswd basic auth. Needs a bcrypt hash, made with python3's
   * crypt module when present (see htpasswdAvailable()); startRegistry throws otherwise.
   */
  htpasswd?: { username: string; password: string };
}

/** Whether this machine can make the bcrypt line htpasswd auth needs. */
export function htpasswdAvailable(): boolean {
  return bcryptHash('probe') !== undefined;
}

function bcryptHash(password: string): string | undefined {
  const r = spawnSync(
    'python3',
    ['-W', 'ignore', '-c', 'import crypt,sys; print(crypt.crypt(sys.stdin.read(), crypt.mksalt(crypt.METHOD_BLOWFISH)))'],
    { input: password, encoding: 'utf8' },
  );
  const out = (r.stdout ?? '').trim();
  return r.status === 0 && /^\$2[aby]\$/.test(out) ? out : undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

export async function startRegistry(opts: StartRegistryOptions = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'critter-registry-'));
  try {
    return await launch(dir, opts);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

async function launch(dir: string, opts: StartRegistryOptions): Promise<TestRegistry> {
  const dataDir = join(dir, 'data');
  let authHeader: string | undefined;
  let authYaml = '';
  if (opts.htpasswd !== undefined) {
    const hash = bcryptHash(opts.htpasswd.password);
    if (hash === undefined) throw new Error('htpasswd auth needs python3 with the crypt module to make a bcrypt hash');
    await writeFile(join(dir, 'htpasswd'), `${opts.htpasswd.username}:${hash}\n`);
    authYaml = `auth:\n  htpasswd:\n    realm: critter-test\n    path: ${join(dir, 'htpasswd')}\n`;
    authHeader = `Basic ${Buffer.from(`${opts.htpasswd.username}:${opts.htpasswd.password}`).toString('base64')}`;
  }

  // The port is picked before the registry binds it, so another process may win the race: retry.
  for (let tries = 0; ; tries++) {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const config =
      `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n` +
      `storage:\n  filesystem:\n    rootdirectory: ${dataDir}\n  delete:\n    enabled: true\n` +
      `http:\n  addr: ${host}\n  secret: ${createHash('sha256').update(dir).digest('hex')}\n` +
      authYaml;
    const configPath = join(dir, 'config.yml');
    await writeFile(configPath, config);
    const child = spawn(REGISTRY_BINARY, ['serve', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const url = `http://${host}`;
    const ready = await waitReady(url, child);
    if (!ready) {
      child.kill('SIGKILL');
      await waitExit(child, 5000);
      if (tries < 2) continue;
      throw new Error(`docker-registry did not start on ${host}: ${stderr.trim()}`);
    }
    return makeHandle(child, dir, dataDir, host, url, authHeader);
  }
}

async function waitReady(url: string, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    try {
      const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200 || res.status === 401) return true;
    } catch {
      // Not listening yet.
    }
    await sleep(50);
  }
  return false;
}

/** Monolithic blob and manifest uploads to any registry at `url` (the distribution API). */
export function registryPusher(url: string, authHeader?: string): Pick<TestRegistry, 'pushBlob' | 'pushManifest'> {
  const headers = (extra: Record<string, string> = {}): Record<string, string> =>
    authHeader === undefined ? extra : { ...extra, authorization: authHeader };
  return {
    async pushBlob(repo: string, data: Uint8Array): Promise<string> {
      const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
      const start = await fetch(`${url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: headers() });
      await start.arrayBuffer();
      const location = start.headers.get('location');
      if (start.status !== 202 || location === null) throw new Error(`starting blob upload to ${repo}: HTTP ${start.status}`);
      const put = new URL(location, url);
      put.searchParams.set('digest', digest);
      const res = await fetch(put, {
        method: 'PUT',
        headers: headers({ 'content-type': 'application/octet-stream' }),
        body: data,
      });
      const text = await res.text();
      if (res.status !== 201) throw new Error(`uploading blob ${digest} to ${repo}: HTTP ${res.status} ${text}`);
      return digest;
    },
    async pushManifest(repo: string, reference: string, body: Uint8Array, mediaType: string): Promise<string> {
      const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
      const res = await fetch(`${url}/v2/${repo}/manifests/${reference}`, {
        method: 'PUT',
        headers: headers({ 'content-type': mediaType }),
        body,
      });
      const text = await res.text();
      if (res.status !== 201) throw new Error(`pushing manifest ${repo}:${reference}: HTTP ${res.status} ${text}`);
      const served = res.headers.get('docker-content-digest');
      if (served !== null && served !== digest) throw new Error(`registry stored manifest as ${served}, expected ${digest}`);
      return digest;
    },
  };
}

function makeHandle(child: ChildProcess, dir: string, dataDir: string, host: string, url: string, authHeader?: string): TestRegistry {
  let stopped = false;
  return {
    host,
    url,
    dataDir,
    ...registryPusher(url, authHeader),
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      child.kill('SIGTERM');
      if (!(await waitExit(child, 5000))) {
        child.kill('SIGKILL');
        await waitExit(child, 5000);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
