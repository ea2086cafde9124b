import type { ScoredPassage, SearchMethod } from '../contract/types.js';
import type { CollectionIndex } from './collection-index.js';
import { retrieverFor, type Retriever, type RetrievalQuery, type TokenIndexKind } from './retriever.js';
import './bm25.js';
import './compressed-maxsim.js';
import './exact-maxsim.js';
import './hybrid.js';
import './svr.js';

export interface PlannedList {
  method: SearchMethod;
  hits: ScoredPassage[];
  millis: number;
}

/**
 * Runs the requested methods for one query, each retriever once: a method asked for directly and fused by
 * another (mvr and bm25 under hybrid) is computed at the deeper of the two depths and cut for its own list.
 * Vector retrievers are skipped (left out of the result) when the query has no vectors.
 */
export async function runSearchPlan(
  index: CollectionIndex,
  query: RetrievalQuery,
  methods: readonly SearchMethod[],
  k: number,
  tokenIndex: TokenIndexKind = 'exact',
): Promise<Map<SearchMethod, PlannedList>> {
  const depth = new Map<SearchMethod, number>();
  const want = (method: SearchMethod, d: number) => depth.set(method, Math.max(depth.get(method) ?? 0, d));
  const runnable = (r: Retriever) => r.needs === 'text' || query.encoded !== null;
  for (const method of methods) {
    const r = retrieverFor(method, tokenIndex);
    if (!runnable(r)) continue;
    want(method, k);
    for (const input of r.fuses ?? []) want(input, r.fusionDepth?.(k, query) ?? k);
  }
  const full = new Map<SearchMethod, PlannedList>();
  // Fusing retrievers run after the lists they fuse.
  const order = [...depth.keys()].sort((a, b) => Number(!!retrieverFor(a, tokenIndex).fuses) - Number(!!retrieverFor(b, tokenIndex).fuses));
  for (const method of order) {
    const r = retrieverFor(method, tokenIndex);
    const started = performance.now();
    const fused = new Map((r.fuses ?? []).map((m) => [m, full.get(m)?.hits ?? []] as const));
    const hits = await index.busyWhile(() => r.retrieve(index, query, depth.get(method)!, fused));
    full.set(method, { method, hits, millis: performance.now() - started });
  }
  const out = new Map<SearchMethod, PlannedList>();
  for (const method of methods) {
    const list = full.get(method);
    if (list) out.set(method, { ...list, hits: list.hits.slice(0, k) });
  }
  return out;
}
