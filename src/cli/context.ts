// What every client command gets: connected CRI clients and the call options from global flags.
import { status as Code, type ServiceError } from '@grpc/grpc-js';
import { makeCriClients, type CriClients } from '../server/service-definitions.js';
import { resolveEndpoint } from './endpoint.js';

export interface GlobalOptions {
  runtimeEndpoint?: string;
  imageEndpoint?: string;
  timeout: string;
  debug?: boolean;
}

export interface CliContext {
  clients: CriClients;
  /** Image calls may use another socket (crictl's --image-endpoint). */
  images: CriClients;
  endpoint: string;
  /** Per-call deadline in ms. */
  timeoutMs: number;
  deadline(): Date;
  close(): void;
}

export function parseTimeout(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(s.trim());
  if (!m) throw new Error(`bad --timeout "${s}": use e.g. 10s, 500ms, 2m`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return unit === 'ms' ? n : unit === 'm' ? n * 60_000 : n * 1000;
}

export async function openContext(g: GlobalOptions): Promise<CliContext> {
  const endpoint = resolveEndpoint(g.runtimeEndpoint);
  const imageEndpoint = g.imageEndpoint !== undefined ? resolveEndpoint(g.imageEndpoint) : endpoint;
  const timeoutMs = parseTimeout(g.timeout);
  const clients = makeCriClients(endpoint);
  const images = imageEndpoint === endpoint ? clients : makeCriClients(imageEndpoint);
  try {
    await clients.ready(timeoutMs);
  } catch {
    clients.close();
    if (images !== clients) images.close();
    throw new Error(`cannot connect to the CRI at ${endpoint} within ${timeoutMs} ms: is the runtime running?`);
  }
  return {
    clients,
    images,
    endpoint,
    timeoutMs,
    deadline: () => new Date(Date.now() + timeoutMs),
    close() {
      clients.close();
      if (images !== clients) images.close();
    },
  };
}

/** A one-line message for a failed call: the status name and the server's words. */
export function describeCallError(e: unknown): string {
  if (typeof e === 'object' && e !== null && 'code' in e && 'details' in e) {
    const se = e as ServiceError;
    return `${Code[se.code] ?? se.code}: ${se.details}`;
  }
  return e instanceof Error ? e.message : String(e);
}
