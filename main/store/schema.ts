/**
 * SQLite schema. Documents and queries keep an ordinal (`ord`) so vectors and postings can address them
 * by small integers; ids stay the user's own strings. Derived data (vectors, postings) can be rebuilt.
 */
/** 2: collections.generation, for caches in other processes. 3: vector_indexes.pooling. */
export const SCHEMA_VERSION = 3;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS collections (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  format TEXT NOT NULL,
  source TEXT NOT NULL,
  created_at TEXT NOT NULL,
  generation INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS documents (
  collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  ord INTEGER NOT NULL,
  doc_id TEXT NOT NULL,
  title TEXT,
  text TEXT NOT NULL,
  PRIMARY KEY (collection_id, ord),
  UNIQUE (collection_id, doc_id)
);
CREATE TABLE IF NOT EXISTS queries (
  collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  ord INTEGER NOT NULL,
  query_id TEXT NOT NULL,
  text TEXT NOT NULL,
  PRIMARY KEY (collection_id, ord),
  UNIQUE (collection_id, query_id)
);
CREATE TABLE IF NOT EXISTS qrels (
  collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  split TEXT NOT NULL,
  query_id TEXT NOT NULL,
  doc_id TEXT NOT NULL,
  relevance REAL NOT NULL,
  PRIMARY KEY (collection_id, split, query_id, doc_id)
);
CREATE TABLE IF NOT EXISTS models (
  fingerprint TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  dir TEXT NOT NULL,
  dim INTEGER NOT NULL,
  max_length INTEGER NOT NULL,
  architecture TEXT
);
-- Which model a collection's vectors come from; one model per collection, never mixed.
CREATE TABLE IF NOT EXISTS vector_indexes (
  collection_id INTEGER PRIMARY KEY REFERENCES collections(id) ON DELETE CASCADE,
  model_fingerprint TEXT NOT NULL REFERENCES models(fingerprint),
  dim INTEGER NOT NULL,
  precision TEXT NOT NULL CHECK (precision IN ('fp16', 'fp32')),
  -- Which single vector doc_vectors.pooled holds: 'model' (the model's pooled output) or 'mean'.
  pooling TEXT NOT NULL DEFAULT 'mean' CHECK (pooling IN ('model', 'mean'))
);
CREATE TABLE IF NOT EXISTS doc_vectors (
  collection_id INTEGER NOT NULL,
  ord INTEGER NOT NULL,
  n_tokens INTEGER NOT NULL,
  vectors BLOB NOT NULL,
  offsets BLOB NOT NULL,
  token_ids BLOB NOT NULL,
  pooled BLOB NOT NULL,
  PRIMARY KEY (collection_id, ord),
  FOREIGN KEY (collection_id, ord) REFERENCES documents(collection_id, ord) ON DELETE CASCADE
);
-- Postings of databases written before bm25_terms: one JSON blob per collection, migrated when first read.
CREATE TABLE IF NOT EXISTS bm25_indexes (
  collection_id INTEGER PRIMARY KEY REFERENCES collections(id) ON DELETE CASCADE,
  analyzer TEXT NOT NULL,
  postings BLOB NOT NULL
);
-- BM25 postings as rows (store/bm25-postings.ts): totals per collection, one row per term and segment,
-- and per segment the passages' analysed lengths.
CREATE TABLE IF NOT EXISTS bm25_stats (
  collection_id INTEGER PRIMARY KEY REFERENCES collections(id) ON DELETE CASCADE,
  analyzer TEXT NOT NULL,
  k1 REAL NOT NULL,
  b REAL NOT NULL,
  docs INTEGER NOT NULL,
  total_length INTEGER NOT NULL,
  postings INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  next_segment INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS bm25_terms (
  collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  term TEXT NOT NULL,
  segment INTEGER NOT NULL,
  df INTEGER NOT NULL,
  postings BLOB NOT NULL,
  PRIMARY KEY (collection_id, term, segment)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bm25_lengths (
  collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  segment INTEGER NOT NULL,
  ords BLOB NOT NULL,
  lengths BLOB NOT NULL,
  PRIMARY KEY (collection_id, segment)
);
-- A collection still being imported (store/staging.ts): hidden until the row goes, deleted when its
-- process died.
CREATE TABLE IF NOT EXISTS collection_imports (
  collection_id INTEGER PRIMARY KEY REFERENCES collections(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  pid INTEGER NOT NULL,
  host TEXT NOT NULL,
  heartbeat_at INTEGER NOT NULL
);
-- Who is indexing a collection: one indexer at a time, so two never encode the same passages. A row whose
-- process is gone, or whose heartbeat is older than the lease, is taken over.
CREATE TABLE IF NOT EXISTS index_locks (
  collection_id INTEGER PRIMARY KEY REFERENCES collections(id) ON DELETE CASCADE,
  owner TEXT NOT NULL,
  pid INTEGER NOT NULL,
  host TEXT NOT NULL,
  heartbeat_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;
