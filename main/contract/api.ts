/**
 * The service contract: request and response types of every operation the app offers.
 * The CLI, the HTTP server, Electron IPC, the renderer's API client and the tests all speak it.
 * Types only — no runtime imports — so the renderer can import this file safely. Request types are the
 * schemas' (schemas.ts); the API itself is the method table (methods.ts).
 */
import type { z } from 'zod';
import type { ProjectionSpec } from './projection.js';
import type {
  AblationRequestSchema,
  EvaluateRequestSchema,
  ExplainRequestSchema,
  ImportRequestSchema,
  IndexRequestSchema,
  ListEvaluationsSchema,
  ListQueriesSchema,
  SearchRequestSchema,
  SettingsPatchSchema,
} from './schemas.js';
import type {
  DatasetFormat,
  ExecutionProvider,
  ImportIssue,
  MetricValues,
  SearchMethod,
  VectorPrecision,
} from './types.js';

export interface Progress {
  /** What is happening: `reading`, `encoding`, `writing`, `scoring`, … */
  phase: string;
  done: number;
  total: number;
  message?: string;
}

/** Passed to long operations: progress events out, cancellation in. */
export interface OperationControl {
  onProgress?: (progress: Progress) => void;
  signal?: AbortSignal;
}

export type ImportRequest = z.input<typeof ImportRequestSchema>;
export type IndexRequest = z.input<typeof IndexRequestSchema>;
export type SearchRequest = z.input<typeof SearchRequestSchema>;
export type ExplainRequest = z.input<typeof ExplainRequestSchema>;
export type AblationRequest = z.input<typeof AblationRequestSchema>;
export type EvaluateRequest = z.input<typeof EvaluateRequestSchema>;
export type SettingsPatch = z.input<typeof SettingsPatchSchema>;
export type ListEvaluationsRequest = z.input<typeof ListEvaluationsSchema>;
export type ListQueriesRequest = z.input<typeof ListQueriesSchema>;

export type { SaegimApi, MethodName, LongMethod } from './methods.js';

export interface ModelSummary {
  name: string;
  dir: string;
  fingerprint: string;
  dim: number;
  maxLength: number;
  architecture?: string;
}

export interface CollectionSummary {
  name: string;
  format: DatasetFormat;
  source: string;
  createdAt: string;
  passages: number;
  queries: number;
  qrels: number;
  splits: string[];
  /** Queries and qrels per split: a collection's test split may judge fewer queries than it holds. */
  splitCounts: Record<string, SplitCounts>;
  /** Passages with token vectors for the model below. */
  indexed: number;
  model: ModelSummary | null;
  /** Bytes used by token vectors and postings. */
  indexBytes: number;
  precision: VectorPrecision | null;
  /** The compressed token index, when one was built. */
  compressed: CompressedIndexSummary | null;
}

export interface CompressedIndexSummary {
  passages: number;
  tokens: number;
  bytes: number;
  bytesPerToken: number;
  nbits: number;
  centroids: number;
  /** The width reduction stored with the index (the stored vectors are `dim` wide), or null. */
  projection: ProjectionSpec | null;
  /** False when passages were indexed or removed since it was last brought up to date (`saegim index --index compressed`). */
  current: boolean;
}

export interface ImportReport {
  collection: string;
  format: DatasetFormat;
  passages: number;
  queries: number;
  qrels: number;
  skipped: ImportIssue[];
  emptyPassages: number;
  qrelsWithUnknownQuery: number;
  qrelsWithUnknownPassage: number;
  duplicatePassagesMerged: number;
}

export interface IndexReport {
  collection: string;
  model: ModelSummary;
  /** Passages encoded by this call (0 when the index was already complete). */
  encoded: number;
  /** Passages that were already indexed before this call (resumed work). */
  alreadyIndexed: number;
  totalIndexed: number;
  seconds: number;
  tokensPerSecond: number;
  executionProvider: ExecutionProvider;
  /** The compressed index as this call left it, when one was asked for or already existed. */
  compressed?: CompressedIndexSummary;
}

export interface SearchHit {
  docId: string;
  rank: number;
  score: number;
  title?: string;
  /** The passage, cut to the request's `snippetChars` (default 1,000) with a closing `…` when longer. */
  text: string;
  /** True when `text` is a cut of a longer passage. */
  truncated?: boolean;
  /** The whole passage's length in characters. */
  textLength?: number;
}

export interface MethodResult {
  method: SearchMethod;
  hits: SearchHit[];
  /** Why the method returned nothing (no model, collection not indexed, …). */
  unavailable?: string;
  millis: number;
  /**
   * Set when MVR ranked with the compressed index: its candidates came from centroid codes and were scored by
   * exact MaxSim on their stored vectors, so a passage outside the candidates is not ranked.
   */
  tokenIndex?: TokenIndexKind;
  /** hybrid: how the lists were fused. */
  fusion?: FusionInfo;
  /** svr: where the single vectors come from. */
  pooling?: PoolingKind;
}

/**
 * How `hybrid` combined MVR and BM25. `rrf`: Σ 1/(k + rank). `wsum`: each list's scores min-max normalised
 * over its top `depth`, then w_mvr·mm(mvr) + w_bm25·mm(bm25), a passage missing from a list adding 0 (ranx's
 * `wsum`); `source` says whether the weights were the model's (chosen on its training data) or the default.
 */
export type FusionInfo =
  | { method: 'rrf'; k: number; depth: number }
  | { method: 'wsum'; norm: 'min-max'; depth: number; weights: { mvr: number; bm25: number }; source: 'model' | 'default'; chosenOn?: string };

/** `model`: the collection's model's query skiplist and token weights; `plain`: every query token weighs 1. */
export type QueryScoring = 'model' | 'plain';

/** `auto`: the model's recorded fusion, RRF when it has none. */
export type FusionChoice = 'auto' | 'rrf' | 'wsum';

/** `model`: the model's pooled output (trained as one vector); `mean`: the re-normalised mean of the token vectors. */
export type PoolingKind = 'model' | 'mean';

export interface SearchResponse {
  collection: string;
  query: string;
  results: MethodResult[];
}

export interface TokenInfo {
  text: string;
  start: number;
  end: number;
  /** True when MaxSim ignores this token (document-side punctuation with skipPunctuation, or a query token weighted 0). */
  skipped?: boolean;
  /** Query tokens, when the model weights them: the factor on this token's best similarity in the score. */
  weight?: number;
  /**
   * What put the token there, when the model adds tokens of its own: a marker ([Q]/[D]), query
   * augmentation ([MASK] padding) or a kept special token. Absent for plain text tokens.
   */
  role?: 'special' | 'marker' | 'augment';
}

/**
 * Everything needed to draw an alignment: `similarity[i][j]` is E_q[i]·E_d[j]; `best[i]` is the
 * document token that query token i picks; `contributions[i]` = similarity[i][best[i]], and they
 * sum to `score` (the paper's Eq. 1).
 */
export interface Explanation {
  collection: string;
  docId: string;
  query: string;
  queryText: string;
  docText: string;
  docTitle?: string;
  queryTokens: TokenInfo[];
  docTokens: TokenInfo[];
  similarity: number[][];
  best: number[];
  contributions: number[];
  score: number;
  rank: number | null;
  /**
   * How the score was summed: `model` weights each query token as `queryTokens[i].weight` says
   * (contributions[i] = weight · similarity[i][best[i]]), `plain` weighs every token 1.
   */
  queryScoring?: QueryScoring;
  /**
   * Where BM25's terms for the query (Hangul character bigrams, whole words otherwise) occur in `docText`,
   * merged `[start, end)` spans: what the lexical match and MaxSim can be seen to agree on.
   */
  lexicalMatches?: Array<{ start: number; end: number }>;
}

export interface AblationResult {
  docId: string;
  score: number;
  rank: number | null;
  originalScore: number;
  originalRank: number | null;
}

export interface PerQueryMetrics {
  queryId: string;
  query: string;
  /** `values[method]['ndcg@10']`. */
  values: Record<string, MetricValues>;
}

export interface SignificanceResult {
  method: SearchMethod;
  baseline: SearchMethod;
  metric: string;
  meanDifference: number;
  /** Two-sided p of the paired randomization test, for this comparison alone. */
  pValue: number;
  /** p after Holm–Bonferroni correction over every comparison of the report (methods × metrics). */
  adjustedPValue: number;
}

/** How the report's p-values were computed, named so a reader can cite them. */
export interface SignificanceMethod {
  test: string;
  trials: number;
  correction: string;
  /** Comparisons in the corrected family. */
  comparisons: number;
}

/** A saved evaluation as listed: enough to pick one to reopen. */
export interface EvaluationSummary {
  id: number;
  collection: string;
  createdAt: string;
  split: string;
  k: number;
  queries: number;
  methods: SearchMethod[];
  seconds: number;
}

/** One query of a collection, with its relevant passages per split (for the query browser and qrels marks). */
export interface QueryEntry {
  id: string;
  text: string;
  /** `relevant[split]` = ids of passages judged relevant (> 0) in that split. */
  relevant: Record<string, string[]>;
}

export interface SplitCounts {
  /** Queries with at least one judgement in the split. */
  queries: number;
  qrels: number;
}

export interface EvaluationReport {
  /** Set when the report was saved (every finished evaluation is). */
  id?: number;
  collection: string;
  split: string;
  k: number;
  queries: number;
  methods: Partial<Record<SearchMethod, MetricValues>>;
  unavailable: Partial<Record<SearchMethod, string>>;
  perQuery: PerQueryMetrics[];
  significance: SignificanceResult[];
  significanceMethod: SignificanceMethod;
  /** TREC run text per method (`qid Q0 docid rank score tag`). */
  runs: Partial<Record<SearchMethod, string>>;
  seconds: number;
  /** How MaxSim weighed query tokens in this run (absent in reports saved before it was recorded). */
  queryScoring?: QueryScoring;
  /** How hybrid fused, when it ran. */
  fusion?: FusionInfo;
  /** Where SVR's vectors came from, when it ran. */
  pooling?: PoolingKind;
  /** The token index MVR (and hybrid's MVR list) ranked with, when either ran. */
  tokenIndex?: TokenIndexKind;
}

/** The exact scan of every passage, or the compressed index (candidates, then exact MaxSim on them). */
export type TokenIndexKind = 'exact' | 'compressed';

export interface Settings {
  modelDir: string | null;
  executionProvider: ExecutionProvider;
  threads: number;
  precision: VectorPrecision;
  /** Memory the engine keeps collections' in-memory indexes within, least recently used released first (MiB). */
  cacheBudgetMb: number;
}

export interface ModelValidation {
  ok: boolean;
  dir: string;
  model?: ModelSummary;
  error?: string;
}

export interface EngineInfo {
  version: string;
  dbPath: string;
  settings: Settings;
  model: ModelSummary | null;
  /** Why MVR/SVR are unavailable, when no usable model is configured. */
  modelProblem: string | null;
  executionProviders: ExecutionProvider[];
  activeExecutionProvider: ExecutionProvider;
  /** First-run work (importing and indexing the bundled demo corpus), while it runs and after. */
  bootstrap: BootstrapState | null;
}

export interface BootstrapState {
  state: 'running' | 'done' | 'failed';
  collection: string;
  progress: Progress | null;
  error?: string;
}
