import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ContentStore } from '../../../src/image/content/store.js';
import { CritterError } from '../../../src/util/errors.js';
import { silentLogger } from '../../../src/util/log.js';

const digestOf = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A stream that yields data in chunks, waiting for `gate` before the last chunk. */
function slowStream(data: Buffer, gate: Promise<void>): Readable {
  return Readable.from(
    (async function* () {
      const half = Math.floor(data.length / 2);
      yield data.subarray(0, half);
      await gate;
      yield data.subarray(half);
    })(),
  );
}

async function expectKind(p: Promise<unknown>, kind: string, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof CritterError, `want a CritterError, got ${String(e)}`);
    assert.equal(e.kind, kind);
    assert.match(e.message, re);
    return true;
  });
}

void describe('content store', () => {
  let root: string;
  let store: ContentStore;
  const ingestEntries = async (): Promise<string[]> => readdir(join(root, 'content', 'ingest'));

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'critter-content-'));
    store = await ContentStore.open(root, silentLogger());
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  void it('stores a verified blob under blobs/sha256/<hex>', async () => {
    const data = Buffer.from('hello content store');
    const d = digestOf(data);
    assert.equal(await store.has(d), false);
    const info = await store.ingest(d, data.length, Readable.from([data]), { what: 'layer', source: 'test' });
    assert.deepEqual(info, { digest: d, size: data.length });
    assert.equal(await store.has(d), true);
    assert.equal((await stat(join(root, 'content', 'blobs', 'sha256', d.slice(7)))).size, data.length);
    const chunks: Buffer[] = [];
    for await (const c of await store.read(d)) chunks.push(c as Buffer);
    assert.deepEqual(Buffer.concat(chunks), data);
    assert.deepEqual(await store.info(d), { digest: d, size: data.length });
    assert.deepEqual(await ingestEntries(), []);
  });

  void it('refuses a digest mismatch, naming the blob and its source, and leaves nothing', async () => {
    const data = Buffer.from('the real bytes');
    const wrong = digestOf(Buffer.from('other bytes'));
    await expectKind(store.ingest(wrong, data.length, Readable.from([data]), { what: 'layer', source: '127.0.0.1:5000/busybox' }), 'InvalidArgument', new RegExp(`^layer ${wrong} from 127\\.0\\.0\\.1:5000/busybox: digest mismatch, got ${digestOf(data)}$`));
    assert.equal(await store.has(wrong), false);
    assert.deepEqual(await ingestEntries(), []);
  });

  void it('refuses a size mismatch (short and long)', async () => {
    const data = Buffer.from('sized');
    const d = digestOf(data);
    await expectKind(store.ingest(d, data.length + 1, Readable.from([data])), 'InvalidArgument', /size mismatch, got 5 bytes, want 6/);
    await expectKind(store.ingest(d, data.length - 1, Readable.from([data])), 'InvalidArgument', /size mismatch, got more than/);
    assert.equal(await store.has(d), false);
    assert.deepEqual(await ingestEntries(), []);
  });

  void it('refuses malformed digests before touching the filesystem', async () => {
    await expectKind(store.ingest('sha256:../../etc', 1, Readable.from([Buffer.from('x')])), 'InvalidArgument', /malformed digest/);
    await expectKind(store.info('md5:abc'), 'InvalidArgument', /malformed digest/);
  });

  void it('aborting an ingest removes the temp file and reports Cancelled', async () => {
    const data = Buffer.alloc(1 << 16, 7);
    const d = digestOf(data);
    const ac = new AbortController();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const p = store.ingest(d, data.length, slowStream(data, gate), { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await ingestEntries()).length, 1, 'temp file exists mid-ingest');
    ac.abort();
    release();
    await expectKind(p, 'Cancelled', /cancelled/);
    assert.equal(await store.has(d), false);
    assert.deepEqual(await ingestEntries(), []);
  });

  void it('concurrent ingests of one digest share one download', async () => {
    const data = Buffer.alloc(100_000, 3);
    const d = digestOf(data);
    let opened = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const open = (): Promise<Readable> => {
      opened++;
      return Promise.resolve(slowStream(data, gate));
    };
    const all = Promise.all([store.ingest(d, data.length, open), store.ingest(d, data.length, open), store.ingest(d, data.length, open)]);
    await new Promise((r) => setTimeout(r, 20));
    release();
    const infos = await all;
    assert.equal(opened, 1);
    for (const i of infos) assert.deepEqual(i, { digest: d, size: data.length });
  });

  void it('a waiter whose leader was cancelled retries with its own source', async () => {
    const data = Buffer.alloc(50_000, 9);
    const d = digestOf(data);
    const ac = new AbortController();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const leader = store.ingest(d, data.length, slowStream(data, gate), { signal: ac.signal });
    let waiterOpened = 0;
    const waiter = store.ingest(d, data.length, () => {
      waiterOpened++;
      return Promise.resolve(Readable.from([data]));
    });
    await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    release();
    await expectKind(leader, 'Cancelled', /cancelled/);
    assert.deepEqual(await waiter, { digest: d, size: data.length });
    assert.equal(waiterOpened, 1);
  });

  void it('a waiter of a bad blob fails on its own attempt too', async () => {
    const data = Buffer.from('bad');
    const d = digestOf(Buffer.from('good'));
    const a = store.ingest(d, 3, Readable.from([data]));
    const b = store.ingest(d, 3, () => Promise.resolve(Readable.from([data])));
    await expectKind(a, 'InvalidArgument', /digest mismatch/);
    await expectKind(b, 'InvalidArgument', /digest mismatch/);
  });

  void it('putBytes/readBytes, list, delete and usage', async () => {
    const manifest = Buffer.from('{"schemaVersion":2}');
    const d = await store.putBytes(manifest);
    assert.equal(d, digestOf(manifest));
    assert.deepEqual(await store.readBytes(d), manifest);
    await expectKind(store.readBytes(d, 4), 'InvalidArgument', /more than the 4 allowed/);
    await expectKind(store.putBytes(manifest, digestOf(Buffer.from('x'))), 'InvalidArgument', /digest mismatch/);
    const listed = await store.list();
    assert.ok(listed.some((b) => b.digest === d && b.size === manifest.length));
    const u = await store.usage();
    assert.ok(u.bytes > 0 && u.inodes >= listed.length + 4, JSON.stringify(u));
    assert.equal(await store.delete(d), true);
    assert.equal(await store.delete(d), false);
    await expectKind(store.readBytes(d), 'NotFound', /not found/);
    await expectKind(store.read(d), 'NotFound', /not found/);
  });

  void it('an ingest of a present blob does not read the source', async () => {
    const data = Buffer.from('present');
    const d = await store.putBytes(data);
    let opened = false;
    await store.ingest(d, data.length, () => {
      opened = true;
      return Promise.resolve(Readable.from([data]));
    });
    assert.equal(opened, false);
  });
});
