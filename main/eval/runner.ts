import type { EvaluationReport, OperationControl, PerQueryMetrics, SignificanceResult } from '../contract/api.js';
import type { TokenEncoder } from '../encoders/onnx-encoder.js';
import { throwIfAborted } from '../contract/errors.js';
import type { CollectionSearcher } from '../search/searcher.js';
import type { MetricValues, Query, QrelMap, Run, SearchMethod } from '../contract/types.js';
import { evaluateRun } from './metrics.js';
import { pairedRandomizationTest } from './significance.js';
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
  searcher: CollectionSearcher;
  skipPunctuation: boolean;
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
  const methods = input.methods.filter((m) => m === 'bm25' || input.encoder);
  const unavailable: EvaluationReport['unavailable'] = {};
  for (const m of input.methods) if (!methods.includes(m)) unavailable[m] = input.unavailableReason ?? 'no model';

  const total = judged.length * methods.length;
  let done = 0;
  input.ctl?.onProgress?.({ phase: 'encoding queries', done: 0, total: judged.length });
  const encoded = input.encoder && methods.some((m) => m !== 'bm25') ? await input.encoder.encodeQueries(judged.map((q) => q.text), { signal: input.ctl?.signal }) : null;

  const runs: Partial<Record<SearchMethod, Run>> = {};
  for (const method of methods) {
    const run: Run = {};
    for (let i = 0; i < judged.length; i++) {
      throwIfAborted(input.ctl?.signal, 'evaluation');
      const q = judged[i]!;
      run[q.id] = await input.searcher.search(method, q.text, encoded?.[i] ?? null, input.k, input.skipPunctuation);
      done++;
      if (done % 8 === 0 || done === total) input.ctl?.onProgress?.({ phase: `scoring ${method}`, done, total });
    }
    runs[method] = run;
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

  const metric = `ndcg@${input.k}`;
  const significance: SignificanceResult[] = [];
  if (methods.includes(input.baseline)) {
    const base = judged.map((q) => perQueryByMethod[input.baseline]![q.id]?.[metric] ?? 0);
    for (const method of methods) {
      if (method === input.baseline) continue;
      const other = judged.map((q) => perQueryByMethod[method]![q.id]?.[metric] ?? 0);
      const test = pairedRandomizationTest(other, base, { seed: 13 });
      significance.push({ method, baseline: input.baseline, metric, meanDifference: test.meanDifference, pValue: test.pValue });
    }
  }

  return {
    collection: input.collection,
    split: input.split,
    k: input.k,
    queries: judged.length,
    methods: aggregates,
    unavailable,
    perQuery,
    significance,
    runs: Object.fromEntries(methods.map((m) => [m, formatTrecRun(runs[m]!, `saegim-${m}`)])),
    seconds: (performance.now() - started) / 1000,
  };
}
