import type { FusionInfo, PoolingKind, QueryScoring, TokenIndexKind } from './api.js';

/** One line on how hybrid fused, the same in the CLI and the app. */
export function describeFusion(f: FusionInfo): string {
  if (f.method === 'rrf') return `RRF (k = ${f.k}) over each list's top ${f.depth}`;
  const from = f.source === 'model' ? `weights from the model${f.chosenOn ? `, chosen on ${f.chosenOn}` : ''}` : 'equal default weights';
  return `wsum ${f.weights.mvr}·MVR + ${f.weights.bm25}·BM25 of min-max normalised scores over each list's top ${f.depth} (${from})`;
}

export function describePooling(p: PoolingKind): string {
  return p === 'model' ? "the model's pooled output" : 'the mean of the token vectors';
}

export function describeQueryScoring(s: QueryScoring): string {
  return s === 'model' ? "the model's query token weights" : 'every query token weighs 1';
}

/** Which token index ranked MVR, and what that means for the scores shown. */
export function describeTokenIndex(kind: TokenIndexKind): string {
  return kind === 'compressed'
    ? 'compressed index: candidates from centroid codes, then exact MaxSim on them'
    : 'exact scan of every passage';
}
