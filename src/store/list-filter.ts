// What ListPodSandbox and ListContainers filters share: ids given exactly or as a unique prefix
// (as containerd resolves them; crictl passes what the user typed), and label selectors.

export function resolveIdPrefix(ids: readonly string[], idOrPrefix: string): string | undefined {
  if (ids.includes(idOrPrefix)) return idOrPrefix;
  const matches = ids.filter((id) => id.startsWith(idOrPrefix));
  return matches.length === 1 ? matches[0] : undefined;
}

/** Objects whose id is `idOrPrefix` (exact or unique prefix); all of them when it is empty. */
export function filterById<T extends { id: string }>(all: readonly T[], idOrPrefix: string | undefined): T[] {
  if (idOrPrefix === undefined || idOrPrefix === '') return [...all];
  const id = resolveIdPrefix(
    all.map((o) => o.id),
    idOrPrefix,
  );
  return all.filter((o) => o.id === id);
}

/** Every pair of the selector must match. */
export function matchesLabels(labels: Record<string, string>, selector: Record<string, string> | undefined): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}
