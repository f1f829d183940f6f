// When to try a registry request again, and how long to wait first.
import { errnoCode } from '../../util/errors.js';
import { abortError } from './http.js';

export interface RetryPolicy {
  /** Total tries per endpoint, including the first. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 250, maxDelayMs: 4_000 };

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'EHOSTDOWN',
]);

/** Network failures worth another try; anything else (TLS, DNS NXDOMAIN) fails at once. */
export function isTransientNetworkError(e: unknown): boolean {
  const code = errnoCode(e);
  if (code !== undefined) return TRANSIENT_CODES.has(code);
  return e instanceof Error && /socket hang up/i.test(e.message);
}

/** 429 and server errors, except those that say the request itself is wrong. */
export function isTransientStatus(status: number): boolean {
  return status === 429 || status === 408 || (status >= 500 && status !== 501 && status !== 505);
}

/** Exponential back-off with jitter; a Retry-After (seconds) can lengthen it, within bounds. */
export function backoffDelay(attempt: number, policy: RetryPolicy, retryAfter?: string): number {
  const exp = Math.min(policy.baseDelayMs * 2 ** attempt, policy.maxDelayMs);
  const jittered = exp / 2 + Math.random() * (exp / 2);
  const secs = retryAfter === undefined ? NaN : Number(retryAfter);
  if (Number.isFinite(secs) && secs >= 0) return Math.min(Math.max(secs * 1000, jittered), policy.maxDelayMs);
  return jittered;
}

export function sleep(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal, what));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(t);
      reject(abortError(signal as AbortSignal, what));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
