// The image records: <root>/images/images.json, rewritten whole (temp file, fsync, rename) on
// every change, so a crash leaves the old list or the new one and a tag move, which touches two
// images, is never half done. Records are written only after an image's blobs and snapshots
// are committed; anything on disk that no record names is garbage for the collector.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../store/atomic-file.js';
import { errnoCode, errorMessage, internal } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { findImage } from './lookup.js';
import { asImageRecord, type ImageRecord } from './record.js';

const FILE_VERSION = 1;

/** One pull's outcome, to merge into the records. */
export interface PulledImage {
  id: string;
  /** Set when the pull named a tag. */
  repoTag?: string;
  repoDigest: string;
  size: number;
  chainId: string | null;
  user: string;
  blobs: string[];
}

export class ImageStore {
  private readonly file: string;
  private readonly records = new Map<string, ImageRecord>();

  private constructor(
    root: string,
    private readonly log: Logger,
  ) {
    this.file = join(root, 'images', 'images.json');
  }

  /** Loads the records; a missing file is an empty store, a malformed record is dropped. */
  static open(root: string, log: Logger): ImageStore {
    const s = new ImageStore(root, log);
    let text: string;
    try {
      text = readFileSync(s.file, 'utf8');
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return s;
      throw internal(`reading ${s.file}: ${errorMessage(e)}`, e);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      // Written atomically, so this is outside interference; starting empty lets GC reclaim.
      log.error({ file: s.file, err: errorMessage(e) }, 'image records are not valid JSON; starting with no images');
      return s;
    }
    const images = typeof doc === 'object' && doc !== null ? (doc as { images?: unknown }).images : undefined;
    for (const v of Array.isArray(images) ? images : []) {
      const r = asImageRecord(v);
      if (r) s.records.set(r.id, r);
      else log.warn({ file: s.file }, 'dropping a malformed image record');
    }
    return s;
  }

  list(): ImageRecord[] {
    return [...this.records.values()];
  }

  byId(id: string): ImageRecord | undefined {
    return this.records.get(id);
  }

  /** The record `input` names in any form ImageStatus accepts (see lookup.ts). */
  find(input: string): ImageRecord | undefined {
    return findImage(this.records.values(), input);
  }

  /** Adds or updates the pulled image; a tag it takes is removed from the image that had it. */
  add(p: PulledImage): ImageRecord {
    const now = new Date().toISOString();
    if (p.repoTag !== undefined) {
      for (const other of this.records.values()) {
        if (other.id !== p.id && other.repoTags.includes(p.repoTag)) {
          // Like containerd, the old image stays (by id and digest) for the kubelet's GC.
          other.repoTags = other.repoTags.filter((t) => t !== p.repoTag);
          this.log.info({ tag: p.repoTag, from: other.id, to: p.id }, 'tag moved to a new image');
        }
      }
    }
    const old = this.records.get(p.id);
    const rec: ImageRecord = {
      id: p.id,
      repoTags: union(old?.repoTags ?? [], p.repoTag !== undefined ? [p.repoTag] : []),
      repoDigests: union(old?.repoDigests ?? [], [p.repoDigest]),
      size: p.size,
      chainId: p.chainId,
      user: p.user,
      blobs: union(old?.blobs ?? [], p.blobs),
      pulledAt: now,
    };
    this.records.set(p.id, rec);
    this.save();
    return rec;
  }

  /** Forgets the image; false if there was no such record. */
  remove(id: string): boolean {
    if (!this.records.delete(id)) return false;
    this.save();
    return true;
  }

  private save(): void {
    const images = [...this.records.values()].sort((a, b) => a.id.localeCompare(b.id));
    writeJsonAtomic(this.file, { version: FILE_VERSION, images });
  }
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}
