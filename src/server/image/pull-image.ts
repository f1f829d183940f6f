import type { AuthConfig, PullImageRequest } from '../../gen/runtime/v1/api_pb.js';
import type { RegistryCredentials } from '../../image/registry/auth.js';
import type { CallContext } from '../instrument.js';
import type { ServerDeps } from '../deps.js';
import { requirePresent, requireString } from '../validate.js';

// The image_ref the kubelet expects is the image id (sha256 of the config).
export const pullImage = (deps: ServerDeps) => async (req: PullImageRequest, ctx: CallContext) => {
  const ref = requireString('image.image', requirePresent('image', req.image).image);
  const imageRef = await deps.images.pull(ref, { credentials: credentialsOf(req.auth), signal: ctx.signal });
  return { imageRef };
};

/** Only the fields actually set; an all-empty AuthConfig means anonymous. */
function credentialsOf(a: AuthConfig | undefined): RegistryCredentials | undefined {
  if (!a) return undefined;
  const c: RegistryCredentials = {};
  if (a.username) c.username = a.username;
  if (a.password) c.password = a.password;
  if (a.auth) c.auth = a.auth;
  if (a.identityToken) c.identityToken = a.identityToken;
  if (a.registryToken) c.registryToken = a.registryToken;
  if (a.serverAddress) c.serverAddress = a.serverAddress;
  return Object.keys(c).length > 0 ? c : undefined;
}
