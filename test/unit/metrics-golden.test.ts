import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALL_METRICS, evaluateRun, hitAt, metricKey, mrrAt, ndcgAt, recallAt } from '../../main/eval/metrics.js';
import type { MetricName, MetricValues, QrelMap, Run, ScoredPassage } from '../../main/contract/types.js';

/**
 * Values from trec_eval's own code (pytrec_eval), written by tools/golden_metrics.py; the fixture's header
 * says how ties, duplicate passages and unanswerable queries are made to mean the same on both sides.
 */

interface GoldenCase {
  name: string;
  description: string;
  qrels: QrelMap;
  run: Record<string, Array<[string, number]>>;
  values: {
    per_query: Record<string, MetricValues>;
    excluded: string[];
    mean: MetricValues;
    trec_eval_mean: MetricValues;
    trec_eval_c_mean: MetricValues;
  };
}

interface Golden {
  generator: string;
  library: string;
  cutoffs: number[];
  cases: GoldenCase[];
}

const golden = JSON.parse(readFileSync(new URL('../fixtures/metrics-golden.json', import.meta.url), 'utf8')) as Golden;

// Absolute: trec_eval and Saegim sum the same terms in the same order, so only the last bits may differ.
const TOLERANCE = 1e-9;

const FUNCTIONS: Record<MetricName, (ranking: readonly ScoredPassage[], judged: Record<string, number>, k: number) => number> = {
  hit: hitAt,
  ndcg: ndcgAt,
  mrr: mrrAt,
  recall: recallAt,
};

function toRun(run: GoldenCase['run']): Run {
  return Object.fromEntries(
    Object.entries(run).map(([queryId, hits]) => [queryId, hits.map(([docId, score], i) => ({ docId, score, rank: i + 1 }))]),
  );
}

function differs(actual: number | undefined, expected: number): boolean {
  return actual === undefined || !(Math.abs(actual - expected) <= TOLERANCE);
}

describe('metrics against trec_eval (pytrec_eval golden values)', () => {
  it('covers every cut-off, grade and edge case it claims to', () => {
    expect(golden.generator).toBe('tools/golden_metrics.py');
    expect(golden.library).toMatch(/^pytrec_eval-terrier \d+\.\d+/);
    expect(golden.cutoffs).toEqual([1, 3, 5, 10, 20, 100]);
    expect(golden.cases.map((c) => c.name)).toEqual(
      expect.arrayContaining(['binary', 'graded', 'not-answerable', 'short-runs', 'relevance-zero-and-negative', 'ties', 'duplicates']),
    );
    expect(golden.cases.some((c) => c.name.startsWith('random-seed-'))).toBe(true);
    const grades = new Set(golden.cases.flatMap((c) => Object.values(c.qrels).flatMap((j) => Object.values(j))));
    for (const g of [-1, 0, 1, 2, 3]) expect(grades.has(g)).toBe(true);
    for (const c of golden.cases) {
      for (const values of Object.values(c.values.per_query)) {
        expect(Object.keys(values).sort()).toEqual(golden.cutoffs.flatMap((k) => ALL_METRICS.map((m) => metricKey(m, k))).sort());
      }
    }
  });

  describe.each(golden.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const run = toRun(c.run);

    it('per-query metric functions equal trec_eval on every judged query, unanswerable ones included', () => {
      const mismatches: string[] = [];
      for (const [queryId, expected] of Object.entries(c.values.per_query)) {
        const ranking = run[queryId] ?? [];
        for (const k of golden.cutoffs) {
          for (const m of ALL_METRICS) {
            const key = metricKey(m, k);
            const actual = FUNCTIONS[m](ranking, c.qrels[queryId]!, k);
            if (differs(actual, expected[key]!)) mismatches.push(`${queryId} ${key}: saegim ${actual}, trec_eval ${expected[key]}`);
          }
        }
      }
      expect(mismatches).toEqual([]);
    });

    it.each(golden.cutoffs)('evaluateRun at k = %i matches per query and in the mean', (k) => {
      const { aggregate, perQuery } = evaluateRun(run, c.qrels, { k });
      const excluded = new Set(c.values.excluded);
      const scored = Object.keys(c.values.per_query).filter((q) => !excluded.has(q));
      expect(Object.keys(perQuery).sort()).toEqual(scored.sort());
      const mismatches: string[] = [];
      for (const queryId of scored) {
        for (const m of ALL_METRICS) {
          const key = metricKey(m, k);
          const actual = perQuery[queryId]?.[key];
          const expected = c.values.per_query[queryId]![key]!;
          if (differs(actual, expected)) mismatches.push(`${queryId} ${key}: saegim ${actual}, trec_eval ${expected}`);
        }
      }
      for (const m of ALL_METRICS) {
        const key = metricKey(m, k);
        if (differs(aggregate[key], c.values.mean[key]!)) mismatches.push(`mean ${key}: saegim ${aggregate[key]}, trec_eval ${c.values.mean[key]}`);
      }
      expect(mismatches).toEqual([]);
    });
  });
});
