// usage_nano_cores: how many cores an object used between two samples, in billionths of a
// core. Each object (a container, a pod) keeps its previous sample; the first sample has no
// rate. Samples of objects not seen for a while are dropped.
export class CpuRates {
  private readonly last = new Map<string, { usageNs: bigint; atNs: bigint; rate: bigint | undefined }>();

  constructor(private readonly now: () => bigint = () => process.hrtime.bigint()) {}

  /** Records the sample; returns the rate since the previous one of `key`. */
  sample(key: string, usageNs: bigint): bigint | undefined {
    const at = this.now();
    const prev = this.last.get(key);
    let rate: bigint | undefined;
    if (prev && usageNs >= prev.usageNs) {
      const dt = at - prev.atNs;
      // Two calls in the same instant: the last rate still stands.
      rate = dt > 0n ? ((usageNs - prev.usageNs) * 1_000_000_000n) / dt : prev.rate;
    }
    // A usage going backwards is a new cgroup under the same key: start over.
    this.last.set(key, { usageNs, atNs: at, rate });
    return rate;
  }

  /** Forgets every key that is not in `keep`. */
  retain(keep: ReadonlySet<string>): void {
    for (const k of this.last.keys()) if (!keep.has(k)) this.last.delete(k);
  }

  forget(key: string): void {
    this.last.delete(key);
  }
}
