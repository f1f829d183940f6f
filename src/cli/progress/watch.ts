// The client end of critter.v1.PullProgress/Watch (src/server/image/progress-protocol.ts).
// Against a runtime without it (containerd, CRI-O) the call fails at once with UNIMPLEMENTED,
// and the caller falls back to a spinner.
import { Metadata, type Client } from '@grpc/grpc-js';
import { pullProgressDefinition, type PullProgressMessage, type WatchPullRequest } from '../../server/image/progress-protocol.js';

export interface PullWatch {
  /** True once the server confirmed the subscription; false when it has no such service. */
  ready: Promise<boolean>;
  cancel(): void;
}

const READY_TIMEOUT_MS = 2000;

export function watchPull(channel: Client, image: string, onProgress: (p: PullProgressMessage) => void): PullWatch {
  const def = pullProgressDefinition.Watch!;
  const call = channel.makeServerStreamRequest<WatchPullRequest, PullProgressMessage>(
    def.path,
    def.requestSerialize as (v: WatchPullRequest) => Buffer,
    def.responseDeserialize as (b: Buffer) => PullProgressMessage,
    { image },
    new Metadata(),
    {},
  );
  let settle: (ok: boolean) => void = () => undefined;
  const ready = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS);
    settle = (ok) => {
      clearTimeout(timer);
      resolve(ok);
    };
  });
  call.on('data', (p: PullProgressMessage) => {
    settle(true);
    if (p.phase !== 'waiting') onProgress(p);
  });
  // UNIMPLEMENTED, CANCELLED at the end, or a server going away: progress is best effort.
  call.on('error', () => settle(false));
  call.on('end', () => settle(false));
  return { ready, cancel: () => call.cancel() };
}
