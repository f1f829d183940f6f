import type { ListImagesRequest } from '../../gen/runtime/v1/api_pb.js';
import type { ServerDeps } from '../deps.js';
import { toCriImage } from './convert.js';

// filter.image.image, when set, takes any form ImageStatus accepts and lists that image only.
export const listImages = (deps: ServerDeps) => async (req: ListImagesRequest) => ({
  images: deps.images.list(req.filter?.image?.image || undefined).map(toCriImage),
});
