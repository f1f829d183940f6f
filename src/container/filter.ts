// ListContainers' filter.
import { filterById, matchesLabels } from '../store/list-filter.js';
import type { ContainerFilter, ContainerView } from './types.js';

export function filterContainers(all: readonly ContainerView[], f: ContainerFilter | undefined): ContainerView[] {
  if (!f) return [...all];
  return filterById(all, f.id).filter(
    (c) =>
      (f.sandboxId === undefined || f.sandboxId === '' || c.sandboxId === f.sandboxId) &&
      (f.state === undefined || c.state === f.state) &&
      matchesLabels(c.labels, f.labels),
  );
}
