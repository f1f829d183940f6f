// The critter client's image verbs (pull, images, inspecti, rmi, imagefsinfo) through
// bin/critter, against critterd and against a real containerd pulling from the same registry.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pushImage, type BuiltImage } from '../../fixtures/image.js';
import { fixtures, TAGGED_TAGS } from '../../fixtures/images.js';
import { containerdAvailable, startContainerd } from '../../harness/containerd.js';
import { CRITTER, startCritterd, type CritterdHandle } from '../../harness/daemon.js';
import { startRegistryProxy } from '../../harness/registry-proxy.js';
import { startRegistry, type TestRegistry } from '../../harness/registry.js';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

// Asynchronous so the daemons in this process keep being served while the client runs.
function critter(socket: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CRITTER, '-r', socket, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const t = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (status) => {
      clearTimeout(t);
      resolve({ status, stdout, stderr });
    });
  });
}

function hostsDir(hosts: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'critter-certs-'));
  for (const h of hosts) {
    mkdirSync(join(dir, h));
    writeFileSync(join(dir, h, 'hosts.toml'), `server = "http://${h}"\n`);
  }
  return dir;
}

const short = (id: string): string => id.slice(7, 20);

void describe('critter image commands', () => {
  let reg: TestRegistry;
  let bb: BuiltImage;
  let tagged: BuiltImage;

  before(async () => {
    reg = await startRegistry();
    bb = await fixtures.busybox();
    tagged = await fixtures.tagged();
    await pushImage(reg, 'busybox', ['latest'], bb);
    await pushImage(reg, 'tagged', [...TAGGED_TAGS], tagged);
  });
  after(async () => {
    await reg?.stop();
  });

  void describe('against critterd', () => {
    let d: CritterdHandle;
    let certs: string;
    before(async () => {
      certs = hostsDir([reg.host]);
      d = await startCritterd({ config: `[image]\nregistry_config_dir = "${certs}"\n` });
    });
    after(async () => {
      await d?.stop();
      rmSync(certs, { recursive: true, force: true });
    });

    void it('pull prints the image id, with per-layer progress lines when not on a terminal', async () => {
      const r = await critter(d.socket, ['pull', `${reg.host}/busybox`]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `Image is up to date for ${bb.configDigest}\n`);
      const layer = bb.layers[0]!.digest.slice(7, 19);
      assert.match(r.stderr, new RegExp(`^${layer}: (downloading|downloaded|exists) `, 'm'));
      assert.match(r.stderr, new RegExp(`^${layer}: unpacked `, 'm'));
      assert.match(r.stderr, /^pulled \S+ in \d+\.\d s \(\S+\/s\)$/m);
    });

    void it('images prints crictl columns, -q ids, -o json the response', async () => {
      for (const t of TAGGED_TAGS) assert.equal((await critter(d.socket, ['pull', `${reg.host}/tagged:${t}`])).status, 0);
      const r = await critter(d.socket, ['images']);
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout.trimEnd().split('\n');
      assert.match(lines[0]!, /^IMAGE\s+TAG\s+IMAGE ID\s+SIZE$/);
      assert.match(r.stdout, new RegExp(`^${reg.host}/busybox\\s+latest\\s+${short(bb.configDigest)}\\s+\\d+(\\.\\d+)?[kM]B$`, 'm'));
      for (const t of TAGGED_TAGS) assert.match(r.stdout, new RegExp(`^${reg.host}/tagged\\s+${t}\\s+${short(tagged.configDigest)}\\s`, 'm'));
      const q = await critter(d.socket, ['images', '-q']);
      assert.deepEqual(q.stdout.trim().split('\n').sort(), [bb.configDigest, tagged.configDigest].sort());
      const j = JSON.parse((await critter(d.socket, ['images', '-o', 'json'])).stdout) as { images: { id: string; repoTags: string[]; size: string }[] };
      assert.equal(j.images.find((i) => i.id === tagged.configDigest)?.repoTags.length, 3);
      const f = await critter(d.socket, ['images', '-q', `${reg.host}/busybox`]);
      assert.equal(f.stdout, `${bb.configDigest}\n`);
    });

    void it('inspecti prints status and decoded info; a missing image is an error', async () => {
      const r = await critter(d.socket, ['inspecti', short(bb.configDigest)]);
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { status: { id: string; repoTags: string[] }; info: { info: { chainID: string; imageSpec: { os: string } } } };
      assert.equal(out.status.id, bb.configDigest);
      assert.equal(out.info.info.imageSpec.os, 'linux');
      const miss = await critter(d.socket, ['inspecti', 'nothere']);
      assert.equal(miss.status, 1);
      assert.match(miss.stderr, /no such image "nothere" present/);
    });

    void it('imagefsinfo prints the image filesystem', async () => {
      const r = await critter(d.socket, ['imagefsinfo']);
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { status: { imageFilesystems: { fsId: { mountpoint: string }; usedBytes: { value: string } }[] } };
      assert.equal(out.status.imageFilesystems[0]?.fsId.mountpoint, join(d.root, 'snapshots'));
      assert.ok(Number(out.status.imageFilesystems[0]?.usedBytes.value) > 0);
    });

    void it('rmi removes by tag and by id, prints what went, and fails on a missing image', async () => {
      const r = await critter(d.socket, ['rmi', `${reg.host}/tagged:one`, short(bb.configDigest)]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Deleted: ${reg.host}/tagged:one$`, 'm'));
      assert.match(r.stdout, new RegExp(`^Deleted: ${reg.host}/busybox:latest$`, 'm'));
      assert.equal((await critter(d.socket, ['images', '-q'])).stdout, '');
      const miss = await critter(d.socket, ['rmi', 'nothere']);
      assert.equal(miss.status, 1);
      assert.match(miss.stderr, /no such image nothere/);
    });

    void it('pull --creds and --auth reach a registry behind a token realm', async () => {
      const proxy = await startRegistryProxy({ upstream: reg.url, token: { username: 'u', password: 'p4ss' } });
      mkdirSync(join(certs, proxy.host));
      writeFileSync(join(certs, proxy.host, 'hosts.toml'), `server = "http://${proxy.host}"\n`);
      try {
        const anon = await critter(d.socket, ['pull', `${proxy.host}/busybox`]);
        assert.equal(anon.status, 1);
        assert.match(anon.stderr, /FAILED_PRECONDITION: .*unauthorized/);
        const r = await critter(d.socket, ['pull', '--creds', 'u:p4ss', `${proxy.host}/busybox`]);
        assert.equal(r.status, 0, r.stderr);
        const a = await critter(d.socket, ['pull', '--auth', Buffer.from('u:p4ss').toString('base64'), `${proxy.host}/busybox`]);
        assert.equal(a.status, 0, a.stderr);
        const both = await critter(d.socket, ['pull', '--auth', 'x', '--creds', 'u:p', `${proxy.host}/busybox`]);
        assert.equal(both.status, 1);
      } finally {
        await proxy.stop();
      }
    });

    void it('a bad reference is INVALID_ARGUMENT', async () => {
      const r = await critter(d.socket, ['pull', 'bad//ref']);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^critter: INVALID_ARGUMENT: invalid image reference "bad\/\/ref"/);
    });
  });

  void describe('against containerd', { skip: !containerdAvailable() && 'containerd is not installed' }, () => {
    void it('pull, images, inspecti, imagefsinfo and rmi work the same way', async () => {
      const certs = hostsDir([reg.host]);
      const c = await startContainerd(`[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "${certs}"\n`);
      try {
        const p = await critter(c.socket, ['pull', `${reg.host}/busybox`]);
        assert.equal(p.status, 0, p.stderr);
        assert.equal(p.stdout, `Image is up to date for ${bb.configDigest}\n`);
        assert.equal(p.stderr, '', 'no progress from a runtime without the progress service');
        const i = await critter(c.socket, ['images']);
        assert.equal(i.status, 0, i.stderr);
        assert.match(i.stdout, new RegExp(`^${reg.host}/busybox\\s+latest\\s+${short(bb.configDigest)}\\s+\\d`, 'm'));
        const s = await critter(c.socket, ['inspecti', `${reg.host}/busybox`]);
        assert.equal(s.status, 0, s.stderr);
        assert.equal((JSON.parse(s.stdout) as { status: { id: string } }).status.id, bb.configDigest);
        const f = await critter(c.socket, ['imagefsinfo']);
        assert.equal(f.status, 0, f.stderr);
        const r = await critter(c.socket, ['rmi', `${reg.host}/busybox`]);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`^Deleted: ${reg.host}/busybox:latest$`, 'm'));
        assert.equal((await critter(c.socket, ['images', '-q'])).stdout, '');
      } finally {
        await c.stop();
        rmSync(certs, { recursive: true, force: true });
      }
    });
  });
});
