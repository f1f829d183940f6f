// ListPodSandbox's filter.
import { filterById, matchesLabels } from '../../store/list-filter.js';
import type { Sandbox, SandboxFilter } from './types.js';

export function filterSandboxes(all: readonly Sandbox[], f: SandboxFilter | undefined): Sandbox[] {
  if (!f) return [...all];
  return filterById(all, f.id).filter((s) => (f.state === undefined || s.state === f.state) && matchesLabels(s.labels, f.labels));
}
