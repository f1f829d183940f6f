// Tar entry names made safe: a name is accepted only as a plain relative path, so nothing in a
// layer can name a place outside the directory it is unpacked into.
import { invalidArgument } from '../../util/errors.js';

/**
 * The entry name as path components below the root ([] is the root itself). "./" prefixes,
 * doubled and trailing slashes are tolerated; absolute names and ".." are refused rather than
 * cleaned, as a layer that has them was made to attack, not by mistake.
 */
export function entryComponents(name: string, what = 'layer entry'): string[] {
  if (name.includes('\0')) throw invalidArgument(`${what} ${JSON.stringify(name)}: NUL in name`);
  if (name.startsWith('/')) throw invalidArgument(`${what} ${JSON.stringify(name)}: absolute path refused`);
  const parts: string[] = [];
  for (const p of name.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') throw invalidArgument(`${what} ${JSON.stringify(name)}: ".." component refused`);
    parts.push(p);
  }
  return parts;
}
