// Unpacks an image's layers from the content store into committed snapshots, bottom up,
// skipping every layer whose chain is already there (shared with another image).
import { invalidArgument } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import type { ContentStore } from '../content/store.js';
import { chainIds } from '../snapshot/chain.js';
import type { Snapshotter } from '../snapshot/snapshotter.js';
import { unpackLayer, type UnpackResult } from './extract.js';

export interface LayerToUnpack {
  /** The compressed blob's digest, in the content store. */
  digest: string;
  mediaType: string;
  /** From the image config's rootfs.diff_ids. */
  diffId: string;
}

export interface UnpackImageOptions {
  log: Logger;
  signal?: AbortSignal;
  /** The image, for error messages. */
  image?: string;
  /** Called after each layer that had to be unpacked. */
  onLayer?: (layer: LayerToUnpack, result: UnpackResult) => void;
}

/** Returns the chain id of the top layer (null for an image without layers). */
export async function unpackImage(store: ContentStore, snaps: Snapshotter, layers: readonly LayerToUnpack[], opts: UnpackImageOptions): Promise<string | null> {
  const chain = chainIds(layers.map((l) => l.diffId));
  let parent: string | null = null;
  for (const [i, layer] of layers.entries()) {
    const id = chain[i];
    if (id === undefined) throw invalidArgument('layer list and chain ids disagree');
    if (!snaps.has(id)) {
      const what = `layer ${layer.digest}${opts.image ? ` of ${opts.image}` : ''}`;
      await snaps.commit(id, parent, layer.diffId, async (dir, lowerDirs) => {
        const result = await unpackLayer(await store.read(layer.digest), dir, {
          mediaType: layer.mediaType,
          expectedDiffId: layer.diffId,
          lowerDirs,
          whiteoutTemplate: snaps.whiteoutTemplate,
          signal: opts.signal,
          log: opts.log,
          what,
        });
        opts.onLayer?.(layer, result);
      });
    }
    parent = id;
  }
  return parent;
}
