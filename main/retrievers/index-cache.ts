/** What the cache holds: an in-memory index of one collection that can say its size and drop its contents. */
export interface CachedIndex {
  /** The collection's generation the index was built for. */
  readonly generation: number;
  residentBytes(): number;
  /** True while work is running on it: it is never released then. */
  inUse(): boolean;
  /** Drops what is loaded; the index may load it again on its next use. */
  release(): Promise<void>;
}

/**
 * In-memory indexes of a long-lived process (the desktop app, `saegim serve`), one per collection, kept
 * within a memory budget: when their total passes it, the least recently used are released until it fits.
 * The most recently requested index (the current request's) and any index in use are never released, so
 * one collection larger than the budget still loads and the total may pass the budget while it is in use.
 *
 * A released index stays in the map, empty: a request still holding it, or the next one asking for the
 * collection, loads it again, and its next load makes the cache trim again.
 */
export class IndexCache<V extends CachedIndex> {
  /** Map order is recency, least recent first. */
  private readonly entries = new Map<number, V>();

  /** `budgetBytes` is read at each trim, so a settings change applies to the next load. */
  constructor(private readonly budgetBytes: () => number) {}

  /**
   * The index of collection `key` for `generation`, made by `make` when there is none or the one held is of
   * another generation (released first); marked most recently used.
   */
  async get(key: number, generation: number, make: () => V): Promise<V> {
    const held = this.entries.get(key);
    if (held && held.generation === generation) {
      this.entries.delete(key);
      this.entries.set(key, held);
      return held;
    }
    if (held) await this.delete(key);
    const fresh = make();
    this.entries.set(key, fresh);
    return fresh;
  }

  /** Releases and forgets collection `key`'s index (its generation moved, or the collection is gone). */
  async delete(key: number): Promise<void> {
    const held = this.entries.get(key);
    this.entries.delete(key);
    await held?.release();
  }

  async clear(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    for (const index of all) await index.release();
  }

  /** Total resident bytes of the held indexes. */
  residentBytes(): number {
    let total = 0;
    for (const index of this.entries.values()) total += index.residentBytes();
    return total;
  }

  /**
   * Releases least recently used indexes, sparing the most recent and those in use, until the total fits
   * the budget. Which ones is decided at once, so an index is never picked twice by overlapping trims.
   */
  async trim(): Promise<void> {
    const budget = this.budgetBytes();
    const order = [...this.entries.values()];
    const newest = order[order.length - 1];
    let total = 0;
    const sizes = order.map((index) => {
      const bytes = index.residentBytes();
      total += bytes;
      return bytes;
    });
    const victims: V[] = [];
    for (let i = 0; i < order.length && total > budget; i++) {
      const index = order[i]!;
      if (index === newest || sizes[i] === 0 || index.inUse()) continue;
      victims.push(index);
      total -= sizes[i]!;
    }
    // A release that fails has still dropped the index's vectors; the next trim must not be stopped by it.
    await Promise.allSettled(victims.map((index) => index.release()));
  }
}
