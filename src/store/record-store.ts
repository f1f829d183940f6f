// One JSON file per object id under a folder, written crash-safely (temp + fsync + rename), so
// that a daemon killed at any point finds every record either as it was or as it became.
// Records are read back in full at startup; the owner keeps its own in-memory view.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { errnoCode, errorMessage, internal, invalidArgument } from '../util/errors.js';
import { silentLogger, type Logger } from '../util/log.js';
import { writeJsonAtomic } from './atomic-file.js';

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const SUFFIX = '.json';

export interface RecordStoreOptions<T> {
  dir: string;
  /** Checks and types a parsed file; throws on a record it cannot use. */
  parse: (value: unknown, id: string) => T;
  log?: Logger;
}

export interface LoadedRecord<T> {
  id: string;
  value: T;
}

export class RecordStore<T> {
  private readonly log: Logger;

  constructor(private readonly opts: RecordStoreOptions<T>) {
    this.log = opts.log ?? silentLogger();
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  }

  get dir(): string {
    return this.opts.dir;
  }

  put(id: string, value: T): void {
    writeJsonAtomic(this.file(id), value);
  }

  /** The stored record, or undefined when there is none. */
  get(id: string): T | undefined {
    let text: string;
    try {
      text = readFileSync(this.file(id), 'utf8');
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return undefined;
      throw internal(`cannot read record ${id} in ${this.opts.dir}`, e);
    }
    return this.opts.parse(JSON.parse(text) as unknown, id);
  }

  /** Deleting a missing record is fine. */
  delete(id: string): void {
    rmSync(this.file(id), { force: true });
  }

  /**
   * Every readable record. A file that does not parse is moved aside as `<id>.json.corrupt`
   * (kept for a person to look at) rather than failing the daemon's start; temp files of
   * interrupted writes are deleted.
   */
  list(): LoadedRecord<T>[] {
    const out: LoadedRecord<T>[] = [];
    for (const name of readdirSync(this.opts.dir).sort()) {
      if (name.startsWith('.') && name.endsWith('.tmp')) {
        rmSync(join(this.opts.dir, name), { force: true });
        continue;
      }
      if (!name.endsWith(SUFFIX)) continue;
      const id = name.slice(0, -SUFFIX.length);
      if (!ID.test(id)) continue;
      try {
        const value = this.get(id);
        if (value !== undefined) out.push({ id, value });
      } catch (e) {
        const file = this.file(id);
        this.log.error({ file, err: errorMessage(e) }, 'unreadable record moved aside');
        try {
          renameSync(file, `${file}.corrupt`);
        } catch {
          /* left in place; reported above */
        }
      }
    }
    return out;
  }

  private file(id: string): string {
    if (!ID.test(id)) throw invalidArgument(`bad record id ${JSON.stringify(id)}`);
    return join(this.opts.dir, `${id}${SUFFIX}`);
  }
}
