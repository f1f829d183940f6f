// critter.v1.PullProgress/Watch: a critter-only, server-streaming call on the CRI socket that
// follows a pull's per-layer byte counts (the CRI PullImage reply says nothing until the end).
// Messages are JSON rather than protobuf: two small shapes, no codegen, and nothing else
// speaks this service. Other runtimes answer UNIMPLEMENTED and the client shows no bars.
import type { ServiceDefinition } from '@grpc/grpc-js';

export const PULL_PROGRESS_SERVICE = 'critter.v1.PullProgress';

export interface WatchPullRequest {
  /** The reference as given to PullImage; normalised by the server. */
  image: string;
}

export interface LayerProgressMessage {
  digest: string;
  size: number;
  downloaded: number;
  state: 'waiting' | 'downloading' | 'downloaded' | 'exists' | 'unpacking' | 'unpacked';
}

export interface PullProgressMessage {
  image: string;
  /** "waiting": subscribed, no pull of this reference has started yet. */
  phase: 'waiting' | 'resolving' | 'layers' | 'done' | 'failed';
  startedAt: number;
  layers: LayerProgressMessage[];
  imageId?: string;
  error?: string;
}

const MAX_MESSAGE = 1 << 20;

function decode<T>(what: string, check: (v: unknown) => v is T): (buf: Buffer) => T {
  return (buf) => {
    if (buf.length > MAX_MESSAGE) throw new Error(`${what}: message larger than ${MAX_MESSAGE} bytes`);
    const v: unknown = JSON.parse(buf.toString('utf8'));
    if (!check(v)) throw new Error(`${what}: malformed message`);
    return v;
  };
}

const encode = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function isWatchPullRequest(v: unknown): v is WatchPullRequest {
  return isRecord(v) && typeof v.image === 'string';
}

export function isPullProgressMessage(v: unknown): v is PullProgressMessage {
  return (
    isRecord(v) &&
    typeof v.image === 'string' &&
    typeof v.phase === 'string' &&
    typeof v.startedAt === 'number' &&
    Array.isArray(v.layers) &&
    v.layers.every((l) => isRecord(l) && typeof l.digest === 'string' && typeof l.size === 'number' && typeof l.downloaded === 'number' && typeof l.state === 'string')
  );
}

export const pullProgressDefinition: ServiceDefinition = {
  Watch: {
    path: `/${PULL_PROGRESS_SERVICE}/Watch`,
    requestStream: false,
    responseStream: true,
    requestSerialize: encode,
    requestDeserialize: decode('WatchPullRequest', isWatchPullRequest),
    responseSerialize: encode,
    responseDeserialize: decode('PullProgress', isPullProgressMessage),
    originalName: 'watch',
  },
};
