// ListPodSandbox's filter. The id matches exactly or as a unique prefix, as containerd's
// sandbox store resolves it (crictl passes what the user typed).
import type { Sandbox, SandboxFilter } from './types.js';

export function resolveIdPrefix(ids: readonly string[], idOrPrefix: string): string | undefined {
  if (ids.includes(idOrPrefix)) return idOrPrefix;
  const matches = ids.filter((id) => id.startsWith(idOrPrefix));
  return matches.length === 1 ? matches[0] : undefined;
}

export function filterSandboxes(all: readonly Sandbox[], f: SandboxFilter | undefined): Sandbox[] {
  if (!f) return [...all];
  let out = [...all];
  if (f.id !== undefined && f.id !== '') {
    const id = resolveIdPrefix(
      out.map((s) => s.id),
      f.id,
    );
    out = out.filter((s) => s.id === id);
  }
  if (f.state !== undefined) out = out.filter((s) => s.state === f.state);
  const labels = Object.entries(f.labels ?? {});
  if (labels.length > 0) out = out.filter((s) => labels.every(([k, v]) => s.labels[k] === v));
  return out;
}
