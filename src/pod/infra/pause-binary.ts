// Where the pause binary is: `npm run build` compiles native/pause.c to dist/native/pause of the
// package critter runs from.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { failedPrecondition } from '../../util/errors.js';

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'critter') return dir;
      } catch {
        /* not ours; keep looking */
      }
    }
    const up = dirname(dir);
    if (up === dir) throw failedPrecondition('cannot find the critter package folder holding dist/native/pause');
    dir = up;
  }
}

export function defaultPausePath(): string {
  return join(packageRoot(), 'dist', 'native', 'pause');
}

export function checkPauseBinary(path: string): void {
  if (!existsSync(path)) throw failedPrecondition(`the pause binary ${path} is missing: run \`npm run build\` (needs cc and a static libc)`);
}
