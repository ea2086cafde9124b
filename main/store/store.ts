import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { ModelSummary, PoolingKind } from '../contract/api.js';
import { SaegimError } from '../contract/errors.js';
import type { DatasetFormat, ParsedDataset, Passage, Qrel, QrelMap, Query, VectorPrecision } from '../contract/types.js';
import { SCHEMA, SCHEMA_VERSION } from './schema.js';
import { fromSqliteError } from './sqlite-errors.js';

export interface CollectionRow {
  id: number;
  name: string;
  format: DatasetFormat;
  source: string;
  createdAt: string;
}

export interface StoredPassage extends Passage {
  ord: number;
}

export interface VectorIndexRow {
  fingerprint: string;
  dim: number;
  precision: VectorPrecision;
  /** What each passage's stored single vector is; queries must be pooled the same way. */
  pooling: PoolingKind;
  model: ModelSummary;
}

/** One document's stored token vectors, still in their storage precision. */
export interface StoredDocVectors {
  ord: number;
  nTokens: number;
  /** Float32Array for fp32 indexes, Uint16Array of IEEE halves for fp16. */
  vectors: Float32Array | Uint16Array;
  offsets: Int32Array;
  tokenIds: Int32Array;
  pooled: Float32Array;
}

export interface DocVectorsInput {
  ord: number;
  vectors: Float32Array | Uint16Array;
  nTokens: number;
  offsets: Array<[number, number]>;
  tokenIds: number[];
  pooled: Float32Array;
}

export interface StoreOptions {
  /** How long a write waits for another process's write lock before failing with `busy` (default 30 s). */
  busyTimeoutMs?: number;
}

/** Who holds a collection's indexing lock, when it is not us. */
export interface IndexLockHolder {
  pid: number;
  host: string;
  /** True when the holder is this process (another operation in it). */
  here: boolean;
}

/** A lock whose holder has not written a heartbeat for this long is taken over (its process hung or its host went away). */
export const INDEX_LOCK_LEASE_MS = 60_000;

export interface CollectionCounts {
  passages: number;
  queries: number;
  qrels: number;
  indexed: number;
  indexBytes: number;
  splits: string[];
}

/**
 * The SQLite token index (WAL mode). Every multi-row write is one transaction, so a crash leaves either
 * all of a batch or none of it — which is what makes imports atomic and indexing resumable.
 */
export class SaegimStore {
  readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(
    readonly path: string,
    opts: StoreOptions,
  ) {
    if (path !== ':memory:') {
      try {
        mkdirSync(dirname(path), { recursive: true });
      } catch (err) {
        throw new SaegimError('bad-input', `${path}: cannot create the database's folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
    }
    this.db = new Database(path);
    try {
      // Another process (the CLI beside a running server, a second indexer) may hold the write lock for a
      // batch; waiting beats failing with SQLITE_BUSY after the driver's 5 s default.
      this.db.pragma(`busy_timeout = ${Math.max(0, Math.round(opts.busyTimeoutMs ?? 30_000))}`);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      this.db.exec(SCHEMA);
      const version = this.db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as { value: string } | undefined;
      if (version && Number(version.value) > SCHEMA_VERSION) {
        throw new SaegimError('bad-input', `${path}: database schema ${version.value} is newer than this Saegim understands (${SCHEMA_VERSION})`);
      }
      migrate(this.db, version ? Number(version.value) : SCHEMA_VERSION);
    } catch (err) {
      this.db.close();
      throw fromSqliteError(err, `opening ${path}`);
    }
  }

  /** A prepared statement, prepared once per store: searches run the same few statements many times. */
  private stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  static open(path: string, opts: StoreOptions = {}): SaegimStore {
    try {
      return new SaegimStore(path, opts);
    } catch (err) {
      throw fromSqliteError(err, `opening ${path}`);
    }
  }

  close(): void {
    this.db.close();
  }

  // ── collections ────────────────────────────────────────────────────────────────────────────────────

  /** Writes a whole parsed dataset (and its BM25 postings) in one transaction: all of it or nothing. */
  createCollection(name: string, dataset: ParsedDataset, bm25: { analyzer: string; postings: Buffer }): CollectionRow {
    const insert = this.db.transaction(() => {
      if (this.findCollection(name)) throw new SaegimError('duplicate', `collection "${name}" already exists (delete it first or import with --name)`);
      const createdAt = new Date().toISOString();
      const { lastInsertRowid } = this.stmt(`INSERT INTO collections (name, format, source, created_at) VALUES (?, ?, ?, ?)`)
        .run(name, dataset.format, dataset.source, createdAt);
      const id = Number(lastInsertRowid);
      this.insertPassages(id, dataset.passages, 0);
      const q = this.stmt(`INSERT INTO queries (collection_id, ord, query_id, text) VALUES (?, ?, ?, ?)`);
      dataset.queries.forEach((query, ord) => q.run(id, ord, query.id, query.text));
      const r = this.stmt(`INSERT OR REPLACE INTO qrels (collection_id, split, query_id, doc_id, relevance) VALUES (?, ?, ?, ?, ?)`);
      for (const qrel of dataset.qrels) r.run(id, qrel.split, qrel.queryId, qrel.docId, qrel.relevance);
      this.saveBm25(id, bm25.analyzer, bm25.postings);
      this.touch(id);
      return { id, name, format: dataset.format, source: dataset.source, createdAt };
    });
    return insert.immediate();
  }

  private insertPassages(collectionId: number, passages: Passage[], firstOrd: number): number[] {
    const p = this.stmt(`INSERT INTO documents (collection_id, ord, doc_id, title, text) VALUES (?, ?, ?, ?, ?)`);
    return passages.map((passage, i) => {
      p.run(collectionId, firstOrd + i, passage.id, passage.title ?? null, passage.text);
      return firstOrd + i;
    });
  }

  findCollection(name: string): CollectionRow | null {
    const row = this.stmt(`SELECT id, name, format, source, created_at AS createdAt FROM collections WHERE name = ?`).get(name) as
      | CollectionRow
      | undefined;
    return row ?? null;
  }

  collection(name: string): CollectionRow {
    const row = this.findCollection(name);
    if (!row) throw new SaegimError('not-found', `no collection named "${name}" (see \`saegim list\`)`);
    return row;
  }

  collections(): CollectionRow[] {
    return this.stmt(
      `SELECT id, name, format, source, created_at AS createdAt FROM collections
       WHERE id NOT IN (SELECT collection_id FROM collection_imports) ORDER BY created_at, id`,
    ).all() as CollectionRow[];
  }

  deleteCollection(name: string): void {
    const row = this.collection(name);
    this.stmt(`DELETE FROM collections WHERE id = ?`).run(row.id);
  }

  counts(collectionId: number): CollectionCounts {
    const one = (sql: string): number => (this.stmt(sql).get(collectionId) as { n: number | null }).n ?? 0;
    const splits = (this.stmt(`SELECT DISTINCT split FROM qrels WHERE collection_id = ? ORDER BY split`).all(collectionId) as Array<{ split: string }>).map(
      (r) => r.split,
    );
    return {
      passages: one(`SELECT COUNT(*) AS n FROM documents WHERE collection_id = ?`),
      queries: one(`SELECT COUNT(*) AS n FROM queries WHERE collection_id = ?`),
      qrels: one(`SELECT COUNT(*) AS n FROM qrels WHERE collection_id = ?`),
      indexed: one(`SELECT COUNT(*) AS n FROM doc_vectors WHERE collection_id = ?`),
      indexBytes:
        one(`SELECT SUM(length(vectors) + length(offsets) + length(token_ids) + length(pooled)) AS n FROM doc_vectors WHERE collection_id = ?`) +
        one(`SELECT SUM(length(postings)) AS n FROM bm25_indexes WHERE collection_id = ?`) +
        one(`SELECT SUM(bytes) AS n FROM bm25_stats WHERE collection_id = ?`),
      splits,
    };
  }

  /**
   * The collection's generation: a number from one database-wide counter, taken anew by every write to its
   * passages, vectors or postings, by any process. A long-lived process compares it per request to notice
   * what another process changed; a collection deleted and imported again gets a new one even if SQLite
   * reuses its id. Null when the collection no longer exists.
   */
  generation(collectionId: number): number | null {
    const row = this.stmt(`SELECT generation FROM collections WHERE id = ?`).get(collectionId) as { generation: number } | undefined;
    return row?.generation ?? null;
  }

  private touch(collectionId: number): void {
    this.stmt(`UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'`).run();
    this.stmt(`UPDATE collections SET generation = (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'generation') WHERE id = ?`).run(collectionId);
  }

  // ── passages, queries, qrels ───────────────────────────────────────────────────────────────────────

  passages(collectionId: number): StoredPassage[] {
    const rows = this.stmt(`SELECT ord, doc_id AS id, title, text FROM documents WHERE collection_id = ? ORDER BY ord`).all(collectionId) as Array<
      StoredPassage & { title: string | null }
    >;
    return rows.map((r) => (r.title === null ? { ord: r.ord, id: r.id, text: r.text } : r) as StoredPassage);
  }

  passage(collectionId: number, docId: string): StoredPassage {
    const row = this.stmt(`SELECT ord, doc_id AS id, title, text FROM documents WHERE collection_id = ? AND doc_id = ?`).get(collectionId, docId) as
      | (StoredPassage & { title: string | null })
      | undefined;
    if (!row) throw new SaegimError('not-found', `no passage "${docId}" in this collection`);
    return (row.title === null ? { ord: row.ord, id: row.id, text: row.text } : row) as StoredPassage;
  }

  queries(collectionId: number): Query[] {
    return this.stmt(`SELECT query_id AS id, text FROM queries WHERE collection_id = ? ORDER BY ord`).all(collectionId) as Query[];
  }

  qrels(collectionId: number, split: string): QrelMap {
    const rows = this.stmt(`SELECT query_id AS queryId, doc_id AS docId, relevance FROM qrels WHERE collection_id = ? AND split = ?`).all(collectionId, split) as Qrel[];
    const map: QrelMap = {};
    for (const r of rows) (map[r.queryId] ??= {})[r.docId] = r.relevance;
    return map;
  }

  // ── models and vectors ─────────────────────────────────────────────────────────────────────────────

  vectorIndex(collectionId: number): VectorIndexRow | null {
    const row = this.stmt(
        `SELECT v.model_fingerprint AS fingerprint, v.dim, v.precision, v.pooling, m.name, m.dir, m.max_length AS maxLength, m.architecture
         FROM vector_indexes v JOIN models m ON m.fingerprint = v.model_fingerprint WHERE v.collection_id = ?`,
      )
      .get(collectionId) as
      | { fingerprint: string; dim: number; precision: VectorPrecision; pooling: PoolingKind; name: string; dir: string; maxLength: number; architecture: string | null }
      | undefined;
    if (!row) return null;
    return {
      fingerprint: row.fingerprint,
      dim: row.dim,
      precision: row.precision,
      pooling: row.pooling,
      model: { name: row.name, dir: row.dir, fingerprint: row.fingerprint, dim: row.dim, maxLength: row.maxLength, architecture: row.architecture ?? undefined },
    };
  }

  /**
   * Binds a collection to a model before any vector is written. A collection that already holds vectors
   * of another model (or another width) is refused rather than silently mixed: MaxSim across two
   * embedding spaces is meaningless.
   */
  bindModel(collectionId: number, model: ModelSummary, precision: VectorPrecision, pooling: PoolingKind = 'mean'): VectorIndexRow {
    const bind = this.db.transaction(() => {
      const existing = this.vectorIndex(collectionId);
      if (existing) {
        if (existing.fingerprint !== model.fingerprint || existing.dim !== model.dim) {
          throw new SaegimError(
            'model-mismatch',
            `collection is indexed with model "${existing.model.name}" (${existing.fingerprint}, ${existing.dim}-dim); ` +
              `"${model.name}" (${model.fingerprint}, ${model.dim}-dim) would mix two embedding spaces — drop the index first (saegim index --rebuild)`,
          );
        }
        return existing;
      }
      this.stmt(`INSERT OR REPLACE INTO models (fingerprint, name, dir, dim, max_length, architecture) VALUES (?, ?, ?, ?, ?, ?)`)
        .run(model.fingerprint, model.name, model.dir, model.dim, model.maxLength, model.architecture ?? null);
      this.stmt(`INSERT INTO vector_indexes (collection_id, model_fingerprint, dim, precision, pooling) VALUES (?, ?, ?, ?, ?)`).run(
        collectionId,
        model.fingerprint,
        model.dim,
        precision,
        pooling,
      );
      this.touch(collectionId);
      return this.vectorIndex(collectionId)!;
    });
    return bind.immediate();
  }

  dropVectors(collectionId: number): void {
    this.db.transaction(() => {
      this.stmt(`DELETE FROM doc_vectors WHERE collection_id = ?`).run(collectionId);
      this.stmt(`DELETE FROM vector_indexes WHERE collection_id = ?`).run(collectionId);
      this.touch(collectionId);
    }).immediate();
  }

  /** Passages that still lack vectors, in ord order: what a resumed indexing run has left to do. */
  unindexedPassages(collectionId: number, limit = -1): StoredPassage[] {
    const rows = this.stmt(
        `SELECT d.ord, d.doc_id AS id, d.title, d.text FROM documents d
         LEFT JOIN doc_vectors v ON v.collection_id = d.collection_id AND v.ord = d.ord
         WHERE d.collection_id = ? AND v.ord IS NULL ORDER BY d.ord LIMIT ?`,
      )
      .all(collectionId, limit) as Array<StoredPassage & { title: string | null }>;
    return rows.map((r) => (r.title === null ? { ord: r.ord, id: r.id, text: r.text } : r) as StoredPassage);
  }

  /**
   * Writes one chunk of vectors. With `lockOwner`, the chunk is written only while that owner still holds
   * the collection's indexing lock — checked in the same transaction, so a collection deleted (the lock
   * goes with it, even if SQLite reuses its id) or taken over meanwhile gets no stale vectors.
   */
  writeDocVectors(collectionId: number, rows: DocVectorsInput[], lockOwner?: string): void {
    const stmt = this.stmt(
      `INSERT INTO doc_vectors (collection_id, ord, n_tokens, vectors, offsets, token_ids, pooled) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      if (lockOwner !== undefined) {
        const held = this.stmt(`SELECT owner FROM index_locks WHERE collection_id = ?`).get(collectionId) as { owner: string } | undefined;
        if (held?.owner !== lockOwner) {
          throw this.generation(collectionId) === null
            ? new SaegimError('not-found', 'the collection was deleted while it was being indexed')
            : new SaegimError('busy', 'another process took over indexing this collection (this run had stalled past its lease)');
        }
        this.stmt(`UPDATE index_locks SET heartbeat_at = ? WHERE collection_id = ?`).run(Date.now(), collectionId);
      }
      for (const r of rows) {
        const offsets = new Int32Array(r.offsets.length * 2);
        r.offsets.forEach(([s, e], i) => {
          offsets[2 * i] = s;
          offsets[2 * i + 1] = e;
        });
        stmt.run(collectionId, r.ord, r.nTokens, toBuffer(r.vectors), toBuffer(offsets), toBuffer(Int32Array.from(r.tokenIds)), toBuffer(r.pooled));
      }
      this.touch(collectionId);
    }).immediate();
  }

  *docVectors(collectionId: number): IterableIterator<StoredDocVectors> {
    const precision = this.vectorIndex(collectionId)?.precision ?? 'fp16';
    const stmt = this.stmt(`SELECT ord, n_tokens, vectors, offsets, token_ids, pooled FROM doc_vectors WHERE collection_id = ? ORDER BY ord`);
    for (const row of stmt.iterate(collectionId) as IterableIterator<RawVectorsRow>) yield decodeVectorsRow(row, precision);
  }

  /** Every indexed passage's vectors with its id, in ord order: what a searcher packs. */
  *docVectorsWithIds(collectionId: number): IterableIterator<StoredDocVectors & { docId: string }> {
    const precision = this.vectorIndex(collectionId)?.precision ?? 'fp16';
    const stmt = this.stmt(
      `SELECT v.ord, v.n_tokens, v.vectors, v.offsets, v.token_ids, v.pooled, d.doc_id FROM doc_vectors v
       JOIN documents d ON d.collection_id = v.collection_id AND d.ord = v.ord WHERE v.collection_id = ? ORDER BY v.ord`,
    );
    for (const row of stmt.iterate(collectionId) as IterableIterator<RawVectorsRow & { doc_id: string }>) {
      yield { ...decodeVectorsRow(row, precision), docId: row.doc_id };
    }
  }

  /** As docVectorsWithIds, with each passage's title and text, read in the same pass (what masking punctuation needs). */
  *docVectorsWithPassages(collectionId: number): IterableIterator<StoredDocVectors & { docId: string; title?: string; text: string }> {
    const precision = this.vectorIndex(collectionId)?.precision ?? 'fp16';
    const stmt = this.stmt(
      `SELECT v.ord, v.n_tokens, v.vectors, v.offsets, v.token_ids, v.pooled, d.doc_id, d.title, d.text FROM doc_vectors v
       JOIN documents d ON d.collection_id = v.collection_id AND d.ord = v.ord WHERE v.collection_id = ? ORDER BY v.ord`,
    );
    for (const row of stmt.iterate(collectionId) as IterableIterator<RawVectorsRow & { doc_id: string; title: string | null; text: string }>) {
      yield { ...decodeVectorsRow(row, precision), docId: row.doc_id, ...(row.title === null ? {} : { title: row.title }), text: row.text };
    }
  }

  /** Every indexed passage's pooled vector with its id, in ord order, without reading the token vectors. */
  *pooledVectorsWithIds(collectionId: number): IterableIterator<{ docId: string; pooled: Float32Array }> {
    const stmt = this.stmt(
      `SELECT d.doc_id, v.pooled FROM doc_vectors v JOIN documents d ON d.collection_id = v.collection_id AND d.ord = v.ord WHERE v.collection_id = ? ORDER BY v.ord`,
    );
    for (const row of stmt.iterate(collectionId) as IterableIterator<{ doc_id: string; pooled: Buffer }>) {
      yield { docId: row.doc_id, pooled: new Float32Array(aligned(row.pooled)) };
    }
  }

  docVectorsFor(collectionId: number, ord: number): StoredDocVectors | null {
    const precision = this.vectorIndex(collectionId)?.precision ?? 'fp16';
    const row = this.stmt(`SELECT ord, n_tokens, vectors, offsets, token_ids, pooled FROM doc_vectors WHERE collection_id = ? AND ord = ?`).get(collectionId, ord) as
      | RawVectorsRow
      | undefined;
    return row ? decodeVectorsRow(row, precision) : null;
  }

  // ── indexing locks ─────────────────────────────────────────────────────────────────────────────────

  /**
   * Takes the collection's indexing lock for `owner`, or says who holds it. Atomic across processes (an
   * immediate transaction); a holder whose process is gone (same host) or whose heartbeat is older than
   * the lease counts as gone.
   */
  tryLockIndexing(collectionId: number, owner: string): IndexLockHolder | null {
    return this.db.transaction((): IndexLockHolder | null => {
      const row = this.stmt(`SELECT owner, pid, host, heartbeat_at AS heartbeatAt FROM index_locks WHERE collection_id = ?`).get(collectionId) as
        | { owner: string; pid: number; host: string; heartbeatAt: number }
        | undefined;
      const now = Date.now();
      if (row && row.owner !== owner && now - row.heartbeatAt < INDEX_LOCK_LEASE_MS && !(row.host === hostname() && !processAlive(row.pid))) {
        return { pid: row.pid, host: row.host, here: row.host === hostname() && row.pid === process.pid };
      }
      this.stmt(`INSERT OR REPLACE INTO index_locks (collection_id, owner, pid, host, heartbeat_at) VALUES (?, ?, ?, ?, ?)`).run(
        collectionId,
        owner,
        process.pid,
        hostname(),
        now,
      );
      return null;
    }).immediate();
  }

  /** Keeps a held lock alive while a slow model encodes one chunk; false when the lock is no longer ours. */
  heartbeatIndexing(collectionId: number, owner: string): boolean {
    return this.stmt(`UPDATE index_locks SET heartbeat_at = ? WHERE collection_id = ? AND owner = ?`).run(Date.now(), collectionId, owner).changes > 0;
  }

  unlockIndexing(collectionId: number, owner: string): void {
    this.stmt(`DELETE FROM index_locks WHERE collection_id = ? AND owner = ?`).run(collectionId, owner);
  }

  // ── BM25 postings ──────────────────────────────────────────────────────────────────────────────────

  saveBm25(collectionId: number, analyzer: string, postings: Buffer): void {
    this.stmt(`INSERT OR REPLACE INTO bm25_indexes (collection_id, analyzer, postings) VALUES (?, ?, ?)`).run(collectionId, analyzer, postings);
    this.touch(collectionId);
  }

  loadBm25(collectionId: number): { analyzer: string; postings: Buffer } | null {
    return (this.stmt(`SELECT analyzer, postings FROM bm25_indexes WHERE collection_id = ?`).get(collectionId) as { analyzer: string; postings: Buffer } | undefined) ?? null;
  }

  // ── settings ───────────────────────────────────────────────────────────────────────────────────────

  setting(key: string): string | null {
    return (this.stmt(`SELECT value FROM settings WHERE key = ?`).get(key) as { value: string } | undefined)?.value ?? null;
  }

  setSetting(key: string, value: string | null): void {
    if (value === null) this.stmt(`DELETE FROM settings WHERE key = ?`).run(key);
    else this.stmt(`INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)`).run(key, value);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Brings a database written by an older Saegim up to this schema, in one transaction. */
function migrate(db: Database.Database, from: number): void {
  db.transaction(() => {
    const columns = (db.prepare(`PRAGMA table_info(collections)`).all() as Array<{ name: string }>).map((c) => c.name);
    if (!columns.includes('generation')) db.exec(`ALTER TABLE collections ADD COLUMN generation INTEGER NOT NULL DEFAULT 0`);
    // Vectors written before the column existed hold the mean of the token vectors.
    const vectorColumns = (db.prepare(`PRAGMA table_info(vector_indexes)`).all() as Array<{ name: string }>).map((c) => c.name);
    if (!vectorColumns.includes('pooling')) db.exec(`ALTER TABLE vector_indexes ADD COLUMN pooling TEXT NOT NULL DEFAULT 'mean' CHECK (pooling IN ('model', 'mean'))`);
    db.prepare(`INSERT OR IGNORE INTO meta (key, value) VALUES ('generation', '0')`).run();
    if (from < SCHEMA_VERSION || !db.prepare(`SELECT 1 FROM meta WHERE key = 'schema_version'`).get()) {
      db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)`).run(String(SCHEMA_VERSION));
    }
  }).immediate();
}

interface RawVectorsRow {
  ord: number;
  n_tokens: number;
  vectors: Buffer;
  offsets: Buffer;
  token_ids: Buffer;
  pooled: Buffer;
}

function decodeVectorsRow(row: RawVectorsRow, precision: VectorPrecision): StoredDocVectors {
  return {
    ord: row.ord,
    nTokens: row.n_tokens,
    vectors: precision === 'fp16' ? new Uint16Array(aligned(row.vectors)) : new Float32Array(aligned(row.vectors)),
    offsets: new Int32Array(aligned(row.offsets)),
    tokenIds: new Int32Array(aligned(row.token_ids)),
    pooled: new Float32Array(aligned(row.pooled)),
  };
}

/** SQLite hands back Buffers that may sit at odd offsets of a shared pool; typed arrays need alignment. */
function aligned(buf: Buffer): ArrayBuffer {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

function toBuffer(view: ArrayBufferView): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}
