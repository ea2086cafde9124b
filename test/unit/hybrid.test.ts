import { describe, expect, it } from 'vitest';
import { reciprocalRankFusion } from '../../main/search/hybrid.js';
import type { ScoredPassage } from '../../main/contract/types.js';

const list = (...ids: string[]): ScoredPassage[] => ids.map((docId, i) => ({ docId, score: 100 - i, rank: i + 1 }));

describe('reciprocal-rank fusion', () => {
  it('sums 1 / (60 + rank) over the lists, as computed by hand', () => {
    // A = x y z, B = y w x:
    //   y: 1/62 + 1/61 = 0.0325225   x: 1/61 + 1/63 = 0.0322665
    //   w: 1/62        = 0.0161290   z: 1/63        = 0.0158730
    const fused = reciprocalRankFusion([list('x', 'y', 'z'), list('y', 'w', 'x')]);
    expect(fused.map((h) => h.docId)).toEqual(['y', 'x', 'w', 'z']);
    expect(fused.map((h) => h.rank)).toEqual([1, 2, 3, 4]);
    expect(fused[0]!.score).toBeCloseTo(0.0325225, 7);
    expect(fused[1]!.score).toBeCloseTo(0.0322665, 7);
    expect(fused[2]!.score).toBeCloseTo(1 / 62, 12);
    expect(fused[3]!.score).toBeCloseTo(1 / 63, 12);
  });

  it('cuts to topK and honours another k', () => {
    const fused = reciprocalRankFusion([list('x', 'y', 'z'), list('y', 'w', 'x')], { k: 0, topK: 2 });
    // k = 0: y = 1/2 + 1/1 = 1.5, x = 1/1 + 1/3 = 1.333…
    expect(fused).toEqual([
      { docId: 'y', score: 1.5, rank: 1 },
      { docId: 'x', score: 1 + 1 / 3, rank: 2 },
    ]);
  });

  it('breaks equal fused scores by best rank, then by list order', () => {
    expect(reciprocalRankFusion([list('a'), list('b')]).map((h) => h.docId)).toEqual(['a', 'b']);
    expect(reciprocalRankFusion([list('b'), list('a')]).map((h) => h.docId)).toEqual(['b', 'a']);
  });

  it('uses each hit’s own rank, so a list that starts below rank 1 still weighs correctly', () => {
    const deep: ScoredPassage[] = [{ docId: 'p', score: 1, rank: 5 }];
    expect(reciprocalRankFusion([deep])[0]!.score).toBeCloseTo(1 / 65, 12);
  });

  it('counts a passage listed twice in one list only once', () => {
    const fused = reciprocalRankFusion([list('a', 'a', 'b')]);
    expect(fused.map((h) => h.docId)).toEqual(['a', 'b']);
    expect(fused[0]!.score).toBeCloseTo(1 / 61, 12);
  });

  it('returns nothing for no lists and rejects a negative k', () => {
    expect(reciprocalRankFusion([])).toEqual([]);
    expect(() => reciprocalRankFusion([list('a')], { k: -1 })).toThrow(/k/);
  });
});
