// One operation at a time per key (a pod), any number across keys.
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    let release = (): void => undefined;
    const done = new Promise<void>((r) => {
      release = r;
    });
    const tail = before.then(() => done);
    this.tails.set(key, tail);
    await before;
    try {
      return await fn();
    } finally {
      release();
      // The last holder forgets the key, so the map does not grow with every pod ever seen.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys with an operation running or waiting; for tests. */
  get size(): number {
    return this.tails.size;
  }
}
