import type { RemoveImageRequest } from '../../gen/runtime/v1/api_pb.js';
import type { ServerDeps } from '../deps.js';
import { requirePresent, requireString } from '../validate.js';

// Idempotent (CRI): removing an image that is not there succeeds.
export const removeImage = (deps: ServerDeps) => async (req: RemoveImageRequest) => {
  await deps.images.remove(requireString('image.image', requirePresent('image', req.image).image));
  return {};
};
