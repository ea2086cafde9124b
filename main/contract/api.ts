/**
 * The service contract: request and response types of every operation the app offers.
 * The CLI, the HTTP server, Electron IPC, the renderer's API client and the tests all speak it.
 * Types only — no runtime imports — so the renderer can import this file safely.
 */
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
  /** Passages with token vectors for the model below. */
  indexed: number;
  model: ModelSummary | null;
  /** Bytes used by token vectors and postings. */
  indexBytes: number;
  precision: VectorPrecision | null;
}

export interface ImportRequest {
  path: string;
  format?: DatasetFormat | 'auto';
  name?: string;
  skipBad?: boolean;
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

export interface IndexRequest {
  collection: string;
  /** Model folder; defaults to the configured or bundled model. */
  model?: string;
  precision?: VectorPrecision;
  batchSize?: number;
  /** Drop existing vectors first (needed to switch a collection to another model). */
  rebuild?: boolean;
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
}

export interface SearchRequest {
  collection: string;
  query: string;
  methods?: SearchMethod[];
  k?: number;
  /** Leave punctuation tokens out of the document side of MaxSim. */
  skipPunctuation?: boolean;
}

export interface SearchHit {
  docId: string;
  rank: number;
  score: number;
  title?: string;
  text: string;
}

export interface MethodResult {
  method: SearchMethod;
  hits: SearchHit[];
  /** Why the method returned nothing (no model, collection not indexed, …). */
  unavailable?: string;
  millis: number;
}

export interface SearchResponse {
  collection: string;
  query: string;
  results: MethodResult[];
}

export interface ExplainRequest {
  collection: string;
  query: string;
  docId: string;
  skipPunctuation?: boolean;
}

export interface TokenInfo {
  text: string;
  start: number;
  end: number;
  /** True when MaxSim ignores this token (document-side punctuation with skipPunctuation). */
  skipped?: boolean;
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
}

export interface AblationRequest extends ExplainRequest {
  /** Query token positions to leave out of the sum. */
  dropQueryTokens: number[];
}

export interface AblationResult {
  docId: string;
  score: number;
  rank: number | null;
  originalScore: number;
  originalRank: number | null;
}

export interface EvaluateRequest {
  collection: string;
  methods?: SearchMethod[];
  k?: number;
  split?: string;
  /** Compare every method against this one with a paired randomization test (default bm25). */
  baseline?: SearchMethod;
  skipPunctuation?: boolean;
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
  pValue: number;
}

export interface EvaluationReport {
  collection: string;
  split: string;
  k: number;
  queries: number;
  methods: Partial<Record<SearchMethod, MetricValues>>;
  unavailable: Partial<Record<SearchMethod, string>>;
  perQuery: PerQueryMetrics[];
  significance: SignificanceResult[];
  /** TREC run text per method (`qid Q0 docid rank score tag`). */
  runs: Partial<Record<SearchMethod, string>>;
  seconds: number;
}

export interface Settings {
  modelDir: string | null;
  executionProvider: ExecutionProvider;
  threads: number;
  precision: VectorPrecision;
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

/**
 * The one API. Every method validates its input (it may be called over IPC or HTTP) and throws
 * SaegimError with a code on bad input.
 */
export interface SaegimApi {
  info(): Promise<EngineInfo>;
  listCollections(): Promise<CollectionSummary[]>;
  importDataset(req: ImportRequest, ctl?: OperationControl): Promise<ImportReport>;
  deleteCollection(name: string): Promise<void>;
  indexCollection(req: IndexRequest, ctl?: OperationControl): Promise<IndexReport>;
  search(req: SearchRequest): Promise<SearchResponse>;
  explain(req: ExplainRequest): Promise<Explanation>;
  ablate(req: AblationRequest): Promise<AblationResult>;
  evaluate(req: EvaluateRequest, ctl?: OperationControl): Promise<EvaluationReport>;
  getSettings(): Promise<Settings>;
  updateSettings(patch: Partial<Settings>): Promise<Settings>;
  validateModel(dir: string): Promise<ModelValidation>;
}

/** Operations that report progress and can be cancelled; transports run these as jobs. */
export const LONG_OPERATIONS = ['importDataset', 'indexCollection', 'evaluate'] as const;
export type LongOperation = (typeof LONG_OPERATIONS)[number];
