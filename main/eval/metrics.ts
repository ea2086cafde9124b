import type { MetricName, MetricValues, QrelMap, Run, ScoredPassage } from '../types.js';

export const ALL_METRICS: readonly MetricName[] = ['hit', 'ndcg', 'mrr', 'recall'];

/** Hit@k: 1 when any relevant passage is in the top k. */
export function hitAt(ranking: ScoredPassage[], judged: Record<string, number>, k: number): number {
  return ranking.slice(0, k).some((h) => (judged[h.docId] ?? 0) > 0) ? 1 : 0;
}

/** MRR@k: reciprocal rank of the first relevant passage within the top k, else 0. */
export function mrrAt(ranking: ScoredPassage[], judged: Record<string, number>, k: number): number {
  const top = ranking.slice(0, k);
  for (let i = 0; i < top.length; i++) if ((judged[top[i]!.docId] ?? 0) > 0) return 1 / (i + 1);
  return 0;
}

/** Recall@k: share of the relevant passages found in the top k. */
export function recallAt(ranking: ScoredPassage[], judged: Record<string, number>, k: number): number {
  const relevant = Object.values(judged).filter((r) => r > 0).length;
  if (relevant === 0) return 0;
  return ranking.slice(0, k).filter((h) => (judged[h.docId] ?? 0) > 0).length / relevant;
}

/**
 * nDCG@k with gain = relevance grade and a log2(rank + 1) discount, as trec_eval and pytrec_eval (and so
 * BEIR) compute it; the ideal ranking orders all judged relevant passages by grade.
 */
export function ndcgAt(ranking: ScoredPassage[], judged: Record<string, number>, k: number): number {
  let dcg = 0;
  ranking.slice(0, k).forEach((h, i) => {
    const rel = judged[h.docId] ?? 0;
    if (rel > 0) dcg += rel / Math.log2(i + 2);
  });
  const ideal = Object.values(judged)
    .filter((r) => r > 0)
    .sort((a, b) => b - a)
    .slice(0, k);
  const idcg = ideal.reduce((sum, rel, i) => sum + rel / Math.log2(i + 2), 0);
  return idcg > 0 ? dcg / idcg : 0;
}

const METRIC_FUNCTIONS: Record<MetricName, (r: ScoredPassage[], j: Record<string, number>, k: number) => number> = {
  hit: hitAt,
  ndcg: ndcgAt,
  mrr: mrrAt,
  recall: recallAt,
};

export interface RunEvaluation {
  aggregate: MetricValues;
  perQuery: Record<string, MetricValues>;
}

/**
 * Scores a run against qrels. Queries without any relevant judgement are left out, as BEIR does: they
 * cannot be answered and would only dilute the mean. A judged query missing from the run scores 0.
 */
export function evaluateRun(run: Run, qrels: QrelMap, opts: { k: number; metrics?: readonly MetricName[] }): RunEvaluation {
  const metrics = opts.metrics ?? ALL_METRICS;
  const perQuery: Record<string, MetricValues> = {};
  const sums: MetricValues = {};
  const keys = metrics.map((m) => `${m}@${opts.k}`);
  for (const key of keys) sums[key] = 0;
  let n = 0;
  for (const [queryId, judged] of Object.entries(qrels)) {
    if (!Object.values(judged).some((r) => r > 0)) continue;
    const ranking = run[queryId] ?? [];
    const values: MetricValues = {};
    metrics.forEach((m, i) => {
      values[keys[i]!] = METRIC_FUNCTIONS[m](ranking, judged, opts.k);
      sums[keys[i]!]! += values[keys[i]!]!;
    });
    perQuery[queryId] = values;
    n++;
  }
  const aggregate: MetricValues = {};
  for (const key of keys) aggregate[key] = n > 0 ? sums[key]! / n : 0;
  return { aggregate, perQuery };
}
