import { describe, expect, it } from 'vitest';
import { PooledVectorIndex } from '../../main/search/svr.js';

const unit = (...xs: number[]) => {
  const n = Math.hypot(...xs);
  return Float32Array.from(xs, (x) => x / n);
};

describe('pooled vector index', () => {
  it('takes its width from the first vector, as a pooled output narrower than the token vectors needs', () => {
    const index = new PooledVectorIndex();
    expect(index.dim).toBeNull();
    expect(index.topK(unit(1, 0, 0), 3)).toEqual([]);
    index.add('a', unit(1, 0, 0));
    index.add('b', unit(0, 1, 0));
    index.add('c', unit(1, 1, 0));
    expect(index.dim).toBe(3);
    const top = index.topK(unit(1, 0.2, 0), 2);
    expect(top.map((h) => h.docId)).toEqual(['a', 'c']);
    expect(top[0]!.score).toBeCloseTo(1 / Math.hypot(1, 0.2), 6);
  });

  it('refuses vectors and queries of another width', () => {
    const index = new PooledVectorIndex(2, 1);
    index.add('a', unit(1, 0));
    index.add('b', unit(0, 1));
    expect(() => index.add('c', unit(1, 0, 0))).toThrow(/3 dims, index has 2/);
    expect(() => index.topK(unit(1, 0, 0), 1)).toThrow(/query vector has 3 dims, pooled index has 2/);
  });
});
