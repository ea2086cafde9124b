import { describe, expect, it } from 'vitest';
import { evaluateRun, hitAt, mrrAt, ndcgAt, recallAt } from '../../main/eval/metrics.js';
import type { QrelMap, Run, ScoredPassage } from '../../main/contract/types.js';

const ranking = (...ids: string[]): ScoredPassage[] => ids.map((docId, i) => ({ docId, score: 10 - i, rank: i + 1 }));

describe('retrieval metrics', () => {
  // Binary: relevant d2 (rank 2), d4 (rank 4) and d9 (never retrieved).
  //   DCG@5  = 1/log2(3) + 1/log2(5)            = 0.630930 + 0.430677 = 1.061606
  //   IDCG@5 = 1/log2(2) + 1/log2(3) + 1/log2(4) = 1 + 0.630930 + 0.5  = 2.130930
  //   nDCG@5 = 0.498189
  const binaryRanking = ranking('d1', 'd2', 'd3', 'd4', 'd5');
  const binaryJudged = { d2: 1, d4: 1, d9: 1, d5: 0 };

  it('computes binary nDCG, Hit, MRR and Recall at k by hand', () => {
    expect(ndcgAt(binaryRanking, binaryJudged, 5)).toBeCloseTo(0.498189, 6);
    expect(hitAt(binaryRanking, binaryJudged, 5)).toBe(1);
    expect(mrrAt(binaryRanking, binaryJudged, 5)).toBe(0.5);
    expect(recallAt(binaryRanking, binaryJudged, 5)).toBeCloseTo(2 / 3, 12);
  });

  it('cuts every metric at k', () => {
    expect(hitAt(binaryRanking, binaryJudged, 1)).toBe(0);
    expect(mrrAt(binaryRanking, binaryJudged, 1)).toBe(0);
    expect(ndcgAt(binaryRanking, binaryJudged, 1)).toBe(0);
    expect(recallAt(binaryRanking, binaryJudged, 1)).toBe(0);
    // k = 2: DCG = 1/log2(3) = 0.630930; IDCG over the best two = 1 + 0.630930 → 0.386853.
    expect(ndcgAt(binaryRanking, binaryJudged, 2)).toBeCloseTo(0.63093 / 1.63093, 5);
    expect(recallAt(binaryRanking, binaryJudged, 2)).toBeCloseTo(1 / 3, 12);
  });

  it('uses the grade as gain for graded qrels, with the ideal built from every judged passage', () => {
    // Ranking a b c; judged a = 1, b = 0, c = 3, x = 2 (x not retrieved).
    //   DCG@3  = 1/log2(2) + 0 + 3/log2(4)           = 1 + 1.5          = 2.5
    //   IDCG@3 = 3/log2(2) + 2/log2(3) + 1/log2(4)   = 3 + 1.261860 + 0.5 = 4.761860
    //   nDCG@3 = 0.525005
    expect(ndcgAt(ranking('a', 'b', 'c'), { a: 1, b: 0, c: 3, x: 2 }, 3)).toBeCloseTo(0.525005, 6);
    // A perfect graded ranking scores exactly 1.
    expect(ndcgAt(ranking('c', 'x', 'a'), { a: 1, b: 0, c: 3, x: 2 }, 3)).toBeCloseTo(1, 12);
  });

  it('treats relevance ≤ 0 as not relevant', () => {
    const judged = { bad: -1, meh: 0, good: 1 };
    expect(mrrAt(ranking('bad', 'meh', 'good'), judged, 10)).toBeCloseTo(1 / 3, 12);
    expect(ndcgAt(ranking('bad', 'meh', 'good'), judged, 10)).toBeCloseTo(0.5, 12);
    expect(recallAt(ranking('bad', 'meh', 'good'), judged, 10)).toBe(1);
  });

  it('counts a passage listed twice only at its first place', () => {
    expect(ndcgAt(ranking('r', 'r', 'x'), { r: 1 }, 10)).toBe(1);
    expect(recallAt(ranking('r', 'r'), { r: 1, s: 1 }, 10)).toBe(0.5);
  });
});

describe('evaluateRun', () => {
  const qrels: QrelMap = {
    q1: { d2: 1, d4: 1, d9: 1 },
    q2: { a: 1 },
    unjudgeable: { z: 0, y: -1 },
    missing: { m: 1 },
  };
  const run: Run = {
    q1: ranking('d1', 'd2', 'd3', 'd4', 'd5'),
    q2: ranking('a'),
    unjudgeable: ranking('z'),
    'not-in-qrels': ranking('a'),
  };

  it('averages per-query values over judged queries, excluding queries with no relevant judgement', () => {
    const { aggregate, perQuery } = evaluateRun(run, qrels, { k: 10 });
    expect(Object.keys(perQuery).sort()).toEqual(['missing', 'q1', 'q2']);
    // q1 at k = 10 equals k = 5 (only five hits): nDCG 0.498189, MRR 0.5, Recall 2/3.
    expect(perQuery.q1!['ndcg@10']).toBeCloseTo(0.498189, 6);
    expect(perQuery.q2).toEqual({ 'hit@10': 1, 'ndcg@10': 1, 'mrr@10': 1, 'recall@10': 1 });
    // A judged query the run never answered scores 0 and still counts in the mean.
    expect(perQuery.missing).toEqual({ 'hit@10': 0, 'ndcg@10': 0, 'mrr@10': 0, 'recall@10': 0 });
    expect(aggregate['hit@10']).toBeCloseTo(2 / 3, 12);
    expect(aggregate['mrr@10']).toBeCloseTo((0.5 + 1 + 0) / 3, 12);
    expect(aggregate['recall@10']).toBeCloseTo((2 / 3 + 1 + 0) / 3, 12);
    expect(aggregate['ndcg@10']).toBeCloseTo((0.498189 + 1 + 0) / 3, 6);
  });

  it('computes only the requested metrics, keyed by name@k', () => {
    const { aggregate } = evaluateRun(run, qrels, { k: 1, metrics: ['mrr', 'hit'] });
    expect(aggregate).toEqual({ 'mrr@1': 1 / 3, 'hit@1': 1 / 3 });
  });

  it('returns zeros with no judged queries and rejects a bad k', () => {
    expect(evaluateRun(run, {}, { k: 10 })).toEqual({ aggregate: { 'hit@10': 0, 'ndcg@10': 0, 'mrr@10': 0, 'recall@10': 0 }, perQuery: {} });
    expect(() => evaluateRun(run, qrels, { k: 0 })).toThrow(/positive integer/);
  });
});
