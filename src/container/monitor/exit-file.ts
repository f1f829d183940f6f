// conmon's record of an exit: `<exit-dir>/<id>` holds the exit status as decimal text (128+N for
// a signal, -1 when conmon's --timeout killed it), written atomically by rename; an `oom` file
// in the persist dir marks an OOM kill seen through the memory cgroup.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { errnoCode, internal } from '../../util/errors.js';
import type { ExitInfo } from './conmon-types.js';

export function readExitFile(exitDir: string, id: string, persistDir?: string): ExitInfo | null {
  const file = join(exitDir, id);
  let text: string;
  let mtime: Date;
  try {
    text = readFileSync(file, 'utf8');
    mtime = statSync(file).mtime;
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return null;
    throw internal(`cannot read exit file ${file}`, e);
  }
  const code = Number.parseInt(text.trim(), 10);
  if (!Number.isFinite(code)) throw internal(`exit file ${file} holds ${JSON.stringify(text.slice(0, 40))}, not a number`);
  return { exitCode: code, finishedAt: mtime, oomKilled: persistDir !== undefined && oomKilled(persistDir) };
}

export function oomKilled(persistDir: string): boolean {
  return existsSync(join(persistDir, 'oom'));
}
