import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import { SaegimError } from '../contract/errors.js';
import type { DatasetFormat, Passage, Qrel, Query } from '../contract/types.js';
import type { CollectionRow } from './store.js';

/**
 * A collection being imported: written into the real tables batch by batch, each batch its own
 * transaction, while a `collection_imports` row (schema.ts) marks it incomplete — hidden from
 * `collections()` under a placeholder name no one can look up. `publish` renames it and drops the mark in one transaction, so a
 * reader sees all of the collection or none of it, and a kill at any point leaves a staged collection
 * that the next import (of any dataset) deletes.
 *
 * Staging rather than one long transaction: an import of a million passages takes minutes, and one
 * transaction would hold the database's write lock all that time (every other writer — an indexer, a
 * second import, a settings change — would fail with `busy`), and grow the WAL by the whole import.
 */

/** A staged import on another host counts as abandoned when its heartbeat is this old (no pid to check there). */
export const STAGED_IMPORT_LEASE_MS = 10 * 60_000;

/** Passages per insert transaction, and the text they may hold: a batch is all an import keeps of its passages. */
export const STAGING_BATCH = 1000;
export const STAGING_BATCH_CHARS = 8_000_000;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The collection ids of imports whose process is gone (or, elsewhere, silent past the lease). */
export function abandonedImports(db: Database.Database): number[] {
  const rows = db.prepare(`SELECT collection_id AS id, pid, host, heartbeat_at AS heartbeatAt FROM collection_imports`).all() as Array<{
    id: number;
    pid: number;
    host: string;
    heartbeatAt: number;
  }>;
  const here = hostname();
  return rows.filter((r) => (r.host === here ? !processAlive(r.pid) : Date.now() - r.heartbeatAt > STAGED_IMPORT_LEASE_MS)).map((r) => r.id);
}

/** Deletes what killed imports left behind; returns how many. */
export function removeAbandonedImports(db: Database.Database): number {
  const ids = abandonedImports(db);
  for (const id of ids) {
    db.transaction(() => {
      // Checked again under the write lock: the import may have been published meanwhile.
      if (db.prepare(`SELECT 1 FROM collection_imports WHERE collection_id = ?`).get(id)) db.prepare(`DELETE FROM collections WHERE id = ?`).run(id);
    }).immediate();
  }
  return ids.length;
}

export class StagedImport {
  private pending: Passage[] = [];
  private pendingChars = 0;
  private nextOrd = 0;
  private readonly insertPassage: Database.Statement;
  private readonly heartbeatStmt: Database.Statement;

  private constructor(
    private readonly db: Database.Database,
    readonly collectionId: number,
    readonly name: string,
    private readonly format: DatasetFormat,
    private readonly source: string,
  ) {
    this.insertPassage = db.prepare(`INSERT INTO documents (collection_id, ord, doc_id, title, text) VALUES (?, ?, ?, ?, ?)`);
    this.heartbeatStmt = db.prepare(`UPDATE collection_imports SET heartbeat_at = ? WHERE collection_id = ?`);
  }

  static begin(db: Database.Database, name: string, format: DatasetFormat, source: string): StagedImport {
    const id = db.transaction(() => {
      const { lastInsertRowid } = db
        .prepare(`INSERT INTO collections (name, format, source, created_at) VALUES (?, ?, ?, ?)`)
        .run(`\u0000importing ${randomUUID()}`, format, source, new Date().toISOString());
      const collectionId = Number(lastInsertRowid);
      db.prepare(`INSERT INTO collection_imports (collection_id, name, pid, host, heartbeat_at) VALUES (?, ?, ?, ?, ?)`).run(
        collectionId,
        name,
        process.pid,
        hostname(),
        Date.now(),
      );
      return collectionId;
    }).immediate();
    return new StagedImport(db, id, name, format, source);
  }

  /** Passages written so far (buffered ones included). */
  get passages(): number {
    return this.nextOrd + this.pending.length;
  }

  /** Buffers a passage; a full batch is written in its own transaction. */
  add(passage: Passage): void {
    this.pending.push(passage);
    this.pendingChars += passage.text.length + (passage.title?.length ?? 0);
    if (this.pending.length >= STAGING_BATCH || this.pendingChars >= STAGING_BATCH_CHARS) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingChars = 0;
    this.db.transaction(() => {
      this.heartbeat();
      for (const p of batch) this.insertPassage.run(this.collectionId, this.nextOrd++, p.id, p.title ?? null, p.text);
    }).immediate();
  }

  heartbeat(): void {
    if (this.heartbeatStmt.run(Date.now(), this.collectionId).changes === 0) {
      throw new SaegimError('internal', `the import of "${this.name}" was removed while it ran (taken for abandoned by another process)`);
    }
  }

  writeQueries(queries: Query[], qrels: Qrel[]): void {
    this.db.transaction(() => {
      this.heartbeat();
      const q = this.db.prepare(`INSERT INTO queries (collection_id, ord, query_id, text) VALUES (?, ?, ?, ?)`);
      queries.forEach((query, ord) => q.run(this.collectionId, ord, query.id, query.text));
      const r = this.db.prepare(`INSERT OR REPLACE INTO qrels (collection_id, split, query_id, doc_id, relevance) VALUES (?, ?, ?, ?, ?)`);
      for (const qrel of qrels) r.run(this.collectionId, qrel.split, qrel.queryId, qrel.docId, qrel.relevance);
    }).immediate();
  }

  /**
   * Makes the collection visible under its name, in one transaction with a fresh generation; refused when
   * the name was taken while this import ran.
   */
  publish(): CollectionRow {
    return this.db.transaction((): CollectionRow => {
      this.heartbeat();
      const taken = this.db.prepare(`SELECT 1 FROM collections WHERE name = ?`).get(this.name);
      if (taken) throw new SaegimError('duplicate', `collection "${this.name}" already exists (delete it first or import with --name)`);
      const createdAt = new Date().toISOString();
      this.db.prepare(`UPDATE collections SET name = ?, created_at = ? WHERE id = ?`).run(this.name, createdAt, this.collectionId);
      this.db.prepare(`DELETE FROM collection_imports WHERE collection_id = ?`).run(this.collectionId);
      this.db.prepare(`UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'`).run();
      this.db
        .prepare(`UPDATE collections SET generation = (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'generation') WHERE id = ?`)
        .run(this.collectionId);
      return { id: this.collectionId, name: this.name, format: this.format, source: this.source, createdAt };
    }).immediate();
  }

  /** Deletes everything written so far. */
  abort(): void {
    this.pending = [];
    this.db.transaction(() => {
      if (this.db.prepare(`SELECT 1 FROM collection_imports WHERE collection_id = ?`).get(this.collectionId)) {
        this.db.prepare(`DELETE FROM collections WHERE id = ?`).run(this.collectionId);
      }
    }).immediate();
  }
}
