// Checks a parsed TOML document against the schema. Every problem names the file, the key and
// why, so that an operator can fix the file without reading critter's source.
import { isAbsolute } from 'node:path';
import { invalidArgument } from '../util/errors.js';
import { parseDuration } from './duration.js';
import { HANDLER_KEYS, SECTIONS, type KeySpec } from './schema.js';

export type TomlTable = Record<string, unknown>;

function isTable(v: unknown): v is TomlTable {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (isTable(v)) return 'a table';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Returns a reason the value is wrong for the spec, or undefined when it is right. */
function checkValue(spec: KeySpec, v: unknown): string | undefined {
  const t = spec.type;
  switch (t.kind) {
    case 'string': {
      if (typeof v !== 'string') return `expected a string, got ${describe(v)}`;
      if (t.nonEmpty && v === '') return 'must not be empty';
      if (t.absolutePath && !isAbsolute(v)) return `must be an absolute path, got "${v}"`;
      if (t.oneOf && !t.oneOf.includes(v)) return `must be one of ${t.oneOf.map((o) => JSON.stringify(o)).join(', ')}, got "${v}"`;
      return undefined;
    }
    case 'int':
      if (typeof v !== 'number' || !Number.isInteger(v)) return `expected an integer, got ${describe(v)}`;
      if (v < t.min || v > t.max) return `must be between ${t.min} and ${t.max}, got ${v}`;
      return undefined;
    case 'bool':
      return typeof v === 'boolean' ? undefined : `expected true or false, got ${describe(v)}`;
    case 'duration':
      if (typeof v !== 'string' || parseDuration(v) === undefined) return `expected a duration such as "30s" or "5m", got ${describe(v)}`;
      return undefined;
    case 'stringList':
      if (!Array.isArray(v) || v.some((e) => typeof e !== 'string')) return `expected an array of strings, got ${describe(v)}`;
      if (t.absolutePaths) {
        const rel = v.find((e) => !isAbsolute(e as string));
        if (rel !== undefined) return `every entry must be an absolute path, got "${String(rel)}"`;
      }
      return undefined;
  }
}

function checkTable(file: string, prefix: string, table: TomlTable, keys: Record<string, KeySpec>, skip: string[] = []): void {
  for (const [k, v] of Object.entries(table)) {
    if (skip.includes(k)) continue;
    const spec = keys[k];
    const where = `${prefix}${k}`;
    if (spec === undefined) {
      const known = Object.keys(keys).concat(skip).join(', ');
      throw invalidArgument(`config ${file}: unknown key "${where}" (known keys here: ${known})`);
    }
    const reason = checkValue(spec, v);
    if (reason !== undefined) throw invalidArgument(`config ${file}: bad value for "${where}": ${reason}`);
  }
}

/** Throws InvalidArgument on the first unknown key or bad value. */
export function validateDocument(file: string, doc: TomlTable): void {
  for (const [section, body] of Object.entries(doc)) {
    const keys = (SECTIONS as Record<string, Record<string, KeySpec>>)[section];
    if (keys === undefined) {
      throw invalidArgument(`config ${file}: unknown key "${section}" (known sections: ${Object.keys(SECTIONS).join(', ')})`);
    }
    if (!isTable(body)) throw invalidArgument(`config ${file}: "${section}" must be a table, got ${describe(body)}`);
    const skip = section === 'runtime' ? ['handlers'] : [];
    checkTable(file, `${section}.`, body, keys, skip);
    if (section === 'runtime' && body.handlers !== undefined) {
      if (!isTable(body.handlers)) throw invalidArgument(`config ${file}: "runtime.handlers" must be a table of tables`);
      for (const [name, h] of Object.entries(body.handlers)) {
        if (!/^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/.test(name)) {
          throw invalidArgument(`config ${file}: runtime handler name "${name}" must be a DNS label (lowercase letters, digits, '-', '.')`);
        }
        if (!isTable(h)) throw invalidArgument(`config ${file}: "runtime.handlers.${name}" must be a table`);
        checkTable(file, `runtime.handlers.${name}.`, h, HANDLER_KEYS);
        if (typeof h.runtime_path !== 'string') {
          throw invalidArgument(`config ${file}: "runtime.handlers.${name}.runtime_path" is required`);
        }
      }
    }
  }
}

export { isTable };
