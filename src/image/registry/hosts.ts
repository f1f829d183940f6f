// Registry host configuration in containerd's certs.d layout: <configDir>/<host>/hosts.toml,
// with `_default` as the catch-all. Each file lists mirrors ([host."URL"] tables, tried in file
// order) and then the upstream (`server`, else the registry's default https address).
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { parse as parseToml } from 'smol-toml';
import { errnoCode, errorMessage, invalidArgument } from '../../util/errors.js';

export const DEFAULT_CERTS_DIR = '/etc/critter/certs.d';

export type Capability = 'pull' | 'resolve' | 'push';
const ALL_CAPABILITIES: readonly Capability[] = ['pull', 'resolve', 'push'];

export interface EndpointTls {
  /** CA bundle file paths; these add to, not replace, the system roots. */
  caFiles: string[];
  skipVerify: boolean;
  /** Client certificate files; `key` absent means the key is in the cert file. */
  clientCerts: { cert: string; key?: string }[];
}

export interface RegistryEndpoint {
  /** scheme://host[:port] of the endpoint. */
  origin: string;
  /** The API root path requests are built on: "/v2", "/v2/mirror", or "" with override_path. */
  pathPrefix: string;
  /** The API root was taken from the URL as written (no "/v2" appended). */
  overridePath: boolean;
  capabilities: Capability[];
  tls: EndpointTls;
  headers: Record<string, string[]>;
  /** Where this endpoint came from, for error messages: a hosts.toml path or "default". */
  source: string;
}

export interface EndpointOptions {
  /** certs.d directory; no directory means defaults only. */
  configDir?: string;
  /** critter's [image] insecure_registries: hosts tried over https (unverified) and then plain http. */
  insecureRegistries?: readonly string[];
}

const HOST_KEYS = new Set(['capabilities', 'ca', 'client', 'skip_verify', 'header', 'override_path']);
const TOP_KEYS = new Set([...HOST_KEYS, 'server', 'host']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function stringList(v: unknown, file: string, key: string): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw invalidArgument(`${file}: "${key}" must be a string or an array of strings`);
}

function absPath(p: string, baseDir: string): string {
  return isAbsolute(p) ? p : join(baseDir, p);
}

export interface HostSettings {
  capabilities: Capability[];
  overridePath: boolean;
  tls: EndpointTls;
  headers: Record<string, string[]>;
}

function parseHostSettings(t: Record<string, unknown>, file: string, where: string, baseDir: string, allowed: Set<string>): HostSettings {
  for (const k of Object.keys(t)) {
    if (!allowed.has(k)) throw invalidArgument(`${file}: unknown key "${where}${k}"`);
  }
  const s: HostSettings = {
    capabilities: [...ALL_CAPABILITIES],
    overridePath: false,
    tls: { caFiles: [], skipVerify: false, clientCerts: [] },
    headers: {},
  };
  if (t.capabilities !== undefined) {
    const caps = t.capabilities;
    if (!Array.isArray(caps)) throw invalidArgument(`${file}: "${where}capabilities" must be an array`);
    s.capabilities = [];
    for (const c of caps) {
      const lc = typeof c === 'string' ? c.toLowerCase() : c;
      if (lc !== 'pull' && lc !== 'resolve' && lc !== 'push') {
        throw invalidArgument(`${file}: "${where}capabilities" has unknown capability ${JSON.stringify(c)} (allowed: pull, resolve, push)`);
      }
      if (!s.capabilities.includes(lc)) s.capabilities.push(lc);
    }
  }
  if (t.override_path !== undefined) {
    if (typeof t.override_path !== 'boolean') throw invalidArgument(`${file}: "${where}override_path" must be true or false`);
    s.overridePath = t.override_path;
  }
  if (t.skip_verify !== undefined) {
    if (typeof t.skip_verify !== 'boolean') throw invalidArgument(`${file}: "${where}skip_verify" must be true or false`);
    s.tls.skipVerify = t.skip_verify;
  }
  if (t.ca !== undefined) s.tls.caFiles = stringList(t.ca, file, `${where}ca`).map((p) => absPath(p, baseDir));
  if (t.client !== undefined) {
    // string | string[] | [cert, key][] as containerd accepts.
    const c = t.client;
    const items: unknown[] = typeof c === 'string' ? [c] : Array.isArray(c) ? c : [undefined];
    for (const item of items) {
      if (typeof item === 'string') s.tls.clientCerts.push({ cert: absPath(item, baseDir) });
      else if (Array.isArray(item) && item.length === 2 && item.every((x) => typeof x === 'string')) {
        s.tls.clientCerts.push({ cert: absPath(item[0] as string, baseDir), key: absPath(item[1] as string, baseDir) });
      } else {
        throw invalidArgument(`${file}: "${where}client" must be a path, an array of paths, or an array of [cert, key] pairs`);
      }
    }
  }
  if (t.header !== undefined) {
    if (!isRecord(t.header)) throw invalidArgument(`${file}: "${where}header" must be a table`);
    for (const [name, value] of Object.entries(t.header)) {
      s.headers[name.toLowerCase()] = stringList(value, file, `${where}header.${name}`);
    }
  }
  return s;
}

/** Splits a hosts.toml URL into origin and API root, applying containerd's "/v2" rule. */
function parseServerUrl(raw: string, overridePath: boolean, file: string, key: string): { origin: string; pathPrefix: string } {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) && !/^https?:\/\//i.test(raw)) {
    throw invalidArgument(`${file}: "${key}" must be an http or https URL`);
  }
  const withScheme = /^https?:\/\//i.test(raw) ? raw : `https://${raw}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch (e) {
    throw invalidArgument(`${file}: "${key}" is not a valid URL: ${JSON.stringify(raw)}`, e);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw invalidArgument(`${file}: "${key}" must be an http or https URL`);
  if (u.search !== '' || u.hash !== '' || u.username !== '' || u.password !== '') {
    throw invalidArgument(`${file}: "${key}" must not carry a query, fragment or user info`);
  }
  let path = u.pathname === '/' ? '' : u.pathname.replace(/\/+$/, '').replace(/\/{2,}/g, '/');
  if (!overridePath && !path.endsWith('/v2')) path = `${path}/v2`;
  return { origin: u.origin, pathPrefix: path };
}

/** The registry's own address when nothing configures it. */
export function defaultEndpoint(host: string, scheme: 'https' | 'http' = 'https', skipVerify = false): RegistryEndpoint {
  const target = host === 'docker.io' ? 'registry-1.docker.io' : host;
  return {
    origin: `${host === 'docker.io' ? 'https' : scheme}://${target}`,
    pathPrefix: '/v2',
    overridePath: false,
    capabilities: [...ALL_CAPABILITIES],
    tls: { caFiles: [], skipVerify, clientCerts: [] },
    headers: {},
    source: 'default',
  };
}

/**
 * Parses one hosts.toml. The result ends with the upstream when `server` is set; without it the
 * caller appends the default endpoint (as containerd does).
 */
export function parseHostsToml(text: string, file: string, baseDir: string): { endpoints: RegistryEndpoint[]; hasServer: boolean; top: HostSettings } {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (e) {
    throw invalidArgument(`${file}: invalid TOML: ${errorMessage(e)}`, e);
  }
  const top = parseHostSettings(doc, file, '', baseDir, TOP_KEYS);
  const endpoints: RegistryEndpoint[] = [];
  if (doc.host !== undefined) {
    if (!isRecord(doc.host)) throw invalidArgument(`${file}: "host" must be a table of [host."URL"] tables`);
    // smol-toml builds plain objects, whose string keys keep insertion (= file) order; URLs are
    // never integer-like keys, the one case where JS reorders.
    for (const [url, value] of Object.entries(doc.host)) {
      const where = `host."${url}".`;
      if (!isRecord(value)) throw invalidArgument(`${file}: "host.${url}" must be a table`);
      const s = parseHostSettings(value, file, where, baseDir, HOST_KEYS);
      const { origin, pathPrefix } = parseServerUrl(url, s.overridePath, file, `host."${url}"`);
      endpoints.push({ origin, pathPrefix, overridePath: s.overridePath, capabilities: s.capabilities, tls: s.tls, headers: s.headers, source: file });
    }
  }
  let hasServer = false;
  if (doc.server !== undefined) {
    if (typeof doc.server !== 'string' || doc.server === '') throw invalidArgument(`${file}: "server" must be a non-empty URL string`);
    const { origin, pathPrefix } = parseServerUrl(doc.server, top.overridePath, file, 'server');
    endpoints.push({ origin, pathPrefix, overridePath: top.overridePath, capabilities: top.capabilities, tls: top.tls, headers: top.headers, source: file });
    hasServer = true;
  }
  return { endpoints, hasServer, top };
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') return false;
    throw e;
  }
}

/** The certs.d folder that applies to `host`: its own ("host:port" or containerd's "host_port_"), else _default. */
async function hostDir(configDir: string, host: string): Promise<string | undefined> {
  const candidates = [host];
  const i = host.lastIndexOf(':');
  if (i > 0) candidates.push(`${host.slice(0, i)}_${host.slice(i + 1)}_`);
  candidates.push('_default');
  for (const c of candidates) {
    const p = join(configDir, c);
    if (await isDir(p)) return p;
  }
  return undefined;
}

/**
 * The ordered endpoints to try for a registry host ("docker.io", "127.0.0.1:5000").
 * Plain http is used only where a hosts.toml URL says http, or for an insecure registry.
 */
export async function resolveEndpoints(host: string, opts: EndpointOptions = {}): Promise<RegistryEndpoint[]> {
  const insecure = (opts.insecureRegistries ?? []).includes(host);
  const fallback = (top?: HostSettings): RegistryEndpoint[] => {
    const eps = insecure ? [defaultEndpoint(host, 'https', true), defaultEndpoint(host, 'http')] : [defaultEndpoint(host)];
    // Top-level settings of a hosts.toml without `server` apply to the default upstream.
    if (top !== undefined) {
      for (const ep of eps) {
        ep.capabilities = top.capabilities;
        ep.headers = top.headers;
        ep.tls = { ...top.tls, skipVerify: top.tls.skipVerify || ep.tls.skipVerify };
      }
    }
    return eps;
  };
  if (opts.configDir === undefined) return fallback();
  const dir = await hostDir(opts.configDir, host);
  if (dir === undefined) return fallback();
  const file = join(dir, 'hosts.toml');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return fallback();
    throw invalidArgument(`cannot read ${file}: ${errorMessage(e)}`, e);
  }
  const parsed = parseHostsToml(text, file, dir);
  return parsed.hasServer ? parsed.endpoints : [...parsed.endpoints, ...fallback(parsed.top)];
}

export interface LoadedTls {
  ca?: (string | Buffer)[];
  rejectUnauthorized: boolean;
  cert?: Buffer[];
  key?: Buffer[];
}

/** Reads an endpoint's certificate files into https.Agent options. */
export async function loadTls(tls: EndpointTls): Promise<LoadedTls> {
  const out: LoadedTls = { rejectUnauthorized: !tls.skipVerify };
  const read = async (p: string, what: string): Promise<Buffer> => {
    try {
      return await readFile(p);
    } catch (e) {
      throw invalidArgument(`cannot read ${what} ${p}: ${errorMessage(e)}`, e);
    }
  };
  if (tls.caFiles.length > 0) {
    out.ca = [...rootCertificates];
    for (const f of tls.caFiles) out.ca.push(await read(f, 'CA certificate'));
  }
  if (tls.clientCerts.length > 0) {
    out.cert = [];
    out.key = [];
    for (const c of tls.clientCerts) {
      const cert = await read(c.cert, 'client certificate');
      out.cert.push(cert);
      out.key.push(c.key !== undefined ? await read(c.key, 'client key') : cert);
    }
  }
  return out;
}
