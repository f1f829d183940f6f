// Disk usage of a directory tree, as ImageFsInfo reports it: allocated bytes and inodes, each
// hard-linked inode counted once.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../../util/errors.js';

export interface Usage {
  bytes: number;
  inodes: number;
}

export async function diskUsage(root: string, seen = new Set<string>()): Promise<Usage> {
  const total: Usage = { bytes: 0, inodes: 0 };
  const walk = async (p: string): Promise<void> => {
    let st;
    try {
      st = await lstat(p, { bigint: false });
    } catch (e) {
      // Entries come and go under a live store; a vanished one simply isn't counted.
      if (errnoCode(e) === 'ENOENT') return;
      throw e;
    }
    const key = `${st.dev}:${st.ino}`;
    if (!seen.has(key)) {
      seen.add(key);
      total.inodes += 1;
      total.bytes += st.blocks * 512;
    }
    if (st.isDirectory()) {
      let names: string[];
      try {
        names = await readdir(p);
      } catch (e) {
        if (errnoCode(e) === 'ENOENT') return;
        throw e;
      }
      for (const n of names) await walk(join(p, n));
    }
  };
  await walk(root);
  return total;
}
