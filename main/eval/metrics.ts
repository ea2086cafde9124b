import { SaegimError } from '../contract/errors.js';
import type { MetricName, MetricValues, QrelMap, Run, ScoredPassage } from '../contract/types.js';

/**
 * Per-query retrieval metrics cut at k, computed as trec_eval and pytrec_eval (and so BEIR) compute them.
 * A ranking is read in array order (the engine's runs are already best first; trec_eval would re-sort by
 * score). A judgement with relevance ≤ 0 is not relevant, like trec_eval's default relevance level of 1.
 * A passage listed twice counts only at its first place, so a duplicate cannot push a metric above 1.
 */

export const ALL_METRICS: readonly MetricName[] = ['hit', 'ndcg', 'mrr', 'recall'];

/** `judged[docId] = relevance` for one query. */
export type Judgements = Record<string, number>;

/** Relevance of each of the first k distinct passages, in rank order (0 where unjudged or not relevant). */
function gainsAt(ranking: readonly ScoredPassage[], judged: Judgements, k: number): number[] {
  const gains: number[] = [];
  const seen = new Set<string>();
  for (const hit of ranking) {
    if (gains.length >= k) break;
    if (seen.has(hit.docId)) continue;
    seen.add(hit.docId);
    const rel = Object.hasOwn(judged, hit.docId) ? judged[hit.docId]! : 0;
    gains.push(rel > 0 ? rel : 0);
  }
  return gains;
}

function relevantGrades(judged: Judgements): number[] {
  return Object.values(judged).filter((rel) => rel > 0);
}

/** Hit@k (trec_eval's success@k): 1 when any relevant passage is in the top k. */
export function hitAt(ranking: readonly ScoredPassage[], judged: Judgements, k: number): number {
  return gainsAt(ranking, judged, k).some((g) => g > 0) ? 1 : 0;
}

/** MRR@k: reciprocal rank of the first relevant passage within the top k, else 0. */
export function mrrAt(ranking: readonly ScoredPassage[], judged: Judgements, k: number): number {
  const first = gainsAt(ranking, judged, k).findIndex((g) => g > 0);
  return first < 0 ? 0 : 1 / (first + 1);
}

/** Recall@k: share of all the query's relevant passages found in the top k. */
export function recallAt(ranking: readonly ScoredPassage[], judged: Judgements, k: number): number {
  const relevant = relevantGrades(judged).length;
  if (relevant === 0) return 0;
  return gainsAt(ranking, judged, k).filter((g) => g > 0).length / relevant;
}

/**
 * nDCG@k (Järvelin & Kekäläinen, 2002, in trec_eval's form): DCG = Σ_{i=1..k} rel_i / log2(i + 1) with
 * gain = the relevance grade itself (not 2^rel − 1), normalised by the DCG of the ideal ranking, which
 * orders every judged relevant passage by grade, retrieved or not, and is cut at k too.
 */
export function ndcgAt(ranking: readonly ScoredPassage[], judged: Judgements, k: number): number {
  const dcg = gainsAt(ranking, judged, k).reduce((sum, g, i) => sum + g / Math.log2(i + 2), 0);
  const ideal = relevantGrades(judged)
    .sort((a, b) => b - a)
    .slice(0, k)
    .reduce((sum, g, i) => sum + g / Math.log2(i + 2), 0);
  return ideal > 0 ? dcg / ideal : 0;
}

const METRIC_FUNCTIONS: Record<MetricName, (ranking: readonly ScoredPassage[], judged: Judgements, k: number) => number> = {
  hit: hitAt,
  ndcg: ndcgAt,
  mrr: mrrAt,
  recall: recallAt,
};

/** The key a metric's value is stored under: `ndcg@10`. */
export function metricKey(metric: MetricName, k: number): string {
  return `${metric}@${k}`;
}

export interface RunEvaluation {
  /** Mean of each metric over the evaluated queries (0 when there are none). */
  aggregate: MetricValues;
  /** One entry per evaluated query: every query with at least one relevant judgement. */
  perQuery: Record<string, MetricValues>;
}

export interface EvaluationOptions {
  k: number;
  metrics?: readonly MetricName[];
}

/**
 * Scores a run against qrels. Queries without any relevant judgement are left out: they cannot be answered
 * and would only drag the mean down. Here Saegim departs from trec_eval and pytrec_eval (and so BEIR), which
 * score such a query 0 on every measure and count it, so their mean is lower when the qrels hold one. Run
 * queries absent from the qrels are ignored, as there. A judged query missing from the run scores 0 on
 * every metric and counts, as under trec_eval -c.
 */
export function evaluateRun(run: Run, qrels: QrelMap, opts: EvaluationOptions): RunEvaluation {
  const { k } = opts;
  if (!Number.isInteger(k) || k < 1) throw new SaegimError('bad-input', `metric cut-off k must be a positive integer, got ${k}`);
  const metrics = [...new Set(opts.metrics ?? ALL_METRICS)];
  for (const m of metrics) {
    if (!Object.hasOwn(METRIC_FUNCTIONS, m)) throw new SaegimError('bad-input', `unknown metric "${m}" (use ${ALL_METRICS.join(', ')})`);
  }
  const keys = metrics.map((m) => metricKey(m, k));
  const sums = new Array<number>(metrics.length).fill(0);
  const perQuery: Record<string, MetricValues> = {};
  let evaluated = 0;
  for (const [queryId, judged] of Object.entries(qrels)) {
    if (relevantGrades(judged).length === 0) continue;
    const ranking = Object.hasOwn(run, queryId) ? run[queryId]! : [];
    const values: MetricValues = {};
    metrics.forEach((m, i) => {
      const value = METRIC_FUNCTIONS[m](ranking, judged, k);
      values[keys[i]!] = value;
      sums[i]! += value;
    });
    perQuery[queryId] = values;
    evaluated++;
  }
  const aggregate: MetricValues = {};
  keys.forEach((key, i) => (aggregate[key] = evaluated > 0 ? sums[i]! / evaluated : 0));
  return { aggregate, perQuery };
}
