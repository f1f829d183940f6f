// Talks to one registry for one pull: resolves a reference to a manifest, picks the platform,
// and streams blobs, trying the configured endpoints (mirrors, then upstream) in order.
//
// Error kinds (CritterError) and what they mean to the caller:
//   NotFound           - every endpoint said the manifest/blob does not exist (HTTP 404), or no
//                        manifest in the index fits this platform
//   FailedPrecondition - authentication failed (401/403 after answering the challenge),
//                        unsupported content (schema 1, foreign layers, unknown media types),
//                        or content that does not match its digest
//   Unavailable        - network failures, 429 and 5xx once retries are spent, other odd statuses
//   Cancelled / DeadlineExceeded - the AbortSignal fired (PullImage cancelled / its deadline)
//   InvalidArgument    - bad input from our caller (e.g. a malformed descriptor digest)
import http from 'node:http';
import https from 'node:https';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import {
  CritterError,
  errorMessage,
  failedPrecondition,
  invalidArgument,
  isCritterError,
  unavailable,
} from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { digestProblem, type ParsedReference } from '../reference.js';
import { Authorizer, registryErrorMessage, type RegistryCredentials, type TokenCache } from './auth.js';
import { loadTls, type Capability, type RegistryEndpoint } from './hosts.js';
import { abortError, discard, headerValue, readBody, sendRequest, type HttpResponse } from './http.js';
import {
  detectManifestMediaType,
  parseIndex,
  parseManifest,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
} from './manifest.js';
import { MANIFEST_ACCEPT, isIndexMediaType } from './media-types.js';
import { hostPlatform, selectPlatformIndex, type Platform } from './platform.js';
import { DEFAULT_RETRY, backoffDelay, isTransientNetworkError, isTransientStatus, sleep, type RetryPolicy } from './retry.js';
import { sha256Digest } from './verify.js';

/** containerd refuses manifests above a few MiB too; a larger one is not a manifest. */
export const MANIFEST_SIZE_LIMIT = 4 * 1024 * 1024;
const MAX_REDIRECTS = 5;

export interface RegistryClientOptions {
  /** Ordered endpoints for the reference's registry host (hosts.ts resolveEndpoints). */
  endpoints: RegistryEndpoint[];
  credentials?: RegistryCredentials;
  logger: Logger;
  /** Aborts everything this client does (PullImage's deadline). */
  signal?: AbortSignal;
  /** Defaults to linux on this machine's architecture. */
  platform?: Platform;
  retry?: Partial<RetryPolicy>;
  /** Share between clients to reuse tokens across pulls; keyed by credentials too. */
  tokenCache?: TokenCache;
  idleTimeoutMs?: number;
}

export interface ResolvedManifest {
  digest: string;
  mediaType: string;
  size: number;
  bytes: Uint8Array;
}

export interface FetchedManifest extends ImageManifest {
  /** What the reference itself resolved to (an index or this manifest): the image's repo digest. */
  target: ResolvedManifest;
  /** The index the manifest was selected from, if the reference named one. */
  index?: ImageIndex;
}

export interface FetchBlobOptions {
  signal?: AbortSignal;
  /** Resume from this byte offset (Range request); bytes before it are not returned. */
  offset?: number;
}

interface PreparedEndpoint {
  ep: RegistryEndpoint;
  agent: http.Agent;
}

export class RegistryClient {
  private readonly retry: RetryPolicy;
  private readonly authorizer: Authorizer;
  private readonly platform: Platform;
  private prepared: Promise<PreparedEndpoint[]> | undefined;
  private readonly agents: http.Agent[] = [];
  private preparedSync: PreparedEndpoint[] = [];

  constructor(private readonly opts: RegistryClientOptions) {
    this.retry = { ...DEFAULT_RETRY, ...(opts.retry ?? {}) };
    this.platform = opts.platform ?? hostPlatform();
    this.authorizer = new Authorizer({
      credentials: opts.credentials,
      logger: opts.logger,
      cache: opts.tokenCache,
      idleTimeoutMs: opts.idleTimeoutMs,
      agentFor: (url) => this.agentForOrigin(url.origin),
    });
  }

  /** Frees keep-alive sockets. */
  close(): void {
    for (const a of this.agents) a.destroy();
  }

  private endpoints(): Promise<PreparedEndpoint[]> {
    this.prepared ??= Promise.all(
      this.opts.endpoints.map(async (ep) => {
        let agent: http.Agent;
        if (ep.origin.startsWith('https:')) {
          agent = new https.Agent({ keepAlive: true, ...(await loadTls(ep.tls)) });
        } else {
          agent = new http.Agent({ keepAlive: true });
        }
        this.agents.push(agent);
        return { ep, agent };
      }),
    ).then((all) => {
      this.preparedSync = all;
      return all;
    });
    return this.prepared;
  }

  /** A token realm on an endpoint's own origin gets that endpoint's TLS settings. */
  private agentForOrigin(origin: string): http.Agent | undefined {
    return this.preparedSync.find((p) => p.ep.origin === origin)?.agent;
  }

  private signalWith(extra?: AbortSignal): AbortSignal | undefined {
    const s = [this.opts.signal, extra].filter((x): x is AbortSignal => x !== undefined);
    if (s.length === 0) return undefined;
    if (s.length === 1) return s[0];
    return AbortSignal.any(s);
  }

  /** Resolves a tag or digest to the manifest or index it names, verifying the digest. */
  async resolve(ref: ParsedReference): Promise<ResolvedManifest> {
    const reference = ref.digest ?? ref.tag ?? 'latest';
    // Tags need "resolve"; content addressed by digest can come from any "pull" endpoint.
    const capability: Capability = ref.digest !== undefined ? 'pull' : 'resolve';
    return this.getManifest(ref.path, reference, ref.digest, undefined, capability, this.signalWith());
  }

  private async getManifest(
    repo: string,
    reference: string,
    expectedDigest: string | undefined,
    expectedSize: number | undefined,
    capability: Capability,
    signal: AbortSignal | undefined,
  ): Promise<ResolvedManifest> {
    const what = expectedDigest !== undefined ? `manifest ${repo}@${expectedDigest}` : `manifest ${repo}:${reference}`;
    return this.withEndpoints(capability, what, signal, async (pe) => {
      const res = await this.request(pe, repo, `manifests/${reference}`, { accept: MANIFEST_ACCEPT }, what, signal);
      const bytes = await readBody(res.body, MANIFEST_SIZE_LIMIT, `${what} from ${pe.ep.origin}`);
      const where = `${what} from ${pe.ep.origin}`;
      const mediaType = detectManifestMediaType(headerValue(res.headers, 'content-type'), bytes, where);
      const digest = sha256Digest(bytes);
      if (expectedDigest !== undefined && digest !== expectedDigest) {
        throw failedPrecondition(`${where}: content digest ${digest} does not match the requested ${expectedDigest}`);
      }
      if (expectedSize !== undefined && bytes.length !== expectedSize) {
        throw failedPrecondition(`${where}: manifest is ${bytes.length} bytes, its descriptor says ${expectedSize}`);
      }
      const served = headerValue(res.headers, 'docker-content-digest');
      if (expectedDigest === undefined && served !== undefined && served.startsWith('sha256:') && served !== digest) {
        throw failedPrecondition(`${where}: registry says the digest is ${served} but the content hashes to ${digest}`);
      }
      return { digest, mediaType, size: bytes.length, bytes };
    });
  }

  /** Picks the manifest for `platform` (default: this machine) from an index. */
  selectPlatform(index: ImageIndex, platform: Platform = this.platform): Descriptor {
    const i = selectPlatformIndex(index.manifests, platform);
    return index.manifests[i]!;
  }

  /** Resolves the reference and returns the platform's image manifest, validated. */
  async fetchManifest(ref: ParsedReference): Promise<FetchedManifest> {
    const target = await this.resolve(ref);
    const where = `${ref.name}@${target.digest}`;
    if (!isIndexMediaType(target.mediaType)) {
      return { ...parseManifest(target.bytes, target.mediaType, target.digest, where), target };
    }
    const index = parseIndex(target.bytes, target.mediaType, where);
    const desc = this.selectPlatform(index);
    const m = await this.getManifest(ref.path, desc.digest, desc.digest, desc.size, 'pull', this.signalWith());
    if (isIndexMediaType(m.mediaType)) {
      throw failedPrecondition(`${ref.name}@${desc.digest}: nested image indexes are not supported`);
    }
    return { ...parseManifest(m.bytes, m.mediaType, m.digest, `${ref.name}@${m.digest}`), target, index };
  }

  /**
   * Streams a blob. Retries and endpoint fallback happen until the body starts; after that a
   * failure surfaces as a stream error (resume with `offset`). The caller verifies the digest.
   */
  async fetchBlob(repo: string, desc: Descriptor, opts: FetchBlobOptions = {}): Promise<Readable> {
    const problem = digestProblem(desc.digest);
    if (problem !== undefined) throw invalidArgument(problem);
    const offset = opts.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0) throw invalidArgument(`invalid blob offset ${offset}`);
    const signal = this.signalWith(opts.signal);
    const what = `blob ${repo}@${desc.digest}`;
    return this.withEndpoints('pull', what, signal, async (pe) => {
      const headers: Record<string, string> = {};
      if (offset > 0) headers.range = `bytes=${offset}-`;
      const res = await this.request(pe, repo, `blobs/${desc.digest}`, { headers, allowPartial: offset > 0 }, what, signal);
      const skip = offset > 0 && res.status === 200 ? offset : 0;
      return wrapBody(res, skip, signal, `${what} from ${res.url.origin}`);
    });
  }

  /** Runs `fn` on each endpoint that has the capability until one succeeds. */
  private async withEndpoints<T>(
    capability: Capability,
    what: string,
    signal: AbortSignal | undefined,
    fn: (pe: PreparedEndpoint) => Promise<T>,
  ): Promise<T> {
    const all = await this.endpoints();
    const usable = all.filter((p) => p.ep.capabilities.includes(capability));
    if (usable.length === 0) throw failedPrecondition(`${what}: no configured endpoint has the "${capability}" capability`);
    const errors: CritterError[] = [];
    for (const pe of usable) {
      try {
        return await fn(pe);
      } catch (e) {
        if (signal?.aborted) throw abortError(signal, what);
        const err = isCritterError(e) ? e : unavailable(`${what} from ${pe.ep.origin}: ${errorMessage(e)}`, e);
        if (err.kind === 'Cancelled' || err.kind === 'DeadlineExceeded') throw err;
        this.opts.logger.debug({ endpoint: pe.ep.origin, err: err.message }, 'registry endpoint failed, trying the next');
        errors.push(err);
      }
    }
    // As containerd does: report the first real failure over "not found" from a mirror.
    const chosen = errors.find((e) => e.kind !== 'NotFound') ?? errors[errors.length - 1]!;
    if (errors.length === 1) throw chosen;
    const others = errors.filter((e) => e !== chosen).map((e) => e.message);
    throw new CritterError(chosen.kind, `${chosen.message} (other endpoints: ${others.join('; ')})`, { cause: chosen });
  }

  /** One logical request on one endpoint: auth, redirects, retries; returns a 2xx response. */
  private async request(
    pe: PreparedEndpoint,
    repo: string,
    suffix: string,
    init: { accept?: string; headers?: Record<string, string>; allowPartial?: boolean },
    what: string,
    signal: AbortSignal | undefined,
  ): Promise<HttpResponse> {
    const url = new URL(`${pe.ep.origin}${pe.ep.pathPrefix}/${repo}/${suffix}`);
    const scope = `repository:${repo}:pull`;
    const where = `${what} from ${pe.ep.origin}`;
    for (let attempt = 0; ; attempt++) {
      const last = attempt + 1 >= this.retry.attempts;
      let res: HttpResponse;
      try {
        res = await this.sendAuthorized(pe, url, scope, init, signal);
      } catch (e) {
        if (signal?.aborted) throw abortError(signal, what);
        if (isCritterError(e)) throw e;
        if (!last && isTransientNetworkError(e)) {
          this.opts.logger.debug({ endpoint: pe.ep.origin, attempt, err: errorMessage(e) }, 'registry request failed, retrying');
          await sleep(backoffDelay(attempt, this.retry), signal, what);
          continue;
        }
        throw unavailable(`${where}: ${errorMessage(e)}`, e);
      }
      if (res.status === 200 || (init.allowPartial === true && res.status === 206)) return res;
      if (!last && isTransientStatus(res.status)) {
        discard(res.body);
        this.opts.logger.debug({ endpoint: pe.ep.origin, attempt, status: res.status }, 'registry answered a transient error, retrying');
        await sleep(backoffDelay(attempt, this.retry, headerValue(res.headers, 'retry-after')), signal, what);
        continue;
      }
      throw await statusError(res, where, repo);
    }
  }

  private async sendAuthorized(
    pe: PreparedEndpoint,
    url: URL,
    scope: string,
    init: { accept?: string; headers?: Record<string, string> },
    signal: AbortSignal | undefined,
  ): Promise<HttpResponse> {
    const base: Record<string, string | string[]> = { 'user-agent': 'critter', ...pe.ep.headers, ...(init.headers ?? {}) };
    if (init.accept !== undefined) base.accept = init.accept;
    const origin = pe.ep.origin;
    const cached = this.authorizer.cached(origin, scope);
    let res = await this.followRedirects(pe, url, cached === undefined ? base : { ...base, authorization: cached }, signal);
    if (res.status !== 401) return res;
    const challenge = headerValue(res.headers, 'www-authenticate');
    discard(res.body);
    if (cached !== undefined) this.authorizer.forget(origin, scope);
    const header = await this.authorizer.authorize(origin, scope, challenge, signal);
    res = await this.followRedirects(pe, url, { ...base, authorization: header }, signal);
    if (res.status === 401) {
      this.authorizer.forget(origin, scope);
      const detail = await registryErrorMessage(res.body);
      throw failedPrecondition(`unauthorized: ${origin} rejected our credentials for ${scope}${detail ? `: ${detail}` : ''}`);
    }
    return res;
  }

  /**
   * Follows 3xx (blob storage often redirects to a signed URL). Registry headers, above all
   * Authorization, only ever go to the endpoint's own origin.
   */
  private async followRedirects(
    pe: PreparedEndpoint,
    start: URL,
    headers: Record<string, string | string[]>,
    signal: AbortSignal | undefined,
  ): Promise<HttpResponse> {
    let url = start;
    let method = 'GET';
    for (let hop = 0; ; hop++) {
      const sameOrigin = url.origin === pe.ep.origin;
      const h = sameOrigin ? headers : pickHeaders(headers, ['user-agent', 'accept', 'range']);
      const agent = sameOrigin ? pe.agent : undefined;
      const res = await sendRequest(url, { method, headers: h, signal, agent, idleTimeoutMs: this.opts.idleTimeoutMs });
      const location = headerValue(res.headers, 'location');
      if (![301, 302, 303, 307, 308].includes(res.status) || location === undefined) return res;
      discard(res.body);
      if (hop >= MAX_REDIRECTS) throw unavailable(`${start.origin}${start.pathname}: more than ${MAX_REDIRECTS} redirects`);
      const next = new URL(location, url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') throw unavailable(`redirect to unsupported URL scheme ${next.protocol}`);
      if (res.status === 303) method = 'GET';
      this.opts.logger.debug({ from: url.origin, to: next.origin }, 'following registry redirect');
      url = next;
    }
  }
}

function pickHeaders(h: Record<string, string | string[]>, keep: string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const k of keep) if (h[k] !== undefined) out[k] = h[k];
  return out;
}

async function statusError(res: HttpResponse, where: string, repo: string): Promise<CritterError> {
  const detail = await registryErrorMessage(res.body);
  const msg = `${where}: HTTP ${res.status}${detail ? `: ${detail}` : ''}`;
  if (res.status === 404) return new CritterError('NotFound', `${msg} (repository ${repo})`);
  if (res.status === 401 || res.status === 403) return new CritterError('FailedPrecondition', `unauthorized: ${msg}`);
  if (isTransientStatus(res.status)) return new CritterError('Unavailable', msg);
  return new CritterError('Unavailable', `${msg} (unexpected status)`);
}

/**
 * Hands the body on through a pass-through so errors become CritterErrors, an abort destroys
 * it at once, and (when the server ignored our Range) the already-held prefix is dropped.
 */
function wrapBody(res: HttpResponse, skip: number, signal: AbortSignal | undefined, what: string): Readable {
  let toSkip = skip;
  const out = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
      if (toSkip > 0) {
        if (chunk.length <= toSkip) {
          toSkip -= chunk.length;
          cb();
          return;
        }
        chunk = chunk.subarray(toSkip);
        toSkip = 0;
      }
      cb(null, chunk);
    },
  });
  const body = res.body;
  const onAbort = (): void => {
    out.destroy(abortError(signal as AbortSignal, what));
    body.destroy();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  body.on('error', (e) => {
    out.destroy(isCritterError(e) ? e : unavailable(`${what}: download interrupted: ${errorMessage(e)}`, e));
  });
  body.on('end', () => {
    if (!body.complete) out.destroy(unavailable(`${what}: connection closed before the body was complete`));
  });
  out.on('close', () => {
    signal?.removeEventListener('abort', onAbort);
    if (!body.destroyed) body.destroy();
  });
  body.pipe(out);
  return out;
}
