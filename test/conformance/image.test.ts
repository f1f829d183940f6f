// Conformance: the ImageService (Pull/Status/List/Remove/FsInfo), checked against api.proto's
// documented semantics and what critest's "Image Manager" specs look at. Images live under
// conf/* repositories of the env's registry, pulled by the tests themselves.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { pushImage } from '../fixtures/image.js';
import { fixtures, TAGGED_TAGS } from '../fixtures/images.js';
import { ctrStatus, isGrpcError, nowNs, runIn, runPod, sleeper, startEnv, stopEnv, type CtrEnv } from './env.js';

let env: CtrEnv;
const digests: Record<string, string> = {};
before(async () => {
  env = await startEnv();
  const reg = env.reg;
  digests.busybox = await pushImage(reg, 'conf/busybox', ['1.0', 'latest'], await fixtures.busybox());
  digests.tagged = await pushImage(reg, 'conf/tagged', [...TAGGED_TAGS], await fixtures.tagged());
  digests.uid = await pushImage(reg, 'conf/user-uid', ['latest'], await fixtures.busyboxUid());
  digests.username = await pushImage(reg, 'conf/user-name', ['latest'], await fixtures.busyboxUsername());
  digests.uidGid = await pushImage(reg, 'conf/user-uid-gid', ['latest'], await fixtures.busyboxUidGid());
  digests.userGroup = await pushImage(reg, 'conf/user-name-group', ['latest'], await fixtures.busyboxUserGroup());
  digests.multi = await pushImage(reg, 'conf/multi', ['latest'], await fixtures.multiPlatform());
  digests.zstd = await pushImage(reg, 'conf/zstd', ['latest'], await fixtures.zstd());
});
after(async () => {
  await stopEnv(env);
});

const im = () => env.d.clients.image;
const ref = (repo: string, tag = 'latest'): string => `${env.reg.host}/conf/${repo}:${tag}`;
const byDigest = (repo: string, digest: string): string => `${env.reg.host}/conf/${repo}@${digest}`;
const status = async (image: string) => (await im().imageStatus({ image: { image } })).image;
const listed = async () => (await im().listImages({})).images;

void test('PullImage by tag: ImageStatus by tag, by id and by digest all give the same image; repo_tags is the tag; size > 0', async () => {
  const tag = ref('busybox', '1.0');
  const imageRef = (await im().pullImage({ image: { image: tag } })).imageRef;
  assert.notEqual(imageRef, '');
  const s = await status(tag);
  assert.ok(s, 'the pulled image has a status');
  assert.equal(s.id, imageRef, 'Image.id matches PullImageResponse.image_ref');
  assert.ok(s.size > 0n, 'size must be > 0');
  assert.ok(s.repoTags.includes(tag), `${tag} in ${s.repoTags.join(',')}`);
  assert.ok(s.repoDigests.includes(byDigest('busybox', digests.busybox!)), s.repoDigests.join(','));
  assert.deepEqual(await status(s.id), s, 'ImageStatus by id');
  for (const t of s.repoTags) assert.deepEqual(await status(t), s, `ImageStatus by ${t}`);
  for (const dg of s.repoDigests) assert.deepEqual(await status(dg), s, `ImageStatus by ${dg}`);
  await im().removeImage({ image: { image: s.id } });
  assert.equal(await status(tag), undefined);
});

void test('PullImage without a tag pulls :latest; repo_tags names it with :latest', async () => {
  const name = `${env.reg.host}/conf/busybox`;
  const imageRef = (await im().pullImage({ image: { image: name } })).imageRef;
  const s = await status(name);
  assert.equal(s?.id, imageRef);
  assert.ok(s.repoTags.includes(`${name}:latest`), s.repoTags.join(','));
  assert.deepEqual(await status(`${name}:latest`), s);
  await im().removeImage({ image: { image: s.id } });
});

void test('PullImage by digest: no repo tag, repo_digests is the digested reference', async () => {
  const dref = byDigest('user-uid-gid', digests.uidGid!);
  const imageRef = (await im().pullImage({ image: { image: dref } })).imageRef;
  const s = await status(dref);
  assert.equal(s?.id, imageRef);
  assert.deepEqual(s.repoTags, [], 'pulled by digest: no tag');
  assert.deepEqual(s.repoDigests, [dref]);
  await im().removeImage({ image: { image: dref } });
  assert.equal(await status(dref), undefined);
});

void test('ImageStatus of an image that is not present returns no image and no error', async () => {
  const r = await im().imageStatus({ image: { image: ref('never-pushed') } });
  assert.equal(r.image, undefined);
  const r2 = await im().imageStatus({ image: { image: `sha256:${'0'.repeat(64)}` } });
  assert.equal(r2.image, undefined);
  const r3 = await im().imageStatus({ image: { image: ref('busybox', 'not-pulled-tag') } });
  assert.equal(r3.image, undefined);
});

void test('ListImages contains each pulled image exactly once, with the same facts as ImageStatus', async () => {
  const a = (await im().pullImage({ image: { image: ref('user-uid') } })).imageRef;
  const b = (await im().pullImage({ image: { image: ref('zstd') } })).imageRef;
  const imgs = await listed();
  for (const id of [a, b]) {
    const mine = imgs.filter((i) => i.id === id);
    assert.equal(mine.length, 1, `${id} listed once`);
    assert.ok(mine[0]!.size > 0n);
  }
  const s = await status(ref('user-uid'));
  assert.deepEqual(imgs.find((i) => i.id === a), s);
  const filtered = (await im().listImages({ filter: { image: { image: ref('zstd') } } })).images;
  assert.ok(filtered.some((i) => i.id === b), 'a filter by reference finds the image');
  for (const id of [a, b]) await im().removeImage({ image: { image: id } });
});

void test('one image under three tags: the same id three times, one ListImages entry with all three repo_tags', async () => {
  const ids: string[] = [];
  for (const t of TAGGED_TAGS) ids.push((await im().pullImage({ image: { image: ref('tagged', t) } })).imageRef);
  assert.equal(new Set(ids).size, 1, 'one image id');
  const entries = (await listed()).filter((i) => i.id === ids[0]);
  assert.equal(entries.length, 1);
  assert.deepEqual([...entries[0]!.repoTags].sort(), TAGGED_TAGS.map((t) => ref('tagged', t)).sort());
});

void test('RemoveImage by one tag removes the image under all its tags; ImageStatus and ListImages no longer show it', async () => {
  for (const t of TAGGED_TAGS) await im().pullImage({ image: { image: ref('tagged', t) } });
  const id = (await status(ref('tagged', 'one')))!.id;
  await im().removeImage({ image: { image: ref('tagged', 'two') } });
  for (const t of TAGGED_TAGS) assert.equal(await status(ref('tagged', t)), undefined, `${t} gone`);
  assert.equal(await status(id), undefined, 'gone by id too');
  assert.ok(!(await listed()).some((i) => i.id === id), 'not listed');
});

void test('RemoveImage is idempotent: removing a removed or never-pulled image is not an error', async () => {
  await im().pullImage({ image: { image: ref('user-name') } });
  const id = (await status(ref('user-name')))!.id;
  await im().removeImage({ image: { image: id } });
  await im().removeImage({ image: { image: id } });
  await im().removeImage({ image: { image: ref('user-name') } });
  await im().removeImage({ image: { image: ref('never-pushed') } });
  await im().removeImage({ image: { image: `sha256:${'1'.repeat(64)}` } });
});

void test('Image uid/username come from the image config\'s User: a uid sets uid only, a name sets username only', async () => {
  const cases: [string, bigint | undefined, string][] = [
    [ref('user-uid'), 1000n, ''],
    [ref('user-name'), undefined, 'critter'],
    [ref('user-uid-gid'), 1000n, ''],
    [ref('user-name-group'), undefined, 'critter'],
  ];
  for (const [image, uid, username] of cases) {
    await im().pullImage({ image: { image } });
    const s = (await status(image))!;
    assert.equal(s.uid?.value, uid, `${image}: uid`);
    assert.equal(s.username, username, `${image}: username`);
    await im().removeImage({ image: { image: s.id } });
  }
});

void test('PullImage of a nonexistent image or tag fails and leaves no image behind', async () => {
  const before = (await listed()).length;
  await assert.rejects(im().pullImage({ image: { image: ref('never-pushed') } }), isGrpcError);
  await assert.rejects(im().pullImage({ image: { image: ref('busybox', 'no-such-tag') } }), isGrpcError);
  await assert.rejects(im().pullImage({ image: { image: byDigest('busybox', `sha256:${'2'.repeat(64)}`) } }), isGrpcError);
  assert.equal((await listed()).length, before);
  assert.equal(await status(ref('never-pushed')), undefined);
});

void test('PullImage of a multi-platform index resolves this node\'s platform, and a container runs from it', async () => {
  const imageRef = (await im().pullImage({ image: { image: ref('multi') } })).imageRef;
  const s = (await status(ref('multi')))!;
  assert.equal(s.id, imageRef);
  assert.ok(s.repoDigests.includes(byDigest('multi', digests.multi!)), `index digest in ${s.repoDigests.join(',')}`);
  const pod = await runPod(env);
  const id = await runIn(env, pod, sleeper(env, { image: { image: ref('multi'), userSpecifiedImage: ref('multi') } }));
  assert.equal((await ctrStatus(env, id)).imageId, imageRef);
  await env.d.clients.runtime.removePodSandbox({ podSandboxId: pod.id });
});

void test('ImageFsInfo: at least one image filesystem with a mountpoint, a timestamp and usage', async () => {
  const t0 = nowNs();
  const r = await im().imageFsInfo({});
  assert.ok(r.imageFilesystems.length > 0);
  for (const fs of r.imageFilesystems) {
    assert.ok(fs.timestamp > 0n && fs.timestamp >= t0 - 5_000_000_000n, 'timestamp must be > 0 and recent');
    assert.ok(fs.fsId && fs.fsId.mountpoint !== '' && existsSync(fs.fsId.mountpoint), `mountpoint ${fs.fsId?.mountpoint}`);
    assert.ok(fs.usedBytes !== undefined && fs.usedBytes.value > 0n, 'images are stored: used bytes > 0');
    assert.ok(fs.inodesUsed !== undefined && fs.inodesUsed.value > 0n);
  }
});
