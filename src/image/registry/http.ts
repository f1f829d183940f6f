// A thin promise wrapper over node:http/https: one request, no redirects, no retries, the
// response body left as a stream. Per-endpoint TLS needs its own https.Agent, which fetch lacks.
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { CritterError, cancelled, deadlineExceeded, unavailable } from '../../util/errors.js';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
  url: URL;
}

export interface HttpRequestInit {
  method?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  signal?: AbortSignal;
  agent?: http.Agent;
  /** Socket inactivity limit; a stalled registry fails instead of hanging a pull. */
  idleTimeoutMs?: number;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/** The CritterError for an aborted operation: DeadlineExceeded for timeouts, else Cancelled. */
export function abortError(signal: AbortSignal, what: string): CritterError {
  const reason: unknown = signal.reason;
  if (reason instanceof CritterError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') return deadlineExceeded(`${what}: deadline exceeded`, reason);
  return cancelled(`${what}: cancelled`, reason);
}

export function sendRequest(url: URL, init: HttpRequestInit = {}): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const signal = init.signal;
    if (signal?.aborted) {
      reject(abortError(signal, `${init.method ?? 'GET'} ${url.origin}`));
      return;
    }
    const mod = url.protocol === 'https:' ? https : http;
    const headers: Record<string, string | string[]> = { ...(init.headers ?? {}) };
    if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
    const req = mod.request(url, { method: init.method ?? 'GET', headers, agent: init.agent });
    const onAbort = (): void => {
      req.destroy(abortError(signal as AbortSignal, `${init.method ?? 'GET'} ${url.origin}${url.pathname}`));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = (): void => signal?.removeEventListener('abort', onAbort);
    req.setTimeout(init.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, () => {
      const err = Object.assign(new Error(`no data from ${url.origin} for ${init.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS} ms`), { code: 'ETIMEDOUT' });
      req.destroy(err);
    });
    req.on('error', (e) => {
      cleanup();
      reject(e);
    });
    req.on('response', (res) => {
      // The abort listener stays until the body ends so an abort mid-body destroys it too.
      res.on('close', cleanup);
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, url });
    });
    req.end(init.body);
  });
}

/** Reads a whole (small) body, refusing more than `limit` bytes. */
export async function readBody(res: IncomingMessage, limit: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    res.destroy();
    throw unavailable(`${what}: response of ${declared} bytes exceeds the ${limit} byte limit`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res) {
    const b = chunk as Buffer;
    total += b.length;
    if (total > limit) {
      res.destroy();
      throw unavailable(`${what}: response exceeds the ${limit} byte limit`);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** Drains and drops a body we do not need, so keep-alive sockets can be reused. */
export function discard(res: IncomingMessage): void {
  res.on('error', () => undefined);
  res.resume();
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
