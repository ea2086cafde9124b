/**
 * Domain types shared by every part of the engine. The service API (api.ts) builds its
 * request and response types from these; the renderer imports them as types only.
 */

/** A retrievable unit of text: a KorQuAD paragraph, a BEIR corpus row, a .txt file. */
export interface Passage {
  id: string;
  title?: string;
  text: string;
}

export interface Query {
  id: string;
  text: string;
}

/** One relevance judgement; `relevance` > 0 means relevant (graded qrels keep their grade). */
export interface Qrel {
  queryId: string;
  docId: string;
  relevance: number;
  /** BEIR split the judgement came from (`test`, `dev`, `train`); single-split formats use `test`. */
  split: string;
}

export type DatasetFormat = 'squad' | 'beir' | 'jsonl' | 'txt';

/** Where a bad record sits, so the user can open the file at that line. */
export interface SourceLocation {
  file: string;
  /** 1-based line number; 0 when the format has no meaningful line (a whole-file problem). */
  line: number;
  /** JSON path or column of the offending field, when known (`data[3].paragraphs[0].context`). */
  field?: string;
}

export interface ImportIssue extends SourceLocation {
  reason: string;
}

/** A dataset read from disk and validated, not yet written anywhere. */
export interface ParsedDataset {
  format: DatasetFormat;
  /** Suggested collection name (folder or file stem). */
  name: string;
  /** Absolute path the dataset was read from. */
  source: string;
  passages: Passage[];
  queries: Query[];
  qrels: Qrel[];
  /** Records left out because of `skipBad`. Empty when the import was strict. */
  skipped: ImportIssue[];
  /** Counted, not fatal: reported to the user after import. */
  stats: {
    emptyPassages: number;
    qrelsWithUnknownQuery: number;
    qrelsWithUnknownPassage: number;
    duplicatePassagesMerged: number;
  };
}

/** Per-token vectors of one text, row-major `[length, dim]`. */
export interface TokenVectors {
  length: number;
  dim: number;
  data: Float32Array;
}

/** Token strings and character offsets `[start, end)` into the original text, aligned with vectors. */
export interface TokenSpans {
  tokens: string[];
  offsets: Array<[number, number]>;
  /** Token ids from the tokenizer, aligned with `tokens`. */
  ids: number[];
}

/** The encoder's output for one text: vectors plus where each vector's token sits in the text. */
export interface EncodedText extends TokenSpans {
  vectors: TokenVectors;
  /**
   * What each token is, where a model adds tokens of its own: `marker` (ColBERT's [Q]/[D]), `augment`
   * (query padding with [MASK]), `special` ([CLS]/[SEP] whose vectors are kept). Absent: all text.
   */
  roles?: Array<'text' | 'special' | 'marker' | 'augment'>;
  /**
   * Each token's weight in the MaxSim sum, for queries of a model with a query skiplist or token weights:
   * 0 for a skiplisted token, the model's weight otherwise. Absent: every token weighs 1.
   */
  weights?: number[];
  /** The model's own single vector for the text (encoder.json `pooledOutput`), unit length. */
  pooled?: Float32Array;
}

/** The retrieval methods the API offers; the engine registers one retriever for each (main/retrievers). */
export const SEARCH_METHODS = ['mvr', 'bm25', 'svr', 'hybrid'] as const;
export type SearchMethod = (typeof SEARCH_METHODS)[number];

export interface ScoredPassage {
  docId: string;
  score: number;
  /** 1-based rank within its method's list. */
  rank: number;
}

/** A ranking per query: `run[queryId]` is ordered best first. */
export type Run = Record<string, ScoredPassage[]>;

/** `qrels[queryId][docId] = relevance`. */
export type QrelMap = Record<string, Record<string, number>>;

export type MetricName = 'hit' | 'ndcg' | 'mrr' | 'recall';

/** Per-method aggregate metrics keyed like `ndcg@10`. */
export type MetricValues = Record<string, number>;

export type VectorPrecision = 'fp16' | 'fp32';

export type ExecutionProvider = 'cpu' | 'cuda';
