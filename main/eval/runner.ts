import type { EvaluationReport, OperationControl, PerQueryMetrics, SignificanceResult } from '../contract/api.js';
import type { TokenEncoder } from '../encoders/onnx-encoder.js';
import { throwIfAborted } from '../contract/errors.js';
import type { CollectionIndex } from '../retrievers/collection-index.js';
import { runSearchPlan } from '../retrievers/plan.js';
import { retrieverFor, type RetrievalOptions, type TokenIndexKind } from '../retrievers/retriever.js';
import type { MetricValues, Query, QrelMap, Run, SearchMethod } from '../contract/types.js';
import { evaluateRun } from './metrics.js';
import { holmAdjust, pairedRandomizationTest } from './significance.js';
import { formatTrecRun } from './trec.js';

export interface EvaluationInput {
  collection: string;
  split: string;
  queries: Query[];
  qrels: QrelMap;
  methods: SearchMethod[];
  k: number;
  baseline: SearchMethod;
  encoder: TokenEncoder | null;
  unavailableReason: string | null;
  index: CollectionIndex;
  /** Which token index ranks MVR (and what hybrid fuses). */
  tokenIndex?: TokenIndexKind;
  /** Punctuation skipping, query scoring, fusion and pooling, the same for every query. */
  options: RetrievalOptions;
  ctl?: OperationControl;
}

/**
 * Runs every judged query through every method, then scores the runs: aggregate metrics (the paper's
 * Table 1 columns plus Recall@k), per-query values, paired randomization tests against the baseline on
 * nDCG@k, and TREC run files. Evaluation as data: the CLI prints it, the UI charts it, tests assert on it.
 */
export async function evaluateCollection(input: EvaluationInput): Promise<EvaluationReport> {
  const started = performance.now();
  const judged = input.queries.filter((q) => Object.values(input.qrels[q.id] ?? {}).some((rel) => rel > 0));
  const methods = input.methods.filter((m) => retrieverFor(m).needs === 'text' || input.encoder);
  const unavailable: EvaluationReport['unavailable'] = {};
  for (const m of input.methods) if (!methods.includes(m)) unavailable[m] = input.unavailableReason ?? 'no model';

  input.ctl?.onProgress?.({ phase: 'encoding queries', done: 0, total: judged.length });
  const needsVectors = methods.some((m) => retrieverFor(m).needs === 'vectors');
  const encoded = input.encoder && needsVectors ? await input.encoder.encodeQueries(judged.map((q) => q.text), { signal: input.ctl?.signal }) : null;

  // Query by query, every method at once: hybrid fuses the MVR and BM25 lists of the same query.
  const runs: Partial<Record<SearchMethod, Run>> = Object.fromEntries(methods.map((m) => [m, {}]));
  for (let i = 0; i < judged.length; i++) {
    throwIfAborted(input.ctl?.signal, 'evaluation');
    const q = judged[i]!;
    const lists = await runSearchPlan(input.index, { text: q.text, encoded: encoded?.[i] ?? null, ...input.options }, methods, input.k, input.tokenIndex);
    for (const method of methods) runs[method]![q.id] = lists.get(method)?.hits ?? [];
    if ((i + 1) % 8 === 0 || i + 1 === judged.length) input.ctl?.onProgress?.({ phase: 'scoring', done: i + 1, total: judged.length });
  }

  const aggregates: EvaluationReport['methods'] = {};
  const perQueryByMethod: Partial<Record<SearchMethod, Record<string, MetricValues>>> = {};
  for (const method of methods) {
    const result = evaluateRun(runs[method]!, input.qrels, { k: input.k });
    aggregates[method] = result.aggregate;
    perQueryByMethod[method] = result.perQuery;
  }

  const perQuery: PerQueryMetrics[] = judged.map((q) => ({
    queryId: q.id,
    query: q.text,
    values: Object.fromEntries(methods.map((m) => [m, perQueryByMethod[m]![q.id] ?? {}])),
  }));

  // Every metric of the report, each method against the baseline, corrected as one family.
  const TRIALS = 10_000;
  const metrics = [`hit@${input.k}`, `ndcg@${input.k}`, `mrr@${input.k}`, `recall@${input.k}`];
  const raw: Array<Omit<SignificanceResult, 'adjustedPValue'>> = [];
  if (methods.includes(input.baseline)) {
    for (const metric of metrics) {
      const base = judged.map((q) => perQueryByMethod[input.baseline]![q.id]?.[metric] ?? 0);
      for (const method of methods) {
        if (method === input.baseline) continue;
        const other = judged.map((q) => perQueryByMethod[method]![q.id]?.[metric] ?? 0);
        const test = pairedRandomizationTest(other, base, { seed: 13, trials: TRIALS });
        raw.push({ method, baseline: input.baseline, metric, meanDifference: test.meanDifference, pValue: test.pValue });
      }
    }
  }
  const adjusted = holmAdjust(raw.map((r) => r.pValue));
  const significance: SignificanceResult[] = raw.map((r, i) => ({ ...r, adjustedPValue: adjusted[i]! }));

  return {
    collection: input.collection,
    split: input.split,
    k: input.k,
    queries: judged.length,
    methods: aggregates,
    unavailable,
    perQuery,
    significance,
    significanceMethod: {
      test: `two-sided paired randomization test (${TRIALS.toLocaleString('en')} sign flips, seed 13)`,
      trials: TRIALS,
      correction: 'Holm–Bonferroni over every method × metric comparison',
      comparisons: significance.length,
    },
    runs: Object.fromEntries(methods.map((m) => [m, formatTrecRun(runs[m]!, `saegim-${m}`)])),
    seconds: (performance.now() - started) / 1000,
    ...(methods.some((m) => m === 'mvr' || m === 'hybrid') ? { queryScoring: input.options.queryScoring, tokenIndex: input.tokenIndex ?? 'exact' } : {}),
    ...(methods.includes('hybrid') ? { fusion: input.options.fusion } : {}),
    ...(methods.includes('svr') ? { pooling: input.options.pooling } : {}),
  };
}
