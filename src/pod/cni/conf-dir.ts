// Finding the node's CNI network the way libcni does: files ending .conf, .conflist or .json in
// the conf dir, in name order; the first that parses is the network. A single-plugin .conf is
// lifted into a one-plugin list so that callers only ever see lists.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errnoCode, errorMessage } from '../../util/errors.js';

export interface CniPluginConf {
  type: string;
  [key: string]: unknown;
}

export interface CniNetworkList {
  file: string;
  cniVersion: string;
  name: string;
  plugins: CniPluginConf[];
  /** The file's JSON, for handing to plugins untouched. */
  raw: Record<string, unknown>;
}

export type ConfDirResult = { ok: true; network: CniNetworkList } | { ok: false; reason: string };

const EXTENSIONS = ['.conf', '.conflist', '.json'];

function asList(file: string, doc: unknown): CniNetworkList {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('not a JSON object');
  const o = doc as Record<string, unknown>;
  if (typeof o.name !== 'string' || o.name === '') throw new Error('missing "name"');
  const cniVersion = typeof o.cniVersion === 'string' ? o.cniVersion : '';
  if (Array.isArray(o.plugins)) {
    if (o.plugins.length === 0) throw new Error('"plugins" is empty');
    for (const p of o.plugins) {
      if (typeof p !== 'object' || p === null || typeof (p as Record<string, unknown>).type !== 'string') {
        throw new Error('every plugin needs a "type"');
      }
    }
    return { file, cniVersion, name: o.name, plugins: o.plugins as CniPluginConf[], raw: o };
  }
  if (typeof o.type !== 'string') throw new Error('neither "plugins" nor "type"');
  const plugin = { ...o } as CniPluginConf;
  return { file, cniVersion, name: o.name, plugins: [plugin], raw: { cniVersion, name: o.name, plugins: [plugin] } };
}

export function findNetwork(confDir: string): ConfDirResult {
  let names: string[];
  try {
    names = readdirSync(confDir);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return { ok: false, reason: `CNI config directory ${confDir} does not exist` };
    return { ok: false, reason: `cannot read CNI config directory ${confDir}: ${errorMessage(e)}` };
  }
  const candidates = names.filter((n) => EXTENSIONS.some((x) => n.endsWith(x))).sort();
  const problems: string[] = [];
  for (const n of candidates) {
    const file = join(confDir, n);
    try {
      return { ok: true, network: asList(file, JSON.parse(readFileSync(file, 'utf8'))) };
    } catch (e) {
      problems.push(`${n}: ${errorMessage(e)}`);
    }
  }
  if (problems.length > 0) return { ok: false, reason: `no valid CNI config in ${confDir} (${problems.join('; ')})` };
  return { ok: false, reason: `no CNI config found in ${confDir}` };
}
