import type { FusionInfo, PoolingKind, TokenIndexKind } from '../contract/api.js';
import type { EncodedText, ScoredPassage, SearchMethod } from '../contract/types.js';
import type { CollectionIndex } from './collection-index.js';
import type { QueryScoring } from './query-scoring.js';

/** One query as every retriever sees it. */
export interface RetrievalQuery {
  text: string;
  /** The query's token vectors from the collection's own model; null when no model can run. */
  encoded: EncodedText | null;
  /** Leave punctuation out of the document side of MaxSim. */
  skipPunctuation: boolean;
  /** Whether MaxSim weighs query tokens as the model says (query-scoring.ts). */
  queryScoring: QueryScoring;
  /** How hybrid fuses (resolved from the request and the model by the service). */
  fusion: FusionInfo;
  /** Which single vectors SVR compares: the collection stores one kind, and the query must use the same. */
  pooling: PoolingKind;
}

/** Everything about a query but the query: one request's scoring choices, resolved. */
export type RetrievalOptions = Omit<RetrievalQuery, 'text' | 'encoded'>;

/** Token-vector index kinds a collection may have (`exact` always exists once a collection is indexed): the contract's. */
export type { TokenIndexKind };

/**
 * A way of ranking a collection's passages (in the spirit of PyLate's `indexes/base.py`): exact MaxSim,
 * BM25, SVR and hybrid fusion each implement it and register under their method's name; the search plan
 * (plan.ts) only ever talks to this interface.
 */
export interface Retriever {
  readonly method: SearchMethod;
  /** Which token index serves it; absent for retrievers that use none (BM25, fusion). */
  readonly tokenIndex?: TokenIndexKind;
  /** `vectors` retrievers need the query encoded by the collection's model. */
  readonly needs: 'text' | 'vectors';
  /** Methods whose ranked lists this one combines; the plan computes each once per request and hands them in. */
  readonly fuses?: readonly SearchMethod[];
  /** How deep each fused list must go for a final top-k. */
  fusionDepth?(k: number, query: RetrievalQuery): number;
  /** The best `depth` passages, best first, ranks 1-based. */
  retrieve(index: CollectionIndex, query: RetrievalQuery, depth: number, fused: ReadonlyMap<SearchMethod, ScoredPassage[]>): Promise<ScoredPassage[]>;
}

const registry = new Map<string, Retriever>();
const key = (method: SearchMethod, tokenIndex?: TokenIndexKind) => (tokenIndex ? `${method}@${tokenIndex}` : method);

/** Adds a retriever; one per method (and per token index kind for methods that use one). */
export function registerRetriever(retriever: Retriever): void {
  const k = key(retriever.method, retriever.tokenIndex);
  if (registry.has(k)) throw new Error(`a retriever for ${k} is already registered`);
  registry.set(k, retriever);
}

/** The retriever for a method on a collection whose preferred token index is `tokenIndex`, falling back to exact. */
export function retrieverFor(method: SearchMethod, tokenIndex: TokenIndexKind = 'exact'): Retriever {
  const found = registry.get(key(method, tokenIndex)) ?? registry.get(key(method, 'exact')) ?? registry.get(key(method));
  if (!found) throw new Error(`no retriever registered for ${method}`);
  return found;
}

export function registeredRetrievers(): Retriever[] {
  return [...registry.values()];
}
