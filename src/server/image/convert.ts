// Domain image views to CRI messages, shared by ImageStatus and ListImages.
import type { ImageSchema } from '../../gen/runtime/v1/api_pb.js';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ImageView } from '../../image/image-service.js';

export function toCriImage(v: ImageView): MessageInitShape<typeof ImageSchema> {
  return {
    id: v.id,
    repoTags: v.repoTags,
    repoDigests: v.repoDigests,
    size: BigInt(v.size),
    ...(v.uid !== undefined ? { uid: { value: v.uid } } : {}),
    username: v.username,
    // The id is the one name that always resolves to exactly this image.
    spec: { image: v.id },
    pinned: v.pinned,
  };
}
