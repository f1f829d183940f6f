import type { ImageStatusRequest } from '../../gen/runtime/v1/api_pb.js';
import type { ServerDeps } from '../deps.js';
import { requirePresent, requireString } from '../validate.js';
import { toCriImage } from './convert.js';

// A missing image is an empty response, not an error (CRI). Verbose info follows containerd:
// info["info"] = {"chainID": …, "imageSpec": <the image config>}.
export const imageStatus = (deps: ServerDeps) => async (req: ImageStatusRequest) => {
  const ref = requireString('image.image', requirePresent('image', req.image).image);
  if (!req.verbose) {
    const v = deps.images.status(ref);
    return v ? { image: toCriImage(v) } : {};
  }
  const found = await deps.images.inspect(ref);
  if (!found) return {};
  return {
    image: toCriImage(found.image),
    info: { info: JSON.stringify({ chainID: found.image.chainId ?? '', imageSpec: found.config }) },
  };
};
