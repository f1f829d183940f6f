// An http server on 127.0.0.1 in front of a test registry, for what the bare registry cannot
// do: demand Bearer tokens issued at its own /token realm (or Basic credentials), fail the
// first requests (retries), redirect blob downloads to a second server (redirects), and
// serve the API under another root (mirrors with override_path).
import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const TOKEN_SERVICE = 'critter-test-registry';

export interface RegistryProxyOptions {
  /** Base URL of the registry behind, e.g. TestRegistry.url. */
  upstream: string;
  /** Require Bearer tokens from this proxy's /token realm; what the realm accepts. */
  token?: {
    username: string;
    password: string;
    /** Accepted as grant_type=refresh_token (CRI identity_token). */
    refreshToken?: string;
    /** Accepted directly as a Bearer token for any scope (CRI registry_token). */
    registryToken?: string;
  };
  /** Require these credentials as Basic auth on every API request. */
  basic?: { username: string; password: string };
  /** The first `count` API requests fail: connection reset, 503 or 429. */
  flaky?: { count: number; mode: 'reset' | '503' | '429' };
  /** Blob GETs answer 307 to a second server (another port) serving the same bytes. */
  redirectBlobs?: boolean;
  /** Serve the API under this root instead of /v2 (e.g. "/v2/mirror"). */
  apiRoot?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** Authorization as received; tests assert where it went, nothing is logged. */
  authorization?: string;
}

export interface TestRegistryProxy {
  host: string;
  url: string;
  /** Every request the proxy answered, /token included, in order. */
  requests: RecordedRequest[];
  /** Requests that reached the redirect target (only with redirectBlobs). */
  redirectTargetRequests: RecordedRequest[];
  /** Tokens issued at /token so far. */
  tokensIssued(): number;
  stop(): Promise<void>;
}

interface Grant {
  scopes: Set<string>;
  expires: number;
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Forwards a request to the upstream registry and streams the answer back. */
function forward(upstream: string, req: IncomingMessage, res: ServerResponse, path: string): void {
  const headers = { ...req.headers };
  delete headers.authorization;
  delete headers.host;
  const up = http.request(new URL(path, upstream), { method: req.method, headers }, (ur) => {
    res.writeHead(ur.statusCode ?? 502, ur.headers);
    ur.pipe(res);
  });
  up.on('error', () => {
    if (!res.headersSent) sendJson(res, 502, { errors: [{ code: 'UNKNOWN', message: 'upstream failed' }] });
    else res.destroy();
  });
  req.pipe(up);
}

/** "repository:NAME:ACTION" needed for an API path, or undefined for the /v2/ base check. */
function requiredScope(apiPath: string, method: string): string | undefined {
  const m = /^\/(.+)\/(manifests|blobs|tags)\/.*$/.exec(apiPath);
  if (m === null) return undefined;
  return `repository:${m[1]}:${method === 'GET' || method === 'HEAD' ? 'pull' : 'push'}`;
}

function scopeGranted(grant: Grant, needed: string): boolean {
  const [type, name, action] = needed.split(':');
  for (const s of grant.scopes) {
    const parts = s.split(':');
    if (parts.length !== 3 || parts[0] !== type || parts[1] !== name) continue;
    if (parts[2]!.split(',').includes(action!)) return true;
  }
  return false;
}

export async function startRegistryProxy(opts: RegistryProxyOptions): Promise<TestRegistryProxy> {
  const apiRoot = (opts.apiRoot ?? '/v2').replace(/\/+$/, '');
  const requests: RecordedRequest[] = [];
  const redirectTargetRequests: RecordedRequest[] = [];
  const grants = new Map<string, Grant>();
  let issued = 0;
  let flakyLeft = opts.flaky?.count ?? 0;
  let port = 0;
  let targetPort = 0;

  const record = (list: RecordedRequest[], req: IncomingMessage): void => {
    const r: RecordedRequest = { method: req.method ?? 'GET', path: req.url ?? '/' };
    if (req.headers.authorization !== undefined) r.authorization = req.headers.authorization;
    list.push(r);
  };

  const issue = (res: ServerResponse, scopes: string[]): void => {
    const token = randomBytes(16).toString('hex');
    grants.set(token, { scopes: new Set(scopes), expires: Date.now() + 300_000 });
    issued++;
    sendJson(res, 200, { token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() });
  };

  const handleToken = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const t = opts.token!;
    const denied = (msg: string): void => sendJson(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: msg }] });
    if (req.method === 'POST') {
      const form = new URLSearchParams(await readAll(req));
      if (form.get('service') !== TOKEN_SERVICE) return denied('wrong service');
      const scopes = (form.get('scope') ?? '').split(' ').filter((s) => s !== '');
      if (form.get('grant_type') === 'refresh_token') {
        if (t.refreshToken === undefined || form.get('refresh_token') !== t.refreshToken) return denied('invalid refresh token');
        return issue(res, scopes);
      }
      if (form.get('grant_type') === 'password') {
        if (form.get('username') !== t.username || form.get('password') !== t.password) return denied('invalid username or password');
        return issue(res, scopes);
      }
      return denied('unsupported grant_type');
    }
    if (url.searchParams.get('service') !== TOKEN_SERVICE) return denied('wrong service');
    const expected = `Basic ${Buffer.from(`${t.username}:${t.password}`).toString('base64')}`;
    if (req.headers.authorization !== expected) return denied('invalid username or password');
    const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter((s) => s !== '');
    issue(res, scopes);
  };

  const challenge = (res: ServerResponse, scope: string | undefined): void => {
    const params = [`realm="http://127.0.0.1:${port}/token"`, `service="${TOKEN_SERVICE}"`];
    if (scope !== undefined) params.push(`scope="${scope}"`);
    sendJson(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }, {
      'www-authenticate': `Bearer ${params.join(',')}`,
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    record(requests, req);
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const method = req.method ?? 'GET';
    if (url.pathname === '/token' && opts.token !== undefined) return handleToken(req, res, url);
    if (url.pathname !== apiRoot && !url.pathname.startsWith(`${apiRoot}/`)) {
      return sendJson(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'not an API path' }] });
    }
    if (flakyLeft > 0) {
      flakyLeft--;
      const mode = opts.flaky!.mode;
      if (mode === 'reset') {
        req.socket.destroy();
        return;
      }
      return sendJson(res, mode === '503' ? 503 : 429, { errors: [{ code: 'UNAVAILABLE', message: 'try again' }] }, { 'retry-after': '0' });
    }
    const apiPath = url.pathname.slice(apiRoot.length) || '/';
    const scope = requiredScope(apiPath, method);
    if (opts.basic !== undefined) {
      const expected = `Basic ${Buffer.from(`${opts.basic.username}:${opts.basic.password}`).toString('base64')}`;
      if (req.headers.authorization !== expected) {
        return sendJson(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }, {
          'www-authenticate': 'Basic realm="critter-test"',
        });
      }
    }
    if (opts.token !== undefined) {
      const auth = req.headers.authorization ?? '';
      const token = auth.startsWith('Bearer ') ? auth.slice(7) : undefined;
      const direct = token !== undefined && opts.token.registryToken !== undefined && token === opts.token.registryToken;
      if (!direct) {
        const grant = token === undefined ? undefined : grants.get(token);
        if (grant === undefined || grant.expires < Date.now() || (scope !== undefined && !scopeGranted(grant, scope))) {
          return challenge(res, scope);
        }
      }
    }
    const upstreamPath = `/v2${apiPath}${url.search}`;
    if (opts.redirectBlobs === true && method === 'GET' && /\/blobs\/sha256:[a-f0-9]{64}$/.test(apiPath)) {
      res.writeHead(307, { location: `http://127.0.0.1:${targetPort}/storage${apiPath}?signature=test` });
      res.end();
      return;
    }
    forward(opts.upstream, req, res, upstreamPath);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { errors: [{ code: 'UNKNOWN', message: 'proxy error' }] });
    });
  });
  port = await listen(server);

  let target: http.Server | undefined;
  if (opts.redirectBlobs === true) {
    // Stands in for object storage: plain GETs of /storage/<name>/blobs/<digest>, no auth.
    target = http.createServer((req, res) => {
      record(redirectTargetRequests, req);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (!url.pathname.startsWith('/storage/')) return sendJson(res, 404, {});
      forward(opts.upstream, req, res, `/v2/${url.pathname.slice('/storage/'.length)}`);
    });
    targetPort = await listen(target);
  }

  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    requests,
    redirectTargetRequests,
    tokensIssued: () => issued,
    async stop(): Promise<void> {
      await close(server);
      if (target !== undefined) await close(target);
    },
  };
}
