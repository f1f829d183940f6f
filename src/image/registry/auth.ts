// Registry authentication: Basic, and the Docker token flow (a 401 with
// `WWW-Authenticate: Bearer realm=...,service=...,scope=...` sends us to the realm for a token).
// Credentials live only in memory and are never logged: nothing here logs headers or bodies.
import { createHash } from 'node:crypto';
import type http from 'node:http';
import { errorMessage, failedPrecondition, isCritterError, unavailable } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { discard, readBody, sendRequest } from './http.js';

/** The CRI AuthConfig, as a domain type. */
export interface RegistryCredentials {
  username?: string;
  password?: string;
  /** base64("user:password"), as in a docker config.json. */
  auth?: string;
  /** A refresh token from an earlier login (docker's identitytoken). */
  identityToken?: string;
  /** A bearer token to send as is. */
  registryToken?: string;
  serverAddress?: string;
}

export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses a WWW-Authenticate header into its challenges (RFC 7235): scheme, then
 * comma-separated key=value or key="quoted value" parameters.
 */
export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  let i = 0;
  const n = header.length;
  const skipWs = (): void => {
    while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  let current: AuthChallenge | undefined;
  while (i < n) {
    skipWs();
    if (header[i] === ',') {
      i++;
      continue;
    }
    const tokStart = i;
    while (i < n && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(header[i]!)) i++;
    const token = header.slice(tokStart, i);
    if (token === '') {
      i++;
      continue;
    }
    skipWs();
    if (header[i] === '=') {
      i++;
      skipWs();
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) i++;
          value += header[i];
          i++;
        }
        i++;
      } else {
        const vs = i;
        while (i < n && header[i] !== ',' && header[i] !== ' ') i++;
        value = header.slice(vs, i);
      }
      if (current !== undefined) current.params[token.toLowerCase()] = value;
    } else {
      current = { scheme: token.toLowerCase(), params: {} };
      out.push(current);
    }
  }
  return out;
}

/** Username and password from the credentials, decoding `auth` when that is what we have. */
export function basicCredentials(c: RegistryCredentials | undefined): { username: string; password: string } | undefined {
  if (c === undefined) return undefined;
  if (c.username !== undefined && c.username !== '') return { username: c.username, password: c.password ?? '' };
  if (c.auth !== undefined && c.auth !== '') {
    const decoded = Buffer.from(c.auth, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i <= 0) throw failedPrecondition('registry credentials: "auth" is not base64 of "username:password"');
    return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
  }
  return undefined;
}

function basicHeader(u: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${u.username}:${u.password}`).toString('base64')}`;
}

interface CachedAuth {
  header: string;
  expiresAt: number;
}

/**
 * Authorization headers cached per (registry origin, scope, credentials). Keyed on a hash of the
 * credentials too so a cache shared between pulls never hands one user's token to another.
 */
export class TokenCache {
  private readonly entries = new Map<string, CachedAuth>();

  constructor(private readonly now: () => number = Date.now) {}

  get(key: string): string | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (e.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.header;
  }

  set(key: string, header: string, ttlMs: number): void {
    this.entries.set(key, { header, expiresAt: this.now() + ttlMs });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}

const DEFAULT_TOKEN_TTL_S = 60;
const TOKEN_RESPONSE_LIMIT = 1 << 20;
const BASIC_TTL_MS = 60 * 60 * 1000;

export interface AuthorizerOptions {
  credentials?: RegistryCredentials;
  logger: Logger;
  cache?: TokenCache;
  /** Agent for a realm on the registry's own origin (its TLS settings); others use Node's default. */
  agentFor?: (url: URL) => http.Agent | undefined;
  idleTimeoutMs?: number;
}

export class Authorizer {
  private readonly cache: TokenCache;
  private readonly fingerprint: string;

  constructor(private readonly opts: AuthorizerOptions) {
    this.cache = opts.cache ?? new TokenCache();
    const c = opts.credentials ?? {};
    this.fingerprint = createHash('sha256')
      .update(JSON.stringify([c.username ?? '', c.password ?? '', c.auth ?? '', c.identityToken ?? '', c.registryToken ?? '']))
      .digest('hex')
      .slice(0, 16);
  }

  private key(origin: string, scope: string): string {
    return `${origin}|${scope}|${this.fingerprint}`;
  }

  /** The Authorization header to send up front, from an earlier challenge, if any. */
  cached(origin: string, scope: string): string | undefined {
    return this.cache.get(this.key(origin, scope));
  }

  forget(origin: string, scope: string): void {
    this.cache.delete(this.key(origin, scope));
  }

  /**
   * Answers a 401's challenges with a new Authorization header, or throws FailedPrecondition
   * when we cannot (no credentials for Basic, token endpoint refusing us).
   */
  async authorize(origin: string, scope: string, wwwAuthenticate: string | undefined, signal: AbortSignal | undefined): Promise<string> {
    const challenges = parseWwwAuthenticate(wwwAuthenticate ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    const creds = this.opts.credentials;
    if (bearer !== undefined) {
      const header = await this.bearer(bearer, scope, signal);
      this.cache.set(this.key(origin, scope), header.header, header.ttlMs);
      return header.header;
    }
    if (basic !== undefined) {
      const user = basicCredentials(creds);
      if (user === undefined) throw failedPrecondition(`unauthorized: ${origin} requires a username and password and none were given`);
      const header = basicHeader(user);
      this.cache.set(this.key(origin, scope), header, BASIC_TTL_MS);
      return header;
    }
    throw failedPrecondition(`unauthorized: ${origin} answered 401 without a Bearer or Basic challenge`);
  }

  private async bearer(ch: AuthChallenge, scope: string, signal: AbortSignal | undefined): Promise<{ header: string; ttlMs: number }> {
    const creds = this.opts.credentials;
    if (creds?.registryToken !== undefined && creds.registryToken !== '') {
      return { header: `Bearer ${creds.registryToken}`, ttlMs: DEFAULT_TOKEN_TTL_S * 1000 };
    }
    const realm = ch.params.realm;
    if (realm === undefined || realm === '') throw failedPrecondition('unauthorized: the registry sent a Bearer challenge without a realm');
    let realmUrl: URL;
    try {
      realmUrl = new URL(realm);
    } catch (e) {
      throw failedPrecondition(`unauthorized: the registry's token realm ${JSON.stringify(realm)} is not a URL`, e);
    }
    if (realmUrl.protocol !== 'https:' && realmUrl.protocol !== 'http:') {
      throw failedPrecondition(`unauthorized: token realm ${realmUrl.origin} is not http(s)`);
    }
    const service = ch.params.service;
    // The challenge's scope is what this request needs; ours covers a challenge that omits it.
    const scopes = [...new Set([ch.params.scope ?? scope].flatMap((s) => s.split(' ')).filter((s) => s !== ''))];
    const what = `token request to ${realmUrl.origin}${realmUrl.pathname}`;
    const headers: Record<string, string> = { 'user-agent': 'critter' };
    let method = 'GET';
    let body: string | undefined;
    const url = new URL(realmUrl);
    if (creds?.identityToken !== undefined && creds.identityToken !== '') {
      method = 'POST';
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'critter' });
      if (service !== undefined) form.set('service', service);
      if (scopes.length > 0) form.set('scope', scopes.join(' '));
      body = form.toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else {
      if (service !== undefined) url.searchParams.set('service', service);
      for (const s of scopes) url.searchParams.append('scope', s);
      const user = basicCredentials(creds);
      if (user !== undefined) {
        headers.authorization = basicHeader(user);
        url.searchParams.set('account', user.username);
      }
    }
    let res;
    try {
      res = await sendRequest(url, { method, headers, body, signal, agent: this.opts.agentFor?.(url), idleTimeoutMs: this.opts.idleTimeoutMs });
    } catch (e) {
      if (isCritterError(e)) throw e;
      throw unavailable(`${what} failed: ${errorMessage(e)}`, e);
    }
    if (res.status === 401 || res.status === 403) {
      const detail = await registryErrorMessage(res.body);
      throw failedPrecondition(`unauthorized: ${what} was refused (HTTP ${res.status})${detail ? `: ${detail}` : ''}; check the credentials`);
    }
    if (res.status !== 200) {
      const detail = await registryErrorMessage(res.body);
      throw unavailable(`${what} failed with HTTP ${res.status}${detail ? `: ${detail}` : ''}`);
    }
    const raw = await readBody(res.body, TOKEN_RESPONSE_LIMIT, what);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch (e) {
      throw unavailable(`${what}: response is not JSON`, e);
    }
    const obj = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
    const token = typeof obj.token === 'string' && obj.token !== '' ? obj.token : obj.access_token;
    if (typeof token !== 'string' || token === '') throw unavailable(`${what}: response has no token`);
    const expiresIn = typeof obj.expires_in === 'number' && obj.expires_in > 0 ? obj.expires_in : DEFAULT_TOKEN_TTL_S;
    // Refresh a little early so a token does not expire between check and use.
    const ttlMs = Math.max(1, expiresIn - 5) * 1000;
    this.opts.logger.debug({ realm: realmUrl.origin, service, scopes, expiresIn }, 'obtained registry token');
    return { header: `Bearer ${token}`, ttlMs };
  }
}

/** The message(s) of a registry JSON error body ({"errors":[{code,message}]}), best effort. */
export async function registryErrorMessage(body: http.IncomingMessage): Promise<string | undefined> {
  let raw: Buffer;
  try {
    raw = await readBody(body, 64 * 1024, 'error body');
  } catch {
    discard(body);
    return undefined;
  }
  const text = raw.toString('utf8').trim();
  if (text === '') return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null) {
      const o = v as Record<string, unknown>;
      if (Array.isArray(o.errors)) {
        const parts = o.errors.map((e: unknown) => {
          const r = (typeof e === 'object' && e !== null ? e : {}) as Record<string, unknown>;
          const code = typeof r.code === 'string' ? r.code : '';
          const message = typeof r.message === 'string' ? r.message : '';
          return [code, message].filter((x) => x !== '').join(': ');
        });
        const joined = parts.filter((p) => p !== '').join('; ');
        if (joined !== '') return joined;
      }
      for (const k of ['error_description', 'error', 'message', 'details']) {
        if (typeof o[k] === 'string' && o[k] !== '') return o[k];
      }
    }
  } catch {
    // Not JSON: fall through to a short excerpt of the text.
  }
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

