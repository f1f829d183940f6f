// The overlayfs snapshot store. Committed layers live in <root>/snapshots/<chain id hex>/fs,
// each with a meta.json naming its parent; a layer is unpacked into tmp-<random> and renamed
// into place whole, so a snapshot either exists complete or not at all, and images with a
// common base share its snapshots. Containers get active snapshots (a writable upper and a
// work dir over a committed chain) under <root>/snapshots/active/<key>.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { alreadyExists, errnoCode, errorMessage, failedPrecondition, internal, invalidArgument, notFound, resourceExhausted } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { digestHex, isDigest } from '../content/digest.js';
import { syncDir } from '../content/store.js';
import { diskUsage, type Usage } from '../content/usage.js';
import { makeWhiteoutTemplate } from '../unpack/extract.js';
import { MOUNT_OPTIONS_MAX, type Mount } from './mount.js';

export interface SnapshotInfo {
  chainId: string;
  /** The chain id below this one; null for a base layer. */
  parent: string | null;
  diffId: string;
  /** The layer's directory, an overlay lowerdir. */
  path: string;
}

export interface ActiveSnapshot {
  key: string;
  parent: string | null;
  upperdir: string;
  workdir: string;
  /** Topmost first, as overlay's lowerdir wants them. */
  lowerdirs: string[];
  /** mount.options: overlay -o options; relative to mount.cwd when that is set (long chains). */
  mountOptions: string[];
  mount: Mount;
}

interface SnapshotMeta {
  chainId: string;
  parent: string | null;
  diffId: string;
}

interface ActiveMeta {
  key: string;
  parent: string | null;
}

const KEY_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const HEX_RE = /^[0-9a-f]{64}$/;

export class Snapshotter {
  readonly dir: string;
  /** A 0:0 character device for unpack to hard-link as whiteouts. */
  readonly whiteoutTemplate: string;
  private readonly snapshots = new Map<string, SnapshotInfo>();
  private readonly actives = new Map<string, ActiveMeta>();
  private readonly committing = new Map<string, { promise: Promise<SnapshotInfo>; parent: string | null }>();

  private constructor(
    root: string,
    private readonly log: Logger,
  ) {
    this.dir = join(root, 'snapshots');
    this.whiteoutTemplate = join(this.dir, '.whiteout');
  }

  /** Opens the store, removing what interrupted commits and removals left (tmp-*). */
  static async open(root: string, log: Logger): Promise<Snapshotter> {
    const s = new Snapshotter(root, log);
    await mkdir(join(s.dir, 'active'), { recursive: true });
    for (const name of await readdir(s.dir)) {
      if (name.startsWith('tmp-')) {
        log.info({ dir: name }, 'removing leftovers of an interrupted snapshot operation');
        await rm(join(s.dir, name), { recursive: true, force: true });
      } else if (HEX_RE.test(name)) {
        const meta = await readMeta<SnapshotMeta>(join(s.dir, name, 'meta.json'));
        if (!meta || meta.chainId !== `sha256:${name}`) {
          log.warn({ dir: name }, 'snapshot without valid metadata removed');
          await rm(join(s.dir, name), { recursive: true, force: true });
          continue;
        }
        s.snapshots.set(meta.chainId, { ...meta, path: join(s.dir, name, 'fs') });
      }
    }
    for (const key of await readdir(join(s.dir, 'active'))) {
      const meta = await readMeta<ActiveMeta>(join(s.dir, 'active', key, 'meta.json'));
      if (!meta || meta.key !== key) {
        await rm(join(s.dir, 'active', key), { recursive: true, force: true });
        continue;
      }
      s.actives.set(key, meta);
    }
    await makeWhiteoutTemplate(s.whiteoutTemplate);
    return s;
  }

  has(chainId: string): boolean {
    return this.snapshots.has(chainId);
  }

  get(chainId: string): SnapshotInfo {
    const s = this.snapshots.get(chainId);
    if (!s) throw notFound(`snapshot ${chainId} not found`);
    return s;
  }

  list(): SnapshotInfo[] {
    return [...this.snapshots.values()];
  }

  /** The chain's layer directories, topmost first. */
  lowerDirs(chainId: string | null): string[] {
    const out: string[] = [];
    for (let c = chainId; c !== null; c = this.get(c).parent) out.push(this.get(c).path);
    return out;
  }

  /**
   * Commits the snapshot chainId over parent: populate fills a fresh directory (it is given
   * that directory, which does not exist yet, and the parent chain's dirs, topmost first).
   * Returns at once when the snapshot exists; concurrent commits of one chain id share the
   * first one's work. A failed populate leaves nothing behind.
   */
  async commit(chainId: string, parent: string | null, diffId: string, populate: (dir: string, lowerDirs: string[]) => Promise<void>): Promise<SnapshotInfo> {
    return this.commitWith(chainId, parent, diffId, () => {
      const lowers = parent === null ? [] : this.lowerDirs(parent);
      if (parent !== null && !this.snapshots.has(parent)) throw failedPrecondition(`parent snapshot ${parent} of ${chainId} does not exist`);
      return { lowers: () => Promise.resolve(lowers), populate: (dir) => populate(dir, lowers) };
    });
  }

  /**
   * Like commit, but the parent may still be in the making (parentReady settles when its
   * commit does): populate starts at once, and gets the parent chain's directories through
   * lowerDirs(), which waits for the parent. The snapshot itself is committed only after its
   * parent, so chains are always committed bottom up; a parent that fails fails this one too.
   */
  async commitOver(
    chainId: string,
    parent: string | null,
    diffId: string,
    parentReady: Promise<unknown> | undefined,
    populate: (dir: string, lowerDirs: () => Promise<string[]>) => Promise<void>,
  ): Promise<SnapshotInfo> {
    return this.commitWith(chainId, parent, diffId, () => {
      let lowers: Promise<string[]> | undefined;
      const lowerDirs = (): Promise<string[]> =>
        (lowers ??= (async () => {
          if (parent === null) return [];
          await parentReady;
          if (!this.snapshots.has(parent)) throw failedPrecondition(`parent snapshot ${parent} of ${chainId} does not exist`);
          return this.lowerDirs(parent);
        })());
      return { lowers: lowerDirs, populate: (dir) => populate(dir, lowerDirs) };
    });
  }

  private async commitWith(
    chainId: string,
    parent: string | null,
    diffId: string,
    prepare: () => { lowers: () => Promise<string[]>; populate: (dir: string) => Promise<void> },
  ): Promise<SnapshotInfo> {
    const hex = digestHex(chainId);
    if (!isDigest(diffId)) throw invalidArgument(`malformed diff id ${diffId}`);
    const done = this.snapshots.get(chainId);
    if (done) return done;
    const running = this.committing.get(chainId);
    if (running) return running.promise;
    const p = (async (): Promise<SnapshotInfo> => {
      const { lowers, populate } = prepare();
      const tmp = join(this.dir, `tmp-${randomBytes(8).toString('hex')}`);
      await mkdir(tmp);
      try {
        await populate(join(tmp, 'fs'));
        // Never before the parent: a chain is committed bottom up.
        await lowers();
        const meta: SnapshotMeta = { chainId, parent, diffId };
        await writeFile(join(tmp, 'meta.json'), JSON.stringify(meta));
        const final = join(this.dir, hex);
        try {
          await rename(tmp, final);
        } catch (e) {
          // Another committer got there first: its snapshot is the same filesystem.
          if (errnoCode(e) !== 'ENOTEMPTY' && errnoCode(e) !== 'EEXIST') throw e;
          await rm(tmp, { recursive: true, force: true });
        }
        await syncDir(this.dir);
        const info: SnapshotInfo = { ...meta, path: join(final, 'fs') };
        this.snapshots.set(chainId, info);
        this.log.debug({ chainId, parent }, 'snapshot committed');
        return info;
      } catch (e) {
        await rm(tmp, { recursive: true, force: true });
        throw e;
      }
    })();
    this.committing.set(chainId, { promise: p, parent });
    try {
      return await p;
    } finally {
      this.committing.delete(chainId);
    }
  }

  /** How to mount chainId read-only (e.g. to look into an image). */
  prepareMountOptions(chainId: string): Mount {
    const lowers = this.lowerDirs(chainId);
    if (lowers.length === 1) return { type: 'bind', source: lowers[0] ?? '', options: ['ro', 'rbind'] };
    return this.overlayMount(this.get(chainId), lowers, null);
  }

  /** A writable snapshot for a container over parent (null: an empty rootfs). */
  async createActive(key: string, parent: string | null): Promise<ActiveSnapshot> {
    if (!KEY_RE.test(key)) throw invalidArgument(`snapshot key ${JSON.stringify(key)}: want 1-128 of [A-Za-z0-9_.-], not starting with . _ or -`);
    if (this.actives.has(key)) throw alreadyExists(`active snapshot ${key} already exists`);
    const lowers = parent === null ? [] : this.lowerDirs(parent);
    const meta: ActiveMeta = { key, parent };
    // Reserve the key before any await, so two creates of one key cannot both proceed.
    this.actives.set(key, meta);
    const dir = join(this.dir, 'active', key);
    try {
      const snap = this.activeView(meta, lowers);
      await mkdir(dir);
      await mkdir(snap.upperdir, { mode: 0o755 });
      await mkdir(snap.workdir, { mode: 0o700 });
      await writeFile(join(dir, 'meta.json'), JSON.stringify(meta));
      return snap;
    } catch (e) {
      this.actives.delete(key);
      if (errnoCode(e) !== 'EEXIST') await rm(dir, { recursive: true, force: true });
      throw e;
    }
  }

  getActive(key: string): ActiveSnapshot {
    const meta = this.actives.get(key);
    if (!meta) throw notFound(`active snapshot ${key} not found`);
    return this.activeView(meta, meta.parent === null ? [] : this.lowerDirs(meta.parent));
  }

  listActive(): ActiveMeta[] {
    return [...this.actives.values()];
  }

  /** Removes a container's writable layer (it must be unmounted); false if absent. */
  async removeActive(key: string): Promise<boolean> {
    if (!this.actives.has(key)) return false;
    const dir = join(this.dir, 'active', key);
    const doomed = join(this.dir, `tmp-rm-${randomBytes(8).toString('hex')}`);
    await rename(dir, doomed);
    this.actives.delete(key);
    await rm(doomed, { recursive: true, force: true });
    return true;
  }

  /** Removes a committed snapshot; refused while a child snapshot or an active one uses it. */
  async remove(chainId: string): Promise<void> {
    const s = this.get(chainId);
    for (const [c, { parent }] of this.committing) {
      // A commit over this chain reads its layers while unpacking: keep them until it is done.
      if (c === chainId || parent === chainId) throw failedPrecondition(`snapshot ${chainId} is in use by a commit in progress`);
    }
    for (const o of this.snapshots.values()) {
      if (o.parent === chainId) throw failedPrecondition(`snapshot ${chainId} is the parent of ${o.chainId}`);
    }
    for (const a of this.actives.values()) {
      if (a.parent !== null && this.lowerDirs(a.parent).includes(s.path)) throw failedPrecondition(`snapshot ${chainId} is in use by the container layer ${a.key}`);
    }
    // Out of sight first (one rename), then deleted; a crash in between leaves only tmp-*.
    const doomed = join(this.dir, `tmp-rm-${randomBytes(8).toString('hex')}`);
    await rename(join(this.dir, digestHex(chainId)), doomed);
    this.snapshots.delete(chainId);
    await rm(doomed, { recursive: true, force: true });
  }

  /** Bytes and inodes used by the snapshot store. */
  usage(): Promise<Usage> {
    return diskUsage(this.dir);
  }

  private activeView(meta: ActiveMeta, lowers: string[]): ActiveSnapshot {
    const dir = join(this.dir, 'active', meta.key);
    const upperdir = join(dir, 'fs');
    const workdir = join(dir, 'work');
    const mount: Mount =
      lowers.length === 0
        ? { type: 'bind', source: upperdir, options: ['rw', 'rbind'] }
        : this.overlayMount(meta.parent === null ? null : this.get(meta.parent), lowers, { key: meta.key, upperdir, workdir });
    return { key: meta.key, parent: meta.parent, upperdir, workdir, lowerdirs: lowers, mountOptions: mount.options, mount };
  }

  /**
   * overlay options for lowers (+ upper). When absolute paths overflow the kernel's one-page
   * limit, the same options with paths relative to the store are used, mounted from there.
   * That fits about 55 layers ("<64 hex>/fs" each); more is refused with ResourceExhausted.
   */
  private overlayMount(top: SnapshotInfo | null, lowers: string[], upper: { key: string; upperdir: string; workdir: string } | null): Mount {
    const opts = (ls: string[], u: string | null, w: string | null): string[] => [`lowerdir=${ls.join(':')}`, ...(u && w ? [`upperdir=${u}`, `workdir=${w}`] : [])];
    const abs = opts(lowers, upper?.upperdir ?? null, upper?.workdir ?? null);
    if (abs.join(',').length <= MOUNT_OPTIONS_MAX) return { type: 'overlay', source: 'overlay', options: abs };
    const rel = opts(
      lowers.map((l) => l.slice(this.dir.length + 1)),
      upper ? `active/${upper.key}/fs` : null,
      upper ? `active/${upper.key}/work` : null,
    );
    if (rel.join(',').length <= MOUNT_OPTIONS_MAX) return { type: 'overlay', source: 'overlay', options: rel, cwd: this.dir };
    throw resourceExhausted(`image ${top?.chainId ?? ''} has ${lowers.length} layers; overlay mount options for more than about 55 do not fit in a page`);
  }
}

async function readMeta<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || e instanceof SyntaxError) return undefined;
    throw internal(`reading ${path}: ${errorMessage(e)}`, e);
  }
}
