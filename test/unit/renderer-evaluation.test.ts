import { describe, expect, it } from 'vitest';
import type { EvaluationReport } from '../../main/contract/api.js';
import { metricsCsv, perQueryCsv, toCsv } from '../../renderer/src/logic/csv.js';
import { barChartData, formatPValue, metricTable, pValue, scatterPoints, winTieLoss } from '../../renderer/src/logic/evaluation.js';

const report: EvaluationReport = {
  collection: '한국어 위키',
  split: 'test',
  k: 10,
  queries: 3,
  methods: {
    bm25: { 'hit@10': 0.6667, 'ndcg@10': 0.5, 'mrr@10': 0.45, 'recall@10': 0.6667 },
    mvr: { 'hit@10': 1, 'ndcg@10': 0.8, 'mrr@10': 0.75, 'recall@10': 1 },
  },
  unavailable: { svr: 'no model' },
  perQuery: [
    { queryId: 'q1', query: '한글을 만든 왕은?', values: { bm25: { 'ndcg@10': 1, 'hit@10': 1, 'mrr@10': 1, 'recall@10': 1 }, mvr: { 'ndcg@10': 1, 'hit@10': 1, 'mrr@10': 1, 'recall@10': 1 } } },
    { queryId: 'q2', query: '서울, "한강"', values: { bm25: { 'ndcg@10': 0.5, 'hit@10': 1, 'mrr@10': 0.35, 'recall@10': 1 }, mvr: { 'ndcg@10': 0.9, 'hit@10': 1, 'mrr@10': 0.75, 'recall@10': 1 } } },
    { queryId: 'q3', query: '김치', values: { bm25: { 'ndcg@10': 0, 'hit@10': 0, 'mrr@10': 0, 'recall@10': 0 }, mvr: { 'ndcg@10': 0.5, 'hit@10': 1, 'mrr@10': 0.5, 'recall@10': 1 } } },
  ],
  significance: [
    { method: 'mvr', baseline: 'bm25', metric: 'ndcg@10', meanDifference: 0.3, pValue: 0.0004, adjustedPValue: 0.0008 },
    { method: 'mvr', baseline: 'bm25', metric: 'hit@10', meanDifference: 0.33, pValue: 0.5, adjustedPValue: 0.5 },
  ],
  significanceMethod: { test: 'two-sided paired randomization test', trials: 10000, correction: 'Holm–Bonferroni', comparisons: 2 },
  runs: { bm25: 'q1 Q0 d1 1 3.2 bm25\n' },
  seconds: 1.2,
};

describe('evaluation table', () => {
  it('orders methods and metrics as Table 1 and marks the best per column', () => {
    const t = metricTable(report);
    expect(t.columns).toEqual(['hit@10', 'ndcg@10', 'mrr@10', 'recall@10']);
    expect(t.rows.map((r) => r.method)).toEqual(['mvr', 'bm25']);
    expect(t.rows[0]!.best).toEqual([true, true, true, true]);
    expect(t.rows[1]!.values).toEqual([0.6667, 0.5, 0.45, 0.6667]);
  });

  it('finds p-values and formats them', () => {
    expect(pValue(report, 'mvr', 'ndcg@10')).toBe(0.0004);
    expect(pValue(report, 'bm25', 'ndcg@10')).toBeNull();
    expect(formatPValue(0.0004)).toBe('p < 0.001');
    expect(formatPValue(0.0312)).toBe('p = 0.031');
  });

  it('builds per-query scatter points and counts wins', () => {
    const pts = scatterPoints(report, 'bm25', 'mvr', 'ndcg@10');
    expect(pts).toEqual([
      { queryId: 'q1', query: '한글을 만든 왕은?', x: 1, y: 1 },
      { queryId: 'q2', query: '서울, "한강"', x: 0.5, y: 0.9 },
      { queryId: 'q3', query: '김치', x: 0, y: 0.5 },
    ]);
    expect(winTieLoss(pts)).toEqual({ wins: 2, ties: 1, losses: 0 });
    expect(scatterPoints(report, 'bm25', 'svr', 'ndcg@10')).toEqual([]);
  });

  it('groups bar chart data by metric', () => {
    expect(barChartData(report)[1]).toEqual({ metric: 'nDCG@10', mvr: 0.8, bm25: 0.5 });
  });
});

describe('CSV export', () => {
  it('quotes commas, quotes and newlines, and starts with a BOM for Excel', () => {
    const csv = toCsv([
      ['a', '서울, 한강', 'say "hi"'],
      [1.23456789, null, 'x\ny'],
    ]);
    expect(csv).toBe('\uFEFFa,"서울, 한강","say ""hi"""\r\n1.234568,,"x\ny"\r\n');
    expect(toCsv([['a']], { bom: false })).toBe('a\r\n');
  });

  it('exports the metrics table with p-values', () => {
    const lines = metricsCsv(report).replace('\uFEFF', '').trim().split('\r\n');
    expect(lines[0]).toBe('collection,split,queries,method,hit@10,ndcg@10,mrr@10,recall@10,p(hit@10),p(ndcg@10),p(mrr@10),p(recall@10)');
    expect(lines[1]).toBe('한국어 위키,test,3,mvr,1,0.8,0.75,1,0.5,0.0004,,');
    expect(lines[2]).toBe('한국어 위키,test,3,bm25,0.6667,0.5,0.45,0.6667,,,,');
  });

  it('exports per-query values', () => {
    const lines = perQueryCsv(report).replace('\uFEFF', '').trim().split('\r\n');
    expect(lines[0]).toBe('query_id,query,mvr:hit@10,mvr:ndcg@10,mvr:mrr@10,mvr:recall@10,bm25:hit@10,bm25:ndcg@10,bm25:mrr@10,bm25:recall@10');
    expect(lines[2]).toBe('q2,"서울, ""한강""",1,0.9,0.75,1,1,0.5,0.35,1');
  });
});
