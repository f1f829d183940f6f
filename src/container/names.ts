// Container names held by live containers and by creations in progress. A name is free again
// only when its container is removed or its creation failed and was undone.

export interface NameHold {
  id: string;
  /** requestDigest of the request that made the container. */
  digest: string;
  /** While CreateContainer is still working: resolves with the id. */
  pending?: Promise<string>;
}

export class ContainerNames {
  private readonly byName = new Map<string, NameHold>();

  get(name: string): NameHold | undefined {
    return this.byName.get(name);
  }

  reserve(name: string, hold: NameHold): void {
    this.byName.set(name, hold);
  }

  /** The creation finished: the name stays held, with nothing left to wait for. */
  settle(name: string, id: string): void {
    const h = this.byName.get(name);
    if (h?.id === id) delete h.pending;
  }

  /** Frees the name if `id` still holds it. */
  release(name: string, id: string): void {
    if (this.byName.get(name)?.id === id) this.byName.delete(name);
  }
}
