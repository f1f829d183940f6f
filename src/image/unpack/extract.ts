// Unpacks one layer blob into a directory in overlayfs format (whiteouts as 0:0 character
// devices, opaque directories marked with trusted.overlay.opaque=y), computing the diff id on
// the way and never holding more than a chunk of the blob in memory.
//
// Filesystem calls are synchronous on purpose: one awaited call per entry costs about twice
// as much, and nothing else should run between an entry's checks and its writes.
import { createHash, type Hash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants as fsc,
  copyFileSync,
  fchmodSync,
  fchownSync,
  fstatSync,
  futimesSync,
  linkSync,
  lchownSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeSync,
  type Stats,
} from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { cancelled, CritterError, errnoCode, errorMessage, internal, invalidArgument } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { compressionOf, createDecompressor, MAGIC_LEN, sniffCompression, type LayerCompression } from './decompress.js';
import { entryComponents } from './paths.js';
import { runSpecialOps, xattrValue, type SpecialOp } from './special.js';

export interface UnpackOptions {
  /** The layer's media type: decides the decompressor (checked against the magic bytes). */
  mediaType: string;
  /** The config's rootfs.diff_ids entry for this layer; a mismatch fails the unpack. */
  expectedDiffId?: string;
  /** The parent chain's directories, topmost first: metadata for implicit parent directories
   *  and targets of hard links into lower layers come from here. A function means the lower
   *  layers are still being unpacked: what needs them is deferred (an implicit directory gets
   *  0755 root, a hard link into them an empty placeholder file) and fixed up after the
   *  function resolves, at the end of the layer, before directory times are set. */
  lowerDirs?: string[] | (() => Promise<string[]>);
  /** A 0:0 character device on the target's filesystem; whiteouts become hard links to it
   *  (no process per whiteout). Without it, whiteouts are made with mknod in the batch. */
  whiteoutTemplate?: string;
  signal?: AbortSignal;
  log: Logger;
  /** Names the layer in errors: "layer sha256:… of 127.0.0.1:5000/busybox:1". */
  what?: string;
}

export interface UnpackResult {
  /** sha256 of the uncompressed tar. */
  diffId: string;
  /** Uncompressed bytes. */
  size: number;
  entries: number;
}

const OPAQUE_MARKER = '.wh..wh..opq';
const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_XATTR = 'trusted.overlay.opaque';
const CREATE_FILE = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW;

type Header = tar.Header & { pax?: Record<string, string> | null };
type EntryStream = tar.ExtractEvents['entry'][1];

/** Work that needs the lower layers, while they are not unpacked yet (see lowerDirs). */
type Fixup =
  | { kind: 'dir'; rel: string; dead: boolean }
  | { kind: 'link'; rel: string; targetRel: string; h: Header; dead: boolean; ino: number; aliases: string[] };

/**
 * Unpacks a layer from source into target, which must not exist yet (it is created). On any
 * failure target is removed, so no partial layer is ever left behind.
 */
export async function unpackLayer(source: Readable, target: string, opts: UnpackOptions): Promise<UnpackResult> {
  const what = opts.what ?? 'layer';
  const declared = compressionOf(opts.mediaType);
  try {
    mkdirSync(target, { mode: 0o700 });
    chmodSync(target, 0o755);
  } catch (e) {
    source.destroy();
    if (errnoCode(e) === 'EEXIST') throw internal(`${what}: unpack target ${target} already exists`);
    throw e;
  }
  const x = new Extractor(target, opts, what);
  const hash = createHash('sha256');
  const counter = { size: 0 };
  const onAbort = (): void => {
    source.destroy(cancelled(`${what}: unpack cancelled`));
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (opts.signal?.aborted) throw cancelled(`${what}: unpack cancelled`);
    const extract = tar.extract();
    extract.on('entry', (header, stream, next) => {
      x.entry(header as Header, stream).then(
        () => next(),
        (e: unknown) => {
          x.failure ??= e;
          stream.resume();
          next(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
    const check = checkMagic(declared, what);
    const tap = hashTap(hash, counter);
    const decompress = createDecompressor(declared);
    try {
      if (decompress) await pipeline(source, check, decompress, tap, extract);
      else await pipeline(source, check, tap, extract);
    } catch (e) {
      throw x.failure ?? e;
    }
    const diffId = `sha256:${hash.digest('hex')}`;
    if (opts.expectedDiffId !== undefined && diffId !== opts.expectedDiffId) {
      throw invalidArgument(`${what}: diff id mismatch, got ${diffId}, the image config says ${opts.expectedDiffId}`);
    }
    // Only a verified layer waits for (and looks into) the layers below.
    if (typeof opts.lowerDirs === 'function') x.fixup(await opts.lowerDirs());
    await x.finish();
    return { diffId, size: counter.size, entries: x.entries };
  } catch (e) {
    rmSync(target, { recursive: true, force: true });
    if (e instanceof CritterError) throw e;
    if (opts.signal?.aborted) throw cancelled(`${what}: unpack cancelled`, e);
    throw invalidArgument(`${what}: cannot unpack: ${errorMessage(e)}`, e);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

function checkMagic(declared: LayerCompression, what: string): (src: AsyncIterable<Buffer>) => AsyncGenerator<Buffer> {
  return async function* (src) {
    let head: Buffer | null = Buffer.alloc(0);
    for await (const chunk of src) {
      if (head === null) {
        yield chunk;
        continue;
      }
      head = Buffer.concat([head, chunk]);
      if (head.length < MAGIC_LEN) continue;
      verify(head);
      yield head;
      head = null;
    }
    if (head !== null && head.length > 0) {
      verify(head);
      yield head;
    }
  };
  function verify(head: Buffer): void {
    const seen = sniffCompression(head);
    if (seen !== declared) {
      throw invalidArgument(`${what}: media type says ${declared === 'none' ? 'uncompressed' : declared} but the data is ${seen === 'none' ? 'not gzip or zstd' : seen}`);
    }
  }
}

function hashTap(hash: Hash, counter: { size: number }): (src: AsyncIterable<Buffer>) => AsyncGenerator<Buffer> {
  return async function* (src) {
    for await (const chunk of src) {
      hash.update(chunk);
      counter.size += chunk.byteLength;
      yield chunk;
    }
  };
}

const isWhiteoutDevice = (st: Stats): boolean => st.isCharacterDevice() && st.rdev === 0;
const seconds = (d: Date | undefined): number => (d ? d.getTime() / 1000 : 0);
const join = (dir: string, name: string): string => (dir === '' ? name : `${dir}/${name}`);

class Extractor {
  entries = 0;
  failure: unknown;
  /** Directories (relative) known to be real directories of this tree, not symlinks. */
  private readonly dirs = new Set<string>(['']);
  /** Explicit directory mtimes, applied last: creating entries inside changes them. */
  private readonly dirTimes = new Map<string, number>();
  private readonly opaque = new Set<string>();
  private pending: SpecialOp[] = [];
  private readonly pendingPaths = new Set<string>();
  /** Known lower dirs; undefined while they are not unpacked yet (lookups are deferred). */
  private lowers: string[] | undefined;
  private readonly fixups: Fixup[] = [];
  /** The live fixup at each path. */
  private readonly fixupAt = new Map<string, Fixup>();
  private readonly euid = process.geteuid?.() ?? 0;
  private readonly egid = process.getegid?.() ?? 0;

  constructor(
    private readonly root: string,
    private readonly opts: UnpackOptions,
    private readonly what: string,
  ) {
    this.lowers = typeof opts.lowerDirs === 'function' ? undefined : (opts.lowerDirs ?? []);
  }

  private abs(rel: string): string {
    return rel === '' ? this.root : `${this.root}/${rel}`;
  }

  private refuse(name: string, why: string): CritterError {
    return invalidArgument(`${this.what}: entry ${JSON.stringify(name)}: ${why}`);
  }

  async entry(h: Header, data: EntryStream): Promise<void> {
    if (this.opts.signal?.aborted) throw cancelled(`${this.what}: unpack cancelled`);
    this.entries++;
    const parts = entryComponents(h.name, `${this.what}: entry`);
    const rel = parts.join('/');
    const parent = parts.slice(0, -1).join('/');
    const base = parts[parts.length - 1] ?? '';

    if (h.type === 'file' || h.type === 'contiguous-file') {
      if (base.startsWith(WHITEOUT_PREFIX)) {
        data.resume();
        return this.whiteout(h.name, parent, base);
      }
      await this.ensureParents(h.name, parent);
      return this.file(h, rel, data);
    }
    if (h.size > 0) data.resume();
    if (rel === '' && h.type !== 'directory') throw this.refuse(h.name, 'only a directory may name the layer root');
    if (rel !== '') await this.ensureParents(h.name, parent);
    switch (h.type) {
      case 'directory':
        return this.directory(h, rel);
      case 'symlink':
        return this.symlink(h, rel);
      case 'link':
        return this.hardlink(h, rel);
      case 'character-device':
      case 'block-device':
      case 'fifo':
        return this.special(h, rel);
      default:
        this.opts.log.warn({ name: h.name, type: h.type }, 'layer entry of unsupported type skipped');
    }
  }

  /** Makes sure every parent of an entry is a real directory inside the tree. */
  private async ensureParents(name: string, parent: string): Promise<void> {
    if (this.dirs.has(parent)) return;
    let rel = '';
    for (const part of parent.split('/')) {
      rel = join(rel, part);
      if (this.dirs.has(rel)) continue;
      if (this.pendingPaths.has(rel)) await this.flush();
      let st: Stats | undefined;
      try {
        st = lstatSync(this.abs(rel));
      } catch (e) {
        if (errnoCode(e) !== 'ENOENT') throw e;
      }
      if (st === undefined) this.implicitDir(rel);
      else if (st.isSymbolicLink()) throw this.refuse(name, `parent ${JSON.stringify(rel)} is a symlink; writing through it is refused`);
      else if (!st.isDirectory()) throw this.refuse(name, `parent ${JSON.stringify(rel)} is not a directory`);
      this.dirs.add(rel);
    }
  }

  /** A parent the tar does not list: made like the lower layers' one, or 0755 root. */
  private implicitDir(rel: string): void {
    mkdirSync(this.abs(rel), 0o700);
    if (this.lowers === undefined) {
      chmodSync(this.abs(rel), 0o755);
      this.defer({ kind: 'dir', rel, dead: false });
      return;
    }
    this.lowerDir(rel);
  }

  /** Gives the implicit directory rel the lower layers' metadata, if they have that directory. */
  private lowerDir(rel: string): void {
    const lower = this.lowerLookup(rel)?.st;
    // chmod rather than mkdir's mode: the daemon's umask must not narrow image directories.
    if (lower?.isDirectory()) {
      this.chown(this.abs(rel), lower.uid, lower.gid);
      chmodSync(this.abs(rel), lower.mode & 0o7777);
      this.dirTimes.set(rel, lower.mtimeMs / 1000);
    } else chmodSync(this.abs(rel), 0o755);
  }

  /** lstat of rel in the topmost lower layer that has it, resolved strictly inside that layer. */
  private lowerLookup(rel: string): { st: Stats; path: string } | undefined {
    for (const lower of this.lowers ?? []) {
      const path = `${lower}/${rel}`;
      let st: Stats;
      try {
        st = lstatSync(path);
        const root = realpathSync(lower);
        const real = realpathSync(`${lower}/${rel.split('/').slice(0, -1).join('/')}`);
        if (real !== root && !real.startsWith(`${root}/`)) return undefined;
      } catch (e) {
        if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') continue;
        throw e;
      }
      // A whiteout in a higher layer hides everything below it.
      if (isWhiteoutDevice(st)) return undefined;
      return { st, path };
    }
    return undefined;
  }

  /**
   * Makes room for a new entry where something already is (a tar may list a path twice; the
   * later one wins). Returns the old entry's stat, or undefined if a directory is kept.
   */
  private async clear(rel: string, keepDir: boolean): Promise<Stats | undefined> {
    const st = lstatSync(this.abs(rel));
    if (keepDir && st.isDirectory()) return undefined;
    // Queued ops name paths that may be about to change: carry them out first.
    await this.flush();
    rmSync(this.abs(rel), { recursive: true, force: true });
    this.dropFixups(rel);
    for (const d of this.dirs) if (d === rel || d.startsWith(`${rel}/`)) this.dirs.delete(d);
    for (const d of this.dirTimes.keys()) if (d === rel || d.startsWith(`${rel}/`)) this.dirTimes.delete(d);
    return st;
  }

  /** Removes whatever an earlier entry put at rel; nothing there is fine. */
  private async clearIfPresent(rel: string): Promise<void> {
    try {
      await this.clear(rel, false);
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
    }
  }

  private chown(path: string, uid: number, gid: number): void {
    if (uid !== this.euid || gid !== this.egid) lchownSync(path, uid, gid);
  }

  private xattrs(h: Header, rel: string): void {
    if (!h.pax) return;
    for (const [k, v] of Object.entries(h.pax)) {
      if (!k.startsWith('SCHILY.xattr.')) continue;
      const name = k.slice('SCHILY.xattr.'.length);
      // overlay's own attributes would let a layer forge opaque dirs, redirects or metacopy.
      if (name.startsWith('trusted.overlay.')) {
        this.opts.log.warn({ name: h.name, xattr: name }, 'overlay xattr in a layer ignored');
        continue;
      }
      if (v.includes('\ufffd')) {
        // tar-stream decodes PAX values as UTF-8, so a binary value arrives mangled.
        this.opts.log.warn({ name: h.name, xattr: name }, 'binary xattr value cannot be carried; skipped');
        continue;
      }
      this.queue({ op: 'setxattr', path: this.abs(rel), name, value: xattrValue(v) }, rel);
    }
  }

  private queue(op: SpecialOp, rel: string): void {
    this.pending.push(op);
    this.pendingPaths.add(rel);
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const ops = this.pending;
    this.pending = [];
    this.pendingPaths.clear();
    await runSpecialOps(this.root, ops);
  }

  private async file(h: Header, rel: string, data: EntryStream): Promise<void> {
    if (this.pendingPaths.has(rel)) await this.flush();
    const path = this.abs(rel);
    let fd: number;
    try {
      fd = openSync(path, CREATE_FILE, 0o600);
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') throw e;
      data.pause();
      await this.clear(rel, false);
      fd = openSync(path, CREATE_FILE, 0o600);
    }
    try {
      await new Promise<void>((resolve, reject) => {
        data.on('data', (c: unknown) => {
          const chunk = c as Buffer;
          try {
            let off = 0;
            while (off < chunk.length) off += writeSync(fd, chunk, off);
          } catch (e) {
            data.destroy(e instanceof Error ? e : new Error(String(e)));
          }
        });
        data.once('end', resolve);
        data.once('error', reject);
        data.resume();
      });
      // chown before chmod: chown clears setuid/setgid bits.
      if (h.uid !== this.euid || h.gid !== this.egid) fchownSync(fd, h.uid, h.gid);
      fchmodSync(fd, h.mode & 0o7777);
      const t = seconds(h.mtime);
      futimesSync(fd, t, t);
    } finally {
      closeSync(fd);
    }
    this.xattrs(h, rel);
  }

  private async directory(h: Header, rel: string): Promise<void> {
    const path = this.abs(rel);
    let replaced: Stats | undefined;
    if (rel !== '') {
      if (this.pendingPaths.has(rel)) await this.flush();
      try {
        mkdirSync(path, 0o700);
      } catch (e) {
        if (errnoCode(e) !== 'EEXIST') throw e;
        replaced = await this.clear(rel, true);
        if (replaced) mkdirSync(path, 0o700);
      }
    }
    // Listed after all: its own metadata wins over the lower layers' (a deferred fixup's).
    const f = this.fixupAt.get(rel);
    if (f?.kind === 'dir') {
      f.dead = true;
      this.fixupAt.delete(rel);
    }
    this.chown(path, h.uid, h.gid);
    chmodSync(path, h.mode & 0o7777);
    this.dirs.add(rel);
    this.dirTimes.set(rel, seconds(h.mtime));
    // A directory replacing this layer's own whiteout: the lower one is gone, so hide it.
    if (replaced && isWhiteoutDevice(replaced)) this.markOpaque(rel);
    this.xattrs(h, rel);
  }

  private async symlink(h: Header, rel: string): Promise<void> {
    if (rel === '') throw this.refuse(h.name, 'the layer root cannot be a symlink');
    if (this.pendingPaths.has(rel)) await this.flush();
    const path = this.abs(rel);
    const target = h.linkname ?? '';
    try {
      symlinkSync(target, path);
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') throw e;
      await this.clear(rel, false);
      symlinkSync(target, path);
    }
    this.chown(path, h.uid, h.gid);
    const t = seconds(h.mtime);
    lutimesSync(path, t, t);
    this.xattrs(h, rel);
  }

  private async hardlink(h: Header, rel: string): Promise<void> {
    const linkname = h.linkname ?? '';
    const targetParts = entryComponents(linkname, `${this.what}: entry ${JSON.stringify(h.name)}: hard link target`);
    const targetRel = targetParts.join('/');
    if (targetRel === '') throw this.refuse(h.name, 'hard link to the layer root');
    // The target's parents must be real directories too, or link() would reach through a
    // symlink to a file outside.
    let dir = '';
    for (const part of targetParts.slice(0, -1)) {
      dir = join(dir, part);
      if (this.dirs.has(dir)) continue;
      let st: Stats;
      try {
        st = lstatSync(this.abs(dir));
      } catch (e) {
        if (errnoCode(e) === 'ENOENT') return this.lowerHardlink(h, rel, targetRel);
        throw e;
      }
      if (st.isSymbolicLink()) throw this.refuse(h.name, `hard link target ${JSON.stringify(linkname)} goes through the symlink ${JSON.stringify(dir)}`);
      if (!st.isDirectory()) throw this.refuse(h.name, `hard link target ${JSON.stringify(linkname)}: ${JSON.stringify(dir)} is not a directory`);
      this.dirs.add(dir);
    }
    if (this.pendingPaths.has(targetRel) || this.pendingPaths.has(rel)) await this.flush();
    const path = this.abs(rel);
    try {
      linkSync(this.abs(targetRel), path);
    } catch (e) {
      const code = errnoCode(e);
      if (code === 'ENOENT') return this.lowerHardlink(h, rel, targetRel);
      if (code !== 'EEXIST') throw this.refuse(h.name, `hard link to ${JSON.stringify(linkname)} failed: ${errorMessage(e)}`);
      if (rel === targetRel) return;
      await this.clear(rel, false);
      linkSync(this.abs(targetRel), path);
    }
    // A link to a placeholder (a deferred link into a lower layer) shares what it becomes.
    const f = this.fixupAt.get(targetRel);
    if (f?.kind === 'link') f.aliases.push(rel);
  }

  /** A hard link whose target is in a lower layer: a copy here, as overlay's copy-up would make. */
  private async lowerHardlink(h: Header, rel: string, targetRel: string): Promise<void> {
    if (this.lowers === undefined) return this.deferLowerHardlink(h, rel, targetRel);
    const found = this.lowerLookup(targetRel);
    if (!found) throw this.refuse(h.name, `hard link target ${JSON.stringify(h.linkname)} is not in this layer or below`);
    const { st, path: src } = found;
    if (this.pendingPaths.has(rel)) await this.flush();
    const dst = this.abs(rel);
    await this.clearIfPresent(rel);
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
    else if (st.isFile()) copyFileSync(src, dst, fsc.COPYFILE_EXCL);
    else throw this.refuse(h.name, `hard link target ${JSON.stringify(h.linkname)} in a lower layer is not a file`);
    this.chown(dst, st.uid, st.gid);
    if (!st.isSymbolicLink()) chmodSync(dst, st.mode & 0o7777);
    lutimesSync(dst, st.atimeMs / 1000, st.mtimeMs / 1000);
  }

  /** The lower layers are not there yet: an empty placeholder now, filled in by fixup(). */
  private async deferLowerHardlink(h: Header, rel: string, targetRel: string): Promise<void> {
    if (this.pendingPaths.has(rel)) await this.flush();
    const dst = this.abs(rel);
    await this.clearIfPresent(rel);
    const fd = openSync(dst, CREATE_FILE, 0o600);
    let ino: number;
    try {
      ino = fstatSync(fd).ino;
    } finally {
      closeSync(fd);
    }
    this.defer({ kind: 'link', rel, targetRel, h, dead: false, ino, aliases: [] });
  }

  private defer(f: Fixup): void {
    this.fixups.push(f);
    this.fixupAt.set(f.rel, f);
  }

  /** rel (and what is under it) was removed: its deferred fixups no longer apply. */
  private dropFixups(rel: string): void {
    if (this.fixupAt.size === 0) return;
    for (const [p, f] of this.fixupAt) {
      if (p === rel || p.startsWith(`${rel}/`)) {
        f.dead = true;
        this.fixupAt.delete(p);
      }
    }
  }

  /** The lower layers are unpacked now: does what was deferred, in entry order. */
  fixup(lowers: string[]): void {
    this.lowers = lowers;
    for (const f of this.fixups) {
      if (f.dead) continue;
      if (f.kind === 'dir') this.lowerDir(f.rel);
      else this.fillPlaceholder(f);
    }
    this.fixups.length = 0;
    this.fixupAt.clear();
  }

  private fillPlaceholder(f: Extract<Fixup, { kind: 'link' }>): void {
    const found = this.lowerLookup(f.targetRel);
    if (!found) throw this.refuse(f.h.name, `hard link target ${JSON.stringify(f.h.linkname)} is not in this layer or below`);
    const { st, path: src } = found;
    const dst = this.abs(f.rel);
    if (lstatSync(dst).ino !== f.ino) throw internal(`${this.what}: placeholder for ${JSON.stringify(f.h.name)} was replaced behind the unpacker's back`);
    if (st.isFile()) {
      // Into the placeholder's own inode, so hard links made to it in this layer share it.
      copyFileSync(src, dst);
    } else if (st.isSymbolicLink()) {
      rmSync(dst);
      symlinkSync(readlinkSync(src), dst);
      for (const a of f.aliases) {
        const at = this.abs(a);
        let same = false;
        try {
          same = lstatSync(at).ino === f.ino;
        } catch (e) {
          if (errnoCode(e) !== 'ENOENT') throw e;
        }
        if (!same) continue;
        rmSync(at);
        linkSync(dst, at);
      }
    } else throw this.refuse(f.h.name, `hard link target ${JSON.stringify(f.h.linkname)} in a lower layer is not a file`);
    this.chown(dst, st.uid, st.gid);
    if (!st.isSymbolicLink()) chmodSync(dst, st.mode & 0o7777);
    lutimesSync(dst, st.atimeMs / 1000, st.mtimeMs / 1000);
  }

  private async special(h: Header, rel: string): Promise<void> {
    if (this.pendingPaths.has(rel)) await this.flush();
    await this.clearIfPresent(rel);
    const kind = h.type === 'character-device' ? 'c' : h.type === 'block-device' ? 'b' : 'p';
    this.queue(
      { op: 'mknod', path: this.abs(rel), kind, mode: h.mode & 0o7777, major: h.devmajor ?? 0, minor: h.devminor ?? 0, uid: h.uid, gid: h.gid, mtime: seconds(h.mtime) },
      rel,
    );
    this.xattrs(h, rel);
  }

  private markOpaque(rel: string): void {
    if (this.opaque.has(rel)) return;
    this.opaque.add(rel);
    this.queue({ op: 'setxattr', path: this.abs(rel), name: OPAQUE_XATTR, value: xattrValue('y') }, rel);
  }

  private async whiteout(name: string, parent: string, base: string): Promise<void> {
    await this.ensureParents(name, parent);
    if (base === OPAQUE_MARKER) return this.markOpaque(parent);
    const victim = base.slice(WHITEOUT_PREFIX.length);
    if (victim === '' || victim === '.' || victim === '..') throw this.refuse(name, 'whiteout of the directory itself or its parent');
    if (victim.startsWith(WHITEOUT_PREFIX)) {
      // aufs bookkeeping (.wh..wh.plnk and friends): meaningless to overlay.
      this.opts.log.debug({ name }, 'aufs metadata entry skipped');
      return;
    }
    const rel = join(parent, victim);
    if (this.pendingPaths.has(rel)) return;
    try {
      lstatSync(this.abs(rel));
      // Whiteouts hide lower layers only; what this layer itself put there stays.
      return;
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
    }
    if (this.opts.whiteoutTemplate) {
      try {
        linkSync(this.opts.whiteoutTemplate, this.abs(rel));
        return;
      } catch (e) {
        // Too many links on the template, or another filesystem: make a node instead.
        if (errnoCode(e) !== 'EMLINK' && errnoCode(e) !== 'EXDEV') throw e;
      }
    }
    this.queue({ op: 'mknod', path: this.abs(rel), kind: 'c', mode: 0, major: 0, minor: 0, uid: 0, gid: 0, mtime: 0 }, rel);
  }

  /** Carries out queued ops, then sets directory times (children change them while created). */
  async finish(): Promise<void> {
    await this.flush();
    for (const [rel, t] of this.dirTimes) utimesSync(this.abs(rel), t, t);
  }
}

/** Makes the whiteout template: a 0:0 character device at path (one process, once). */
export async function makeWhiteoutTemplate(path: string): Promise<void> {
  try {
    const st = lstatSync(path);
    if (isWhiteoutDevice(st)) return;
    rmSync(path, { force: true });
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') throw e;
  }
  const dir = path.slice(0, path.lastIndexOf('/')) || '/';
  await runSpecialOps(dir, [{ op: 'mknod', path, kind: 'c', mode: 0, major: 0, minor: 0, uid: 0, gid: 0, mtime: 0 }]);
}
