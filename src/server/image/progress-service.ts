// The server side of critter.v1.PullProgress/Watch (see progress-protocol.ts): streams the
// progress of the next or current pull of a reference and ends with that pull.
import type { ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { ImageService } from '../../image/image-service.js';
import type { Logger } from '../../util/log.js';
import { toServiceError } from '../status.js';
import type { PullProgressMessage, WatchPullRequest } from './progress-protocol.js';

export function pullProgressService(images: ImageService, log: Logger): UntypedServiceImplementation {
  return {
    Watch: (call: ServerWritableStream<WatchPullRequest, PullProgressMessage>) => {
      const image = call.request.image;
      let unsubscribe: (() => void) | undefined;
      let ended = false;
      const end = (): void => {
        if (ended) return;
        ended = true;
        unsubscribe?.();
        call.end();
      };
      call.on('cancelled', end);
      try {
        let heard = false;
        unsubscribe = images.watchPull(image, (p) => {
          heard = true;
          if (ended) return;
          call.write(p);
          if (p.phase === 'done' || p.phase === 'failed') end();
        });
        // Tell the client it is subscribed, so it can start PullImage without missing events.
        if (!heard) call.write({ image, phase: 'waiting', startedAt: Date.now(), layers: [] });
      } catch (e) {
        ended = true;
        log.debug({ image, err: toServiceError(e).details }, 'pull progress watch refused');
        call.emit('error', toServiceError(e));
      }
    },
  };
}
