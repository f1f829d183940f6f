// Names (of sandboxes, of containers) held by live objects and by creations in progress. A name
// is free again only when its object is removed or its creation failed and was undone.

export interface Reservation {
  id: string;
  /** canonicalDigest of the request that made the object. */
  digest: string;
  /** While the creation is still working: resolves with the id. */
  pending?: Promise<string>;
}

export class NameReservations {
  private readonly byName = new Map<string, Reservation>();

  get(name: string): Reservation | undefined {
    return this.byName.get(name);
  }

  reserve(name: string, r: Reservation): void {
    this.byName.set(name, r);
  }

  /** The creation finished: the name stays held, with nothing left to wait for. */
  settle(name: string, id: string): void {
    const r = this.byName.get(name);
    if (r?.id === id) delete r.pending;
  }

  /** Frees the name if `id` still holds it. */
  release(name: string, id: string): void {
    if (this.byName.get(name)?.id === id) this.byName.delete(name);
  }
}
