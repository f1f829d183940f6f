// Leases: what a pull in progress holds so the collector does not take it away before the
// image record that will name it is written (containerd's leases, in memory: a crash drops
// them, and the startup collection then reclaims what the dead pull left).

export interface LeaseItems {
  blobs?: readonly string[];
  snapshots?: readonly string[];
}

export interface Lease {
  add(items: LeaseItems): void;
  release(): void;
}

export class Leases {
  private readonly blobs = new Map<string, number>();
  private readonly snapshots = new Map<string, number>();

  create(): Lease {
    const held: { blobs: string[]; snapshots: string[] } = { blobs: [], snapshots: [] };
    let released = false;
    return {
      add: (items) => {
        if (released) throw new Error('lease already released');
        for (const b of items.blobs ?? []) {
          held.blobs.push(b);
          this.blobs.set(b, (this.blobs.get(b) ?? 0) + 1);
        }
        for (const s of items.snapshots ?? []) {
          held.snapshots.push(s);
          this.snapshots.set(s, (this.snapshots.get(s) ?? 0) + 1);
        }
      },
      release: () => {
        if (released) return;
        released = true;
        for (const b of held.blobs) dec(this.blobs, b);
        for (const s of held.snapshots) dec(this.snapshots, s);
      },
    };
  }

  blobLeased(digest: string): boolean {
    return this.blobs.has(digest);
  }

  snapshotLeased(chainId: string): boolean {
    return this.snapshots.has(chainId);
  }
}

function dec(m: Map<string, number>, k: string): void {
  const n = (m.get(k) ?? 0) - 1;
  if (n <= 0) m.delete(k);
  else m.set(k, n);
}
