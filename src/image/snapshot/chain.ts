// Chain ids name a layer together with everything below it (OCI image spec): equal chain ids
// mean equal filesystems, which is what lets images share snapshots.
import { createHash } from 'node:crypto';

/** chainID(L0) = diffID(L0); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)). */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : `sha256:${createHash('sha256').update(`${prev} ${d}`).digest('hex')}`);
  }
  return out;
}

export function chainId(diffIds: readonly string[]): string | null {
  return chainIds(diffIds).at(-1) ?? null;
}
