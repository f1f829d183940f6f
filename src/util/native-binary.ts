// Where critter's small native helpers are: `npm run build` compiles native/*.c into
// dist/native/ of the package critter runs from.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { failedPrecondition } from './errors.js';

export type NativeBinary = 'pause' | 'pinns' | 'idmap';

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
    if (up === dir) throw failedPrecondition('cannot find the critter package folder holding dist/native');
    dir = up;
  }
}

/** Where a native helper is built to, whether it is there yet or not. */
export function nativeBinaryPath(name: NativeBinary): string {
  return join(packageRoot(), 'dist', 'native', name);
}

/** Throws a clear error naming the build step when the helper at path is missing. */
export function checkNativeBinary(path: string): void {
  if (!existsSync(path)) throw failedPrecondition(`the native helper ${path} is missing: run \`npm run build\` (needs cc and a static libc)`);
}

/** The path of a native helper, checked. */
export function nativeBinary(name: NativeBinary): string {
  const path = nativeBinaryPath(name);
  checkNativeBinary(path);
  return path;
}
