// PullImage through a real critterd against a real registry: every fixture kind, the pulled
// layers read through an overlay mount, dedupe of concurrent pulls, deadlines, stalls, auth,
// and failures that must leave nothing behind.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { status as Code, type ServiceError } from '@grpc/grpc-js';
import { chainIds } from '../../../src/image/snapshot/chain.js';
import { buildImage, pushImage, type BuiltImage } from '../../fixtures/image.js';
import { fixtures, maliciousImage, PASSWD, TAGGED_TAGS } from '../../fixtures/images.js';
import { startCritterd, type CritterdHandle } from '../../harness/daemon.js';
import { startRegistryProxy } from '../../harness/registry-proxy.js';
import { startRegistry, type TestRegistry } from '../../harness/registry.js';

/** A hosts.toml per host making 127.0.0.1:PORT plain http. */
function certsDir(hosts: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'critter-certs-'));
  addHosts(dir, hosts);
  return dir;
}
function addHosts(dir: string, hosts: string[]): void {
  for (const h of hosts) {
    mkdirSync(join(dir, h), { recursive: true });
    writeFileSync(join(dir, h, 'hosts.toml'), `server = "http://${h}"\n`);
  }
}
const imageConfig = (certs: string, extra = ''): string => `[image]\nregistry_config_dir = "${certs}"\n${extra}`;

async function rejectsWith(p: Promise<unknown>, code: Code, re: RegExp): Promise<ServiceError> {
  let caught: ServiceError | undefined;
  await assert.rejects(p, (e: ServiceError) => {
    caught = e;
    assert.equal(Code[e.code], Code[code], e.details);
    assert.match(e.details, re);
    return true;
  });
  return caught!;
}

/** A unique one-layer image: nothing of it is in any store yet. */
const uniqueImage = (bytes = 64 * 1024): Promise<BuiltImage> =>
  buildImage({ layers: [{ entries: [{ type: 'file', path: 'data', content: randomBytes(bytes) }], compression: 'none' }] });

/**
 * An http proxy before the registry whose blob answers are slow (`bytesPerTick` every 50 ms)
 * or stall after the first chunk.
 */
async function startSlowProxy(upstream: string, mode: { stall: true } | { bytesPerTick: number }): Promise<{ host: string; stop(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const up = http.request(new URL(req.url ?? '/', upstream), { method: req.method, headers: { ...req.headers, host: new URL(upstream).host } }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      if (!/\/blobs\/sha256:/.test(req.url ?? '') || req.method !== 'GET') {
        ur.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      ur.on('data', (c: Buffer) => chunks.push(c));
      ur.on('end', () => {
        const all = Buffer.concat(chunks);
        const step = 'stall' in mode ? 1024 : mode.bytesPerTick;
        let off = 0;
        const tick = (): void => {
          if (res.destroyed) return;
          res.write(all.subarray(off, off + step));
          off += step;
          if ('stall' in mode) return; // never another byte
          if (off >= all.length) res.end();
          else setTimeout(tick, 50);
        };
        tick();
      });
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    stop: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

const ingestEntries = (d: CritterdHandle): string[] => readdirSync(join(d.root, 'content', 'ingest'));
const snapshotTemps = (d: CritterdHandle): string[] => readdirSync(join(d.root, 'snapshots')).filter((n) => n.startsWith('tmp-'));
const blobExists = (d: CritterdHandle, digest: string): boolean => existsSync(join(d.root, 'content', 'blobs', 'sha256', digest.slice(7)));

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

void describe('PullImage', () => {
  let reg: TestRegistry;
  let certs: string;
  let d: CritterdHandle;
  const img = (repo: string, tag = 'latest'): string => `${reg.host}/${repo}:${tag}`;

  before(async () => {
    reg = await startRegistry();
    certs = certsDir([reg.host]);
    await pushImage(reg, 'busybox', ['latest'], await fixtures.busybox());
    await pushImage(reg, 'uid', ['1'], await fixtures.busyboxUid());
    await pushImage(reg, 'username', ['1'], await fixtures.busyboxUsername());
    await pushImage(reg, 'uidgid', ['1'], await fixtures.busyboxUidGid());
    await pushImage(reg, 'usergroup', ['1'], await fixtures.busyboxUserGroup());
    await pushImage(reg, 'tagged', [...TAGGED_TAGS], await fixtures.tagged());
    await pushImage(reg, 'multi', ['latest'], await fixtures.multiPlatform());
    await pushImage(reg, 'zstd', ['latest'], await fixtures.zstd());
    await pushImage(reg, 'whiteouts', ['latest'], await fixtures.whiteouts());
    d = await startCritterd({ config: imageConfig(certs) });
  });
  after(async () => {
    await d?.stop();
    await reg?.stop();
    rmSync(certs, { recursive: true, force: true });
  });

  void it('pulls busybox and returns the config digest as image_ref', async () => {
    const bb = await fixtures.busybox();
    const res = await d.clients.image.pullImage({ image: { image: img('busybox') } });
    assert.equal(res.imageRef, bb.configDigest);
    const st = await d.clients.image.imageStatus({ image: { image: img('busybox') } });
    assert.equal(st.image?.id, bb.configDigest);
    assert.deepEqual(st.image?.repoTags, [`${reg.host}/busybox:latest`]);
    assert.deepEqual(st.image?.repoDigests, [`${reg.host}/busybox@${bb.manifestDigest}`]);
    const size = bb.manifest.byteLength + bb.config.byteLength + bb.layers.reduce((n, l) => n + l.size, 0);
    assert.equal(st.image?.size, BigInt(size));
    assert.equal(st.image?.uid, undefined);
    assert.equal(st.image?.username, '');
    assert.equal(ingestEntries(d).length, 0);
  });

  void it('reports uid for numeric users and username for names', async () => {
    const cases: [string, bigint | undefined, string][] = [
      ['uid', 1000n, ''],
      ['uidgid', 1000n, ''],
      ['username', undefined, 'critter'],
      ['usergroup', undefined, 'critter'],
    ];
    for (const [repo, uid, username] of cases) {
      await d.clients.image.pullImage({ image: { image: img(repo, '1') } });
      const st = await d.clients.image.imageStatus({ image: { image: img(repo, '1') } });
      assert.equal(st.image?.uid?.value, uid, repo);
      assert.equal(st.image?.username, username, repo);
    }
  });

  void it('pulls the three tags of one image into one record', async () => {
    const t = await fixtures.tagged();
    for (const tag of TAGGED_TAGS) assert.equal((await d.clients.image.pullImage({ image: { image: img('tagged', tag) } })).imageRef, t.configDigest);
    for (const tag of TAGGED_TAGS) {
      const st = await d.clients.image.imageStatus({ image: { image: img('tagged', tag) } });
      assert.equal(st.image?.id, t.configDigest);
      assert.deepEqual(st.image?.repoTags, TAGGED_TAGS.map((x) => `${reg.host}/tagged:${x}`).sort());
    }
    const list = await d.clients.image.listImages({});
    assert.equal(list.images.filter((i) => i.id === t.configDigest).length, 1);
  });

  void it("picks this machine's manifest from a multi-platform index; the repo digest is the index's", async () => {
    const idx = await fixtures.multiPlatform();
    const host = idx.children.find((c) => c.image.layers.length === 1 && c.image.config.byteLength > 300)!;
    const res = await d.clients.image.pullImage({ image: { image: img('multi') } });
    assert.equal(res.imageRef, host.image.configDigest);
    const st = await d.clients.image.imageStatus({ image: { image: img('multi') } });
    assert.deepEqual(st.image?.repoDigests, [`${reg.host}/multi@${idx.manifestDigest}`]);
    assert.ok(blobExists(d, idx.manifestDigest) && blobExists(d, host.image.manifestDigest));
  });

  void it('pulls a zstd image and one whose whiteouts hide lower files, readable through an overlay mount', async () => {
    const z = await fixtures.zstd();
    assert.equal((await d.clients.image.pullImage({ image: { image: img('zstd') } })).imageRef, z.configDigest);
    await d.clients.image.pullImage({ image: { image: img('whiteouts') } });
    const st = await d.clients.image.imageStatus({ image: { image: img('whiteouts') }, verbose: true });
    const info = JSON.parse(st.info.info ?? '{}') as { chainID: string; imageSpec: { rootfs: { diff_ids: string[] } } };
    const chain = chainIds(info.imageSpec.rootfs.diff_ids);
    assert.equal(info.chainID, chain.at(-1));
    const lowers = chain.map((c) => join(d.root, 'snapshots', c.slice(7), 'fs')).reverse();
    const target = mkdtempSync(join(tmpdir(), 'critter-mnt-'));
    const m = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lowers.join(':')}`, target], { encoding: 'utf8' });
    assert.equal(m.status, 0, m.stderr);
    try {
      assert.ok(existsSync(join(target, 'bin', 'busybox')));
      assert.equal(readFileSync(join(target, 'etc', 'passwd'), 'utf8'), PASSWD);
      assert.equal(existsSync(join(target, 'a', 'x')), false, 'whited out');
      assert.equal(readFileSync(join(target, 'a', 'y'), 'utf8'), 'y\n');
      assert.deepEqual(readdirSync(join(target, 'b')), ['new'], 'opaque directory');
      assert.equal(readFileSync(join(target, 'keep'), 'utf8'), 'keep\n');
    } finally {
      spawnSync('umount', [target]);
      rmSync(target, { recursive: true, force: true });
    }
  });

  void it('refuses a malformed reference with INVALID_ARGUMENT and an empty one too', async () => {
    await rejectsWith(d.clients.image.pullImage({ image: { image: 'Not/Valid:ref' } }), Code.INVALID_ARGUMENT, /invalid image reference/);
    await rejectsWith(d.clients.image.pullImage({ image: { image: '' } }), Code.INVALID_ARGUMENT, /image\.image is required/);
    await rejectsWith(d.clients.image.pullImage({}), Code.INVALID_ARGUMENT, /image is required/);
  });

  void it('answers NOT_FOUND for an image the registry does not have, naming it', async () => {
    await rejectsWith(d.clients.image.pullImage({ image: { image: img('nothere', 'v9') } }), Code.NOT_FOUND, /pulling .*nothere:v9: .*HTTP 404/);
  });

  void it('fails a malicious image clearly and leaves neither record, snapshot nor blob', async () => {
    for (const name of ['dotdot', 'symlink-up', 'hardlink-absolute'] as const) {
      const evil = await maliciousImage(name);
      await pushImage(reg, `evil-${name}`, ['1'], evil);
      const e = await rejectsWith(d.clients.image.pullImage({ image: { image: img(`evil-${name}`, '1') } }), Code.INVALID_ARGUMENT, new RegExp(`pulling .*evil-${name}:1: `));
      assert.ok(!/at .*\.js/.test(e.details), 'no stack in the message');
      const st = await d.clients.image.imageStatus({ image: { image: img(`evil-${name}`, '1') } });
      assert.equal(st.image, undefined);
      assert.equal(blobExists(d, evil.layers[0]!.digest), false, 'the layer blob was collected');
      assert.equal(blobExists(d, evil.configDigest), false);
      assert.deepEqual(snapshotTemps(d), []);
      assert.equal(existsSync(join(d.root, 'escape')) || existsSync(join(d.root, 'snapshots', 'escape')), false);
    }
  });

  void it('downloads each blob once for five concurrent pulls of one image', async () => {
    const u = await uniqueImage(256 * 1024);
    await pushImage(reg, 'concurrent', ['1'], u);
    const proxy = await startRegistryProxy({ upstream: reg.url });
    addHosts(certs, [proxy.host]);
    try {
      const ref = `${proxy.host}/concurrent:1`;
      const ids = await Promise.all([1, 2, 3, 4, 5].map(() => d.clients.image.pullImage({ image: { image: ref } })));
      assert.deepEqual(new Set(ids.map((r) => r.imageRef)), new Set([u.configDigest]));
      const blobGets = proxy.requests.filter((r) => r.method === 'GET' && r.path.includes('/blobs/'));
      const per = new Map<string, number>();
      for (const r of blobGets) per.set(r.path, (per.get(r.path) ?? 0) + 1);
      assert.equal(per.size, 2, 'config and layer');
      for (const [p, n] of per) assert.equal(n, 1, `${p} fetched ${n} times`);
      assert.equal((await d.clients.image.listImages({ filter: { image: { image: ref } } })).images.length, 1);
    } finally {
      await proxy.stop();
    }
  });

  void it('stops at the client deadline with DEADLINE_EXCEEDED and leaves no temp files', async () => {
    const u = await uniqueImage(4 * 1024 * 1024);
    await pushImage(reg, 'slow', ['1'], u);
    const slow = await startSlowProxy(reg.url, { bytesPerTick: 64 * 1024 });
    addHosts(certs, [slow.host]);
    try {
      const ref = `${slow.host}/slow:1`;
      await rejectsWith(d.clients.image.pullImage({ image: { image: ref } }, { deadline: new Date(Date.now() + 1500) }), Code.DEADLINE_EXCEEDED, /deadline/i);
      // The server gave up too, and says why.
      await waitFor(() => /"method":"ImageService\/PullImage"[^\n]*"code":"DEADLINE_EXCEEDED"/.test(d.logs()));
      await waitFor(() => ingestEntries(d).length === 0);
      assert.deepEqual(snapshotTemps(d), []);
      assert.equal((await d.clients.image.imageStatus({ image: { image: ref } })).image, undefined);
      await waitFor(() => !blobExists(d, u.configDigest));
    } finally {
      await slow.stop();
    }
  });

  void it('SIGTERM lets an in-flight pull finish, then removes the socket and exits 0', async () => {
    const u = await uniqueImage(1024 * 1024);
    await pushImage(reg, 'inflight', ['1'], u);
    // About 1 s of transfer: long enough to signal mid-pull, well inside the 10 s grace period.
    const slow = await startSlowProxy(reg.url, { bytesPerTick: 64 * 1024 });
    addHosts(certs, [slow.host]);
    const s = await startCritterd({ config: imageConfig(certs) });
    try {
      const ref = `${slow.host}/inflight:1`;
      const pull = s.clients.image.pullImage({ image: { image: ref } });
      await waitFor(() => ingestEntries(s).length > 0);
      s.process.kill('SIGTERM');
      const res = await pull;
      assert.equal(res.imageRef, u.configDigest, 'the in-flight pull completed');
      assert.equal(await s.exited, 0);
      assert.equal(existsSync(s.socket), false, 'socket removed');
      assert.ok(blobExists(s, u.configDigest), 'what the pull committed is kept');
    } finally {
      await s.stop();
      await slow.stop();
    }
  });

  void it('fails a pull whose registry stops sending, naming host and image', async () => {
    const u = await uniqueImage(256 * 1024);
    await pushImage(reg, 'stall', ['1'], u);
    const stall = await startSlowProxy(reg.url, { stall: true });
    addHosts(certs, [stall.host]);
    const s = await startCritterd({ config: imageConfig(certs, 'pull_progress_timeout = "1s"\n') });
    try {
      const ref = `${stall.host}/stall:1`;
      const started = Date.now();
      await rejectsWith(
        s.clients.image.pullImage({ image: { image: ref } }),
        Code.UNAVAILABLE,
        new RegExp(`no bytes received for 1 s from ${stall.host.replace(/\./g, '\\.')} while pulling ${ref.replace(/\./g, '\\.')}`),
      );
      assert.ok(Date.now() - started < 10_000);
      await waitFor(() => ingestEntries(s).length === 0);
    } finally {
      await s.stop();
      await stall.stop();
    }
  });

  void it('authenticates through a token realm with every AuthConfig form, and never logs secrets', async () => {
    const secret = { username: 'critter', password: `pw-${randomBytes(6).toString('hex')}`, refreshToken: `rt-${randomBytes(6).toString('hex')}`, registryToken: `bt-${randomBytes(6).toString('hex')}` };
    const u = await uniqueImage(16 * 1024);
    await pushImage(reg, 'private', ['1'], u);
    const proxy = await startRegistryProxy({ upstream: reg.url, token: secret });
    addHosts(certs, [proxy.host]);
    try {
      const ref = `${proxy.host}/private:1`;
      await rejectsWith(d.clients.image.pullImage({ image: { image: ref } }), Code.FAILED_PRECONDITION, /unauthorized/);
      const forms = [
        { username: secret.username, password: secret.password },
        { auth: Buffer.from(`${secret.username}:${secret.password}`).toString('base64') },
        { identityToken: secret.refreshToken },
        { registryToken: secret.registryToken },
      ];
      for (const auth of forms) {
        await d.clients.image.removeImage({ image: { image: ref } });
        const res = await d.clients.image.pullImage({ image: { image: ref }, auth });
        assert.equal(res.imageRef, u.configDigest, JSON.stringify(Object.keys(auth)));
      }
      await rejectsWith(d.clients.image.pullImage({ image: { image: `${ref}x` }, auth: { username: 'critter', password: 'wrong' } }), Code.FAILED_PRECONDITION, /unauthorized/);
      const logs = d.logs();
      const secrets = [secret.password, secret.refreshToken, secret.registryToken, forms[1]!.auth!];
      for (const s of secrets) assert.ok(!logs.includes(s), 'secret in the log');
      // Nowhere under --root or --state either (records, caches, the content store); sockets and FIFOs skipped.
      for (const s of secrets) {
        const onDisk = spawnSync('grep', ['-rlF', '-D', 'skip', '-e', s, d.root, d.state], { encoding: 'utf8' });
        assert.equal(onDisk.stdout, '', 'secret on disk');
      }
    } finally {
      await proxy.stop();
    }
  });
});
