import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chainId, chainIds } from '../../../src/image/snapshot/chain.js';
import { MOUNT_OPTIONS_MAX } from '../../../src/image/snapshot/mount.js';
import { Snapshotter } from '../../../src/image/snapshot/snapshotter.js';
import { CritterError } from '../../../src/util/errors.js';
import { silentLogger } from '../../../src/util/log.js';

const log = silentLogger();
const d = (s: string): string => `sha256:${createHash('sha256').update(s).digest('hex')}`;

async function refused(p: Promise<unknown> | (() => unknown), kind: string, re: RegExp): Promise<void> {
  const check = (e: unknown): boolean => {
    assert.ok(e instanceof CritterError, String(e));
    assert.equal(e.kind, kind);
    assert.match(e.message, re);
    return true;
  };
  if (typeof p === 'function') assert.throws(p, check);
  else await assert.rejects(p, check);
}

void describe('chain ids', () => {
  void it('follow the OCI definition', () => {
    const [a, b, c] = [d('a'), d('b'), d('c')];
    const ab = `sha256:${createHash('sha256').update(`${a} ${b}`).digest('hex')}`;
    const abc = `sha256:${createHash('sha256').update(`${ab} ${c}`).digest('hex')}`;
    assert.deepEqual(chainIds([a, b, c]), [a, ab, abc]);
    assert.equal(chainId([a]), a);
    assert.equal(chainId([]), null);
  });
});

void describe('snapshotter', () => {
  let root: string;
  let snaps: Snapshotter;
  const fill = (content: string) => async (dir: string): Promise<void> => {
    await mkdir(dir);
    await writeFile(join(dir, 'f'), content);
  };
  const layers = [d('l0'), d('l1'), d('l2')];
  const chain = chainIds(layers);
  const c = (i: number): string => chain[i] ?? '';

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'critter-snap-'));
    snaps = await Snapshotter.open(root, log);
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  void it('commits by chain id under snapshots/<hex>/fs, passing lower dirs topmost first', async () => {
    let seen: string[] = [];
    await snaps.commit(c(0), null, layers[0] ?? '', fill('0'));
    await snaps.commit(c(1), c(0), layers[1] ?? '', async (dir, lowers) => {
      seen = lowers;
      await fill('1')(dir);
    });
    const s2 = await snaps.commit(c(2), c(1), layers[2] ?? '', fill('2'));
    assert.equal(s2.path, join(root, 'snapshots', c(2).slice(7), 'fs'));
    assert.deepEqual(seen, [snaps.get(c(0)).path]);
    assert.deepEqual(snaps.lowerDirs(c(2)), [2, 1, 0].map((i) => snaps.get(c(i)).path));
    assert.equal(snaps.list().length, 3);
  });

  void it('an existing snapshot is not populated again; concurrent commits share one', async () => {
    let calls = 0;
    const count = async (dir: string): Promise<void> => {
      calls++;
      await new Promise((r) => setTimeout(r, 20));
      await mkdir(dir);
    };
    await snaps.commit(c(0), null, layers[0] ?? '', count);
    assert.equal(calls, 0);
    const other = d('other');
    const [a, b] = await Promise.all([snaps.commit(other, null, other, count), snaps.commit(other, null, other, count)]);
    assert.equal(calls, 1);
    assert.deepEqual(a, b);
    await snaps.remove(other);
  });

  void it('a failed populate leaves nothing behind', async () => {
    const bad = d('bad');
    await assert.rejects(
      snaps.commit(bad, c(0), bad, async (dir) => {
        await mkdir(dir);
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(snaps.has(bad), false);
    assert.deepEqual(readdirSync(join(root, 'snapshots')).filter((n) => n.startsWith('tmp-')), []);
  });

  void it('a missing parent is refused', async () => {
    const orphan = d('orphan');
    await refused(snaps.commit(orphan, d('nope'), orphan, fill('x')), 'NotFound', /not found/);
  });

  void it('mount options: bind for one layer, overlay lowerdir topmost first for more', () => {
    const m0 = snaps.prepareMountOptions(c(0));
    assert.equal(m0.type, 'bind');
    const m2 = snaps.prepareMountOptions(c(2));
    assert.equal(m2.type, 'overlay');
    assert.deepEqual(m2.options, [`lowerdir=${snaps.lowerDirs(c(2)).join(':')}`]);
  });

  void it('actives: upper/work over a chain; remove refuses while children or actives use a snapshot', async () => {
    const a = await snaps.createActive('ctr1', c(1));
    assert.deepEqual(a.lowerdirs, snaps.lowerDirs(c(1)));
    assert.ok(existsSync(a.upperdir) && existsSync(a.workdir));
    assert.deepEqual(a.mountOptions, [`lowerdir=${a.lowerdirs.join(':')}`, `upperdir=${a.upperdir}`, `workdir=${a.workdir}`]);
    await refused(snaps.createActive('ctr1', c(1)), 'AlreadyExists', /already exists/);
    await refused(snaps.createActive('../x', c(1)), 'InvalidArgument', /snapshot key/);
    await refused(snaps.remove(c(0)), 'FailedPrecondition', /parent of/);
    await snaps.remove(c(2));
    await refused(snaps.remove(c(1)), 'FailedPrecondition', /in use by the container layer ctr1/);
    assert.equal(await snaps.removeActive('ctr1'), true);
    assert.equal(await snaps.removeActive('ctr1'), false);
    await snaps.remove(c(1));
    await snaps.remove(c(0));
    assert.equal(snaps.list().length, 0);
    const empty = await snaps.createActive('scratch', null);
    assert.equal(empty.mount.type, 'bind');
    await snaps.removeActive('scratch');
  });

  void it('reopening reloads snapshots and actives and removes tmp-* leftovers', async () => {
    await snaps.commit(c(0), null, layers[0] ?? '', fill('0'));
    await snaps.createActive('keep', c(0));
    await mkdir(join(root, 'snapshots', 'tmp-deadbeef', 'fs'), { recursive: true });
    const again = await Snapshotter.open(root, log);
    assert.equal(again.has(c(0)), true);
    assert.equal(again.getActive('keep').parent, c(0));
    assert.equal(existsSync(join(root, 'snapshots', 'tmp-deadbeef')), false);
    await again.removeActive('keep');
    await again.remove(c(0));
    const u = await again.usage();
    assert.ok(u.inodes >= 3 && u.bytes > 0);
  });

  void it('long chains fall back to relative lowerdirs, and too long ones are refused', async () => {
    const many = Array.from({ length: 80 }, (_, i) => d(`deep${i}`));
    const ids = chainIds(many);
    for (const [i, id] of ids.entries()) await snaps.commit(id, i === 0 ? null : (ids[i - 1] ?? null), many[i] ?? '', (dir) => mkdir(dir));
    const at = (n: number): string => ids[n - 1] ?? '';
    const fits = snaps.prepareMountOptions(at(40));
    assert.equal(fits.cwd, join(root, 'snapshots'));
    assert.ok(fits.options.join(',').length <= MOUNT_OPTIONS_MAX);
    assert.match(fits.options[0] ?? '', /^lowerdir=[0-9a-f]{64}\/fs:/);
    await refused(() => snaps.prepareMountOptions(at(80)), 'ResourceExhausted', /80 layers/);
    for (const id of [...ids].reverse()) await snaps.remove(id);
  });
});
