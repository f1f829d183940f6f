// ImageService: one thin file per RPC under image/, assembled here.
import type { ImageService } from '../gen/runtime/v1/api_pb.js';
import type { MethodsOf, ServiceHandlers } from './instrument.js';
import type { ServerDeps } from './deps.js';
import { imageFsInfo } from './image/image-fs-info.js';
import { imageStatus } from './image/image-status.js';
import { listImages } from './image/list-images.js';
import { pullImage } from './image/pull-image.js';
import { removeImage } from './image/remove-image.js';

export function imageHandlers(deps: ServerDeps): ServiceHandlers<MethodsOf<typeof ImageService>> {
  return {
    listImages: listImages(deps),
    imageStatus: imageStatus(deps),
    pullImage: pullImage(deps),
    removeImage: removeImage(deps),
    imageFsInfo: imageFsInfo(deps),
  };
}
