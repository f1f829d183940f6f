// CNI spec versions as numbers, for the features that depend on them.

/** Negative, zero or positive as a is older than, equal to or newer than b; unparsable counts as 0.0.0. */
export function compareCniVersions(a: string, b: string): number {
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function parts(v: string): number[] {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
}

/** CHECK, and prevResult on DEL, came with spec 0.4.0. */
export const supportsCheck = (v: string): boolean => compareCniVersions(v, '0.4.0') >= 0;
export const delTakesPrevResult = supportsCheck;
