// Container ids, reserved names and request digests.
import { createHash, randomBytes } from 'node:crypto';

/** 64 hex digits, as containerd and CRI-O make them. */
export const newContainerId = (): string => randomBytes(32).toString('hex');

/**
 * The kubelet's naming: `<container>_<pod>_<namespace>_<pod uid>_<attempt>`, unique per attempt,
 * so two live containers of one pod attempt can never share a name.
 */
export function containerName(container: { name: string; attempt: number }, pod: { name: string; namespace: string; uid: string }): string {
  return `${container.name}_${pod.name}_${pod.namespace}_${pod.uid}_${container.attempt}`;
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/** The same config for the same sandbox gives the same digest, whatever order maps arrived in. */
export function requestDigest(sandboxId: string, configJson: unknown): string {
  return createHash('sha256').update(JSON.stringify(canonical({ sandboxId, config: configJson }))).digest('hex');
}
