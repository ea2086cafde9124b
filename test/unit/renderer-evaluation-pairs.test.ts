import { describe, expect, it } from 'vitest';
import type { EvaluationReport } from '../../main/contract/api.js';
import { disagreement, pairOutcomes, zoomedFloor } from '../../renderer/src/logic/evaluation.js';

const report = {
  k: 10,
  methods: { mvr: { 'ndcg@10': 0.9 }, bm25: { 'ndcg@10': 0.96 } },
  perQuery: [
    { queryId: 'a', query: '가', values: { mvr: { 'ndcg@10': 1 }, bm25: { 'ndcg@10': 0.5 } } },
    { queryId: 'b', query: '나', values: { mvr: { 'ndcg@10': 0.2 }, bm25: { 'ndcg@10': 1 } } },
    { queryId: 'c', query: '다', values: { mvr: { 'ndcg@10': 0.7 }, bm25: { 'ndcg@10': 0.6 } } },
    { queryId: 'd', query: '라', values: { mvr: { 'ndcg@10': 1 }, bm25: { 'ndcg@10': 1 } } },
  ],
} as unknown as EvaluationReport;

describe('per-pair wins and losses', () => {
  it('splits queries by which method scored higher, largest margin first', () => {
    const [pair] = pairOutcomes(report, 'ndcg@10');
    expect(pair!.a).toBe('mvr');
    expect(pair!.b).toBe('bm25');
    expect(pair!.aWins.map((q) => q.queryId)).toEqual(['a', 'c']);
    expect(pair!.bWins.map((q) => q.queryId)).toEqual(['b']);
    expect(pair!.ties).toBe(1);
  });

  it('measures disagreement as the spread between methods', () => {
    expect(disagreement(report.perQuery[1]!.values, 'ndcg@10')).toBeCloseTo(0.8, 12);
    expect(disagreement({ mvr: { 'ndcg@10': 1 } }, 'ndcg@10')).toBe(0);
  });
});

describe('the bar chart axis', () => {
  it('starts a step below the smallest value, so 0.89 and 0.96 look different', () => {
    expect(zoomedFloor([0.89, 0.96])).toBeCloseTo(0.8, 12);
    expect(zoomedFloor([0.12, 0.96])).toBe(0);
    expect(zoomedFloor([])).toBe(0);
  });
});
