// Preparing the CRI socket path: its folder private (0700), and a socket file left by a crashed
// daemon removed, while a socket some live process still answers on is never stolen.
import { connect } from 'node:net';
import { chmodSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { errnoCode, failedPrecondition } from '../util/errors.js';

function answers(path: string): Promise<boolean> {
  return new Promise((ok) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      ok(true);
    });
    s.once('error', () => ok(false));
  });
}

/** `folderMode` is 0700 unless the folder is also --state, which must stay traversable (0711). */
export async function prepareSocketPath(path: string, folderMode = 0o700): Promise<{ removedStale: boolean }> {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: folderMode });
  chmodSync(dir, folderMode);
  let st;
  try {
    st = lstatSync(path);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return { removedStale: false };
    throw e;
  }
  if (!st.isSocket()) throw failedPrecondition(`socket path ${path} exists and is not a socket; refusing to replace it`);
  if (await answers(path)) throw failedPrecondition(`socket ${path} is in use by a running process; is another critterd serving it?`);
  rmSync(path, { force: true });
  return { removedStale: true };
}
