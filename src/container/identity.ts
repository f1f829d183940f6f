// Container names and request digests.
import { canonicalDigest } from '../store/object-id.js';

/**
 * The kubelet's naming: `<container>_<pod>_<namespace>_<pod uid>_<attempt>`, unique per attempt,
 * so two live containers of one pod attempt can never share a name.
 */
export function containerName(container: { name: string; attempt: number }, pod: { name: string; namespace: string; uid: string }): string {
  return `${container.name}_${pod.name}_${pod.namespace}_${pod.uid}_${container.attempt}`;
}

/** The same config for the same sandbox gives the same digest, whatever order maps arrived in. */
export function requestDigest(sandboxId: string, configJson: unknown): string {
  return canonicalDigest({ sandboxId, config: configJson });
}
