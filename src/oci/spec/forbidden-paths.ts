// Host paths no container may mount or take a device from ([security] forbidden_host_paths, plus
// critterd's own --root and --state). A path is refused when it is a forbidden path or lies
// under one, both taken with symlinks resolved; ancestors (`/`, `/var`) stay allowed.
import { realpathSync } from 'node:fs';
import { isAbsolute, join, posix, relative } from 'node:path';
import { errnoCode, invalidArgument } from '../../util/errors.js';

export const FORBIDDEN_HOST_PATHS_KEY = '[security] forbidden_host_paths';

/**
 * The path with the symlinks of its longest existing prefix resolved and the missing rest
 * appended: where a path that is about to be created would end up.
 */
export function resolveExisting(path: string): string {
  const clean = posix.normalize(path);
  const missing: string[] = [];
  let at = clean;
  for (;;) {
    try {
      return join(realpathSync(at), ...missing.reverse());
    } catch (e) {
      const code = errnoCode(e);
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || at === '/') return clean;
      missing.push(posix.basename(at));
      at = posix.dirname(at);
    }
  }
}

const within = (path: string, dir: string): boolean => {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/**
 * Throws InvalidArgument when `path` (resolved as resolveExisting does) is one of `forbidden`
 * (each resolved the same way, so /var/run and /run are one) or under one.
 */
export function checkHostPathAllowed(path: string, forbidden: readonly string[] | undefined, what: string): void {
  if (!forbidden || forbidden.length === 0) return;
  const real = resolveExisting(path);
  for (const f of forbidden) {
    const dir = resolveExisting(f);
    if (!within(real, dir) && !within(posix.normalize(path), posix.normalize(f))) continue;
    const shown = real === path ? path : `${path} (${real})`;
    throw invalidArgument(
      `${what}: host path ${shown} is refused: it is or lies under ${f}, which ${FORBIDDEN_HOST_PATHS_KEY} ` +
        `(with critterd's own --root and --state) keeps away from containers`,
    );
  }
}
