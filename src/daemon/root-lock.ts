// One critterd per --root. The lock is an abstract unix socket named after the root: the kernel
// frees it the moment its holder dies, so a crash never leaves a stale lock behind (a pid file
// alone would). The pid file beside it only lets the refusal name the holder.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { failedPrecondition } from '../util/errors.js';

export interface RootLock {
  release(): Promise<void>;
}

export async function lockRoot(root: string): Promise<RootLock> {
  const abs = resolve(root);
  const name = `\0critter-root-${createHash('sha256').update(abs).digest('hex').slice(0, 32)}`;
  const pidFile = join(abs, 'critterd.pid');
  const server: Server = createServer((c) => c.destroy());
  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') {
        let holder = 'another process';
        try {
          holder = `critterd pid ${readFileSync(pidFile, 'utf8').trim()}`;
        } catch {
          /* the holder may not have written it yet */
        }
        fail(failedPrecondition(`another critterd (${holder}) is already using root ${abs}; stop it first or choose another --root`));
      } else fail(e);
    });
    server.listen(name, () => ok());
  });
  writeFileSync(pidFile, `${process.pid}\n`);
  return {
    async release() {
      rmSync(pidFile, { force: true });
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
