import type { ImageFsInfoRequest } from '../../gen/runtime/v1/api_pb.js';
import type { ServerDeps } from '../deps.js';

// One image filesystem; container_filesystems stays empty, as containerd leaves it, which the
// kubelet reads as "container layers share the image filesystem".
export const imageFsInfo = (deps: ServerDeps) => async (_req: ImageFsInfoRequest) => {
  const u = await deps.images.fsUsage();
  return {
    imageFilesystems: [
      {
        timestamp: u.timestampNs,
        fsId: { mountpoint: u.mountpoint },
        usedBytes: { value: BigInt(u.usedBytes) },
        inodesUsed: { value: BigInt(u.inodesUsed) },
      },
    ],
  };
};
