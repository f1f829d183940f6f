// ImageService: one thin file per RPC under image/, assembled here.
import type { ImageService } from '../gen/runtime/v1/api_pb.js';
import type { MethodsOf, ServiceHandlers } from './instrument.js';
import type { ServerDeps } from './deps.js';

export function imageHandlers(_deps: ServerDeps): ServiceHandlers<MethodsOf<typeof ImageService>> {
  return {};
}
