/**
 * One operation at a time per key within this process. The cross-process lock
 * (key-lock.ts) keeps other processes out; this keeps two tasks of one run
 * (say, the same key reached by two selectors) from interleaving on one key.
 */
export class KeyMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `fn` once every earlier holder of `id` has finished. */
  async run<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(id) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = previous.then(() => mine);
    this.tails.set(id, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(id) === tail) this.tails.delete(id);
    }
  }

  /** True while some task holds or waits for `id`. */
  busy(id: string): boolean {
    return this.tails.has(id);
  }
}

/** The process-wide mutex every fleet run shares. */
export const keyMutex = new KeyMutex();
