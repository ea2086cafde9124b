import { describe, expect, it } from 'vitest';
import { IndexCache, type CachedIndex } from '../../main/retrievers/index-cache.js';

/** An index of `bytes` once loaded; `release` empties it, `load` fills it again. */
class FakeIndex implements CachedIndex {
  bytes: number;
  busy = false;
  releases = 0;
  constructor(
    readonly generation: number,
    private readonly size: number,
  ) {
    this.bytes = size;
  }
  residentBytes(): number {
    return this.bytes;
  }
  inUse(): boolean {
    return this.busy;
  }
  async release(): Promise<void> {
    this.bytes = 0;
    this.releases++;
  }
  load(): void {
    this.bytes = this.size;
  }
}

describe('IndexCache', () => {
  it('releases least recently used indexes until the total fits, sparing the newest', async () => {
    const cache = new IndexCache<FakeIndex>(() => 250);
    const a = await cache.get(1, 0, () => new FakeIndex(0, 100));
    const b = await cache.get(2, 0, () => new FakeIndex(0, 100));
    expect(await cache.get(1, 0, () => new FakeIndex(0, 1))).toBe(a);
    const c = await cache.get(3, 0, () => new FakeIndex(0, 100));
    await cache.trim();
    // b is least recent now (a was asked for again after it).
    expect([a.releases, b.releases, c.releases]).toEqual([0, 1, 0]);
    expect(cache.residentBytes()).toBe(200);
    // A budget smaller than the newest index alone still keeps it.
    const tiny = new IndexCache<FakeIndex>(() => 0);
    const only = await tiny.get(1, 0, () => new FakeIndex(0, 100));
    await tiny.trim();
    expect(only.releases).toBe(0);
  });

  it('never releases an index in use, and takes the next least recent instead', async () => {
    const cache = new IndexCache<FakeIndex>(() => 150);
    const a = await cache.get(1, 0, () => new FakeIndex(0, 100));
    const b = await cache.get(2, 0, () => new FakeIndex(0, 100));
    const c = await cache.get(3, 0, () => new FakeIndex(0, 100));
    a.busy = true;
    await cache.trim();
    expect([a.releases, b.releases, c.releases]).toEqual([0, 1, 0]);
    // Once a is idle, the next trim brings the total within the budget.
    a.busy = false;
    await cache.trim();
    expect([a.releases, b.releases, c.releases]).toEqual([1, 1, 0]);
    // A released index kept its place: loading it again makes it the one to keep.
    expect(await cache.get(1, 0, () => new FakeIndex(0, 1))).toBe(a);
    a.load();
    await cache.trim();
    expect([a.releases, c.releases]).toEqual([1, 1]);
  });

  it('replaces an index whose generation moved, releasing the old one', async () => {
    const cache = new IndexCache<FakeIndex>(() => Infinity);
    const old = await cache.get(1, 0, () => new FakeIndex(0, 100));
    const fresh = await cache.get(1, 1, () => new FakeIndex(1, 100));
    expect(fresh).not.toBe(old);
    expect(old.releases).toBe(1);
    await cache.delete(1);
    expect(fresh.releases).toBe(1);
    expect(cache.residentBytes()).toBe(0);
  });
});
