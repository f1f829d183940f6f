// A pull killed mid-ingest must leave nothing visible, and the next open + pull must succeed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ContentStore } from '../../../src/image/content/store.js';
import { silentLogger } from '../../../src/util/log.js';

const STORE_MODULE = pathToFileURL(resolve('src/image/content/store.ts')).href;
const LOG_MODULE = pathToFileURL(resolve('src/util/log.ts')).href;

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'critter-content-crash-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function waitFor(cond: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

void it('a process killed mid-ingest leaves no blob, and reopening cleans up and pulls again', async () => {
  const data = Buffer.alloc(4 << 20, 0x5a);
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  const script = join(root, 'child.mts');
  // The child writes half the blob, then stalls forever: the parent kills it there.
  await writeFile(
    script,
    `import { Readable } from 'node:stream';
import { ContentStore } from ${JSON.stringify(STORE_MODULE)};
import { silentLogger } from ${JSON.stringify(LOG_MODULE)};
const store = await ContentStore.open(${JSON.stringify(root)}, silentLogger());
const data = Buffer.alloc(${data.length}, 0x5a);
const src = Readable.from((async function* () { yield data.subarray(0, data.length / 2); await new Promise(() => setInterval(() => {}, 1000)); })());
await store.ingest(${JSON.stringify(digest)}, data.length, src, { what: 'layer' });
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const ingestDir = join(root, 'content', 'ingest');
  await waitFor(async () => {
    try {
      const names = await readdir(ingestDir);
      return names.length === 1 && (await stat(join(ingestDir, names[0] ?? ''))).size >= data.length / 2;
    } catch {
      return false;
    }
  });
  child.kill('SIGKILL');
  await exited;

  // Before reopening: a temp file, but no blob.
  assert.equal((await readdir(ingestDir)).length, 1);
  assert.deepEqual(await readdir(join(root, 'content', 'blobs', 'sha256')), []);

  const store = await ContentStore.open(root, silentLogger());
  assert.deepEqual(await readdir(ingestDir), [], 'stale temp file removed at open');
  assert.equal(await store.has(digest), false);
  await store.ingest(digest, data.length, Readable.from([data]));
  assert.equal(await store.has(digest), true);
  assert.deepEqual(await store.readBytes(digest, data.length), data);
});
