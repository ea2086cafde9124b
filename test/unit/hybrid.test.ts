import { describe, expect, it } from 'vitest';
import { reciprocalRankFusion, weightedSumFusion } from '../../main/search/hybrid.js';
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

describe('weighted sum of min-max normalised scores', () => {
  const scored = (...pairs: Array<[string, number]>): ScoredPassage[] => pairs.map(([docId, score], i) => ({ docId, score, rank: i + 1 }));

  it('normalises each list to [0, 1] and adds 0 for a list a passage is missing from, as computed by hand', () => {
    // A: x 10 → 1, y 6 → 0.5, z 2 → 0.   B: y 30 → 1, w 20 → 0.
    // 0.6·A + 0.4·B: y 0.3 + 0.4 = 0.7, x 0.6, z 0, w 0 (w first: best rank 2 against z's 3).
    const fused = weightedSumFusion([scored(['x', 10], ['y', 6], ['z', 2]), scored(['y', 30], ['w', 20])], { weights: [0.6, 0.4] });
    expect(fused.map((h) => h.docId)).toEqual(['y', 'x', 'w', 'z']);
    expect(fused[0]!.score).toBeCloseTo(0.7, 12);
    expect(fused[1]!.score).toBeCloseTo(0.6, 12);
    expect(fused.map((h) => h.rank)).toEqual([1, 2, 3, 4]);
  });

  it('maps a list of equal scores to 1, and with weight 1 returns that list unchanged', () => {
    const flat = weightedSumFusion([scored(['a', 5], ['b', 5])], { weights: [1] });
    expect(flat.map((h) => h.score)).toEqual([1, 1]);
    const a = scored(['p', 9], ['q', 4], ['r', 1]);
    const only = weightedSumFusion([a, scored(['r', 3], ['s', 1])], { weights: [1, 0], topK: 3 });
    expect(only.map((h) => h.docId)).toEqual(['p', 'q', 'r']);
  });

  it('refuses weights that do not match the lists', () => {
    expect(() => weightedSumFusion([list('x')], { weights: [0.5, 0.5] })).toThrow(/one weight per list/);
    expect(() => weightedSumFusion([list('x')], { weights: [-1] })).toThrow(/≥ 0/);
  });
});
