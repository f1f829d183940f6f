// ListContainers' filter. The id matches exactly or as a unique prefix, as crictl's users type it.
import type { ContainerFilter, ContainerView } from './types.js';

export function resolveIdPrefix(ids: readonly string[], idOrPrefix: string): string | undefined {
  if (ids.includes(idOrPrefix)) return idOrPrefix;
  const matches = ids.filter((id) => id.startsWith(idOrPrefix));
  return matches.length === 1 ? matches[0] : undefined;
}

export function filterContainers(all: readonly ContainerView[], f: ContainerFilter | undefined): ContainerView[] {
  if (!f) return [...all];
  let out = [...all];
  if (f.id !== undefined && f.id !== '') {
    const id = resolveIdPrefix(
      out.map((c) => c.id),
      f.id,
    );
    out = out.filter((c) => c.id === id);
  }
  if (f.sandboxId !== undefined && f.sandboxId !== '') out = out.filter((c) => c.sandboxId === f.sandboxId);
  if (f.state !== undefined) out = out.filter((c) => c.state === f.state);
  const labels = Object.entries(f.labels ?? {});
  if (labels.length > 0) out = out.filter((c) => labels.every(([k, v]) => c.labels[k] === v));
  return out;
}
