// The image records: every lookup form, tag moves, persistence, and the user reported.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { imageUser, parseImageConfig } from '../../../src/image/store/image-config.js';
import { ImageStore, type PulledImage } from '../../../src/image/store/image-store.js';
import { findImage, lookupKeys } from '../../../src/image/store/lookup.js';
import type { ImageRecord } from '../../../src/image/store/record.js';
import { CritterError } from '../../../src/util/errors.js';
import { silentLogger } from '../../../src/util/log.js';

const log = silentLogger();
const d = (s: string): string => `sha256:${createHash('sha256').update(s).digest('hex')}`;

function rec(id: string, tags: string[], digests: string[] = []): ImageRecord {
  return { id, repoTags: tags, repoDigests: digests, size: 1, chainId: null, user: '', blobs: [id], pulledAt: '' };
}

function pulled(id: string, tag: string | undefined, digest: string): PulledImage {
  return { id, ...(tag ? { repoTag: tag } : {}), repoDigest: digest, size: 10, chainId: d(`chain-${id}`), user: '', blobs: [id] };
}

void describe('image lookup', () => {
  const busybox = d('busybox');
  const other = d('other');
  const manifest = d('manifest');
  const records = [
    rec(busybox, ['docker.io/library/busybox:latest', '127.0.0.1:5000/a/b:1'], [`docker.io/library/busybox@${manifest}`]),
    rec(other, ['docker.io/library/other:2']),
  ];

  void it('finds an image by tag, familiar name, name@digest, full id, bare hex and short id', () => {
    for (const input of [
      'busybox',
      'busybox:latest',
      'docker.io/library/busybox',
      'library/busybox:latest',
      'index.docker.io/library/busybox',
      '127.0.0.1:5000/a/b:1',
      `busybox@${manifest}`,
      `docker.io/library/busybox@${manifest}`,
      busybox,
      busybox.slice(7),
      busybox.slice(7, 19),
      busybox.slice(0, 19),
    ]) {
      assert.equal(findImage(records, input)?.id, busybox, input);
    }
  });

  void it('answers undefined for what is not there, malformed input included', () => {
    for (const input of ['busybox:other', 'nothere', `busybox@${d('x')}`, d('x'), 'UPPER/Case', 'sha256:zz', '']) {
      assert.equal(findImage(records, input), undefined, input);
    }
  });

  void it('refuses an ambiguous id prefix with InvalidArgument', () => {
    const a = `sha256:abc${'0'.repeat(61)}`;
    const b = `sha256:abd${'0'.repeat(61)}`;
    const recs = [rec(a, []), rec(b, [])];
    assert.throws(
      () => findImage(recs, 'ab'),
      (e: unknown) => e instanceof CritterError && e.kind === 'InvalidArgument' && /ambiguous: it matches 2 images/.test(e.message),
    );
    assert.equal(findImage(recs, 'abc')?.id, a);
    assert.equal(findImage(recs, 'sha256:abd')?.id, b);
  });

  void it('prefers a tag over an id prefix that happens to spell the same', () => {
    const id = `sha256:beef${'1'.repeat(60)}`;
    const tagged = d('tagged');
    const recs = [rec(id, []), rec(tagged, ['docker.io/library/beef:latest'])];
    assert.equal(findImage(recs, 'beef')?.id, tagged);
    assert.deepEqual(lookupKeys('beef'), [{ kind: 'tag', ref: 'docker.io/library/beef:latest' }]);
  });
});

void describe('image store', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'critter-image-store-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  void it('moves a tag to the new image and keeps the old one by id and digest', () => {
    const s = ImageStore.open(root, log);
    const [v1, v2] = [d('v1'), d('v2')];
    s.add(pulled(v1, 'docker.io/library/app:latest', `docker.io/library/app@${d('m1')}`));
    s.add(pulled(v2, 'docker.io/library/app:latest', `docker.io/library/app@${d('m2')}`));
    assert.deepEqual(s.byId(v1)?.repoTags, []);
    assert.deepEqual(s.byId(v1)?.repoDigests, [`docker.io/library/app@${d('m1')}`]);
    assert.deepEqual(s.byId(v2)?.repoTags, ['docker.io/library/app:latest']);
    assert.equal(s.find('app')?.id, v2);
    assert.equal(s.find(v1)?.id, v1);
  });

  void it('merges tags and digests of one image pulled under several names', () => {
    const s = ImageStore.open(root, log);
    const id = d('multi');
    s.add(pulled(id, 'docker.io/library/m:one', `docker.io/library/m@${d('mm')}`));
    s.add(pulled(id, 'docker.io/library/m:two', `docker.io/library/m@${d('mm')}`));
    s.add(pulled(id, undefined, `docker.io/library/m@${d('idx')}`));
    const r = s.byId(id);
    assert.deepEqual(r?.repoTags, ['docker.io/library/m:one', 'docker.io/library/m:two']);
    assert.equal(r?.repoDigests.length, 2);
  });

  void it('survives a reopen, and removal is persisted', async () => {
    const before = ImageStore.open(root, log).list().length;
    assert.ok(before >= 3);
    const s = ImageStore.open(root, log);
    assert.equal(s.remove(d('v1')), true);
    assert.equal(s.remove(d('v1')), false);
    const again = ImageStore.open(root, log);
    assert.equal(again.list().length, before - 1);
    assert.equal(again.byId(d('v1')), undefined);
    const file = JSON.parse(await readFile(join(root, 'images', 'images.json'), 'utf8')) as { version: number };
    assert.equal(file.version, 1);
  });

  void it('drops malformed records and starts empty on a corrupt file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'critter-image-store-bad-'));
    try {
      const s = ImageStore.open(dir, log);
      s.add(pulled(d('good'), 'docker.io/library/good:1', `docker.io/library/good@${d('g')}`));
      const file = join(dir, 'images', 'images.json');
      const doc = JSON.parse(await readFile(file, 'utf8')) as { images: unknown[] };
      doc.images.push({ id: 'not-a-digest' });
      await writeFile(file, JSON.stringify(doc));
      assert.equal(ImageStore.open(dir, log).list().length, 1);
      await writeFile(file, '{ torn');
      assert.equal(ImageStore.open(dir, log).list().length, 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

void describe('image config', () => {
  void it('reports uid for a numeric user and username otherwise, as containerd does', () => {
    assert.deepEqual(imageUser(''), { username: '' });
    assert.deepEqual(imageUser('1000'), { uid: 1000n, username: '' });
    assert.deepEqual(imageUser('1000:1001'), { uid: 1000n, username: '' });
    assert.deepEqual(imageUser('0'), { uid: 0n, username: '' });
    assert.deepEqual(imageUser('critter'), { username: 'critter' });
    assert.deepEqual(imageUser('critter:wheel'), { username: 'critter' });
    assert.deepEqual(imageUser('99999999999999999999'), { username: '99999999999999999999' });
  });

  void it('checks diff ids and tolerates a config without a config section', () => {
    const ok = parseImageConfig(Buffer.from(JSON.stringify({ rootfs: { type: 'layers', diff_ids: [d('l')] } })), 'x');
    assert.deepEqual(ok.diffIds, [d('l')]);
    assert.equal(ok.user, '');
    for (const bad of ['[]', 'not json', JSON.stringify({ rootfs: {} }), JSON.stringify({ rootfs: { diff_ids: ['sha256:../../x'] } })]) {
      assert.throws(() => parseImageConfig(Buffer.from(bad), 'cfg'), (e: unknown) => e instanceof CritterError && e.kind === 'FailedPrecondition');
    }
  });
});
