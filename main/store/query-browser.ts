import type Database from 'better-sqlite3';
import type { QueryEntry, SplitCounts } from '../contract/api.js';

/**
 * A collection's queries with the passages judged relevant in each split: what the query browser lists and
 * what the search view marks in every column when a query comes from the collection itself.
 */
export function listQueries(db: Database.Database, collectionId: number, opts: { split?: string; limit?: number } = {}): QueryEntry[] {
  const queries = db
    .prepare(
      opts.split
        ? `SELECT q.query_id AS id, q.text FROM queries q WHERE q.collection_id = ?
           AND EXISTS (SELECT 1 FROM qrels r WHERE r.collection_id = q.collection_id AND r.query_id = q.query_id AND r.split = ?) ORDER BY q.ord LIMIT ?`
        : `SELECT q.query_id AS id, q.text FROM queries q WHERE q.collection_id = ? ORDER BY q.ord LIMIT ?`,
    )
    .all(...(opts.split ? [collectionId, opts.split, opts.limit ?? -1] : [collectionId, opts.limit ?? -1])) as Array<{ id: string; text: string }>;
  const relevant = new Map<string, Record<string, string[]>>();
  const rows = db
    .prepare(`SELECT query_id AS queryId, split, doc_id AS docId FROM qrels WHERE collection_id = ? AND relevance > 0 ORDER BY query_id, split, relevance DESC, doc_id`)
    .iterate(collectionId) as IterableIterator<{ queryId: string; split: string; docId: string }>;
  for (const r of rows) {
    const bySplit = relevant.get(r.queryId) ?? {};
    (bySplit[r.split] ??= []).push(r.docId);
    relevant.set(r.queryId, bySplit);
  }
  return queries.map((q) => ({ id: q.id, text: q.text, relevant: relevant.get(q.id) ?? {} }));
}

export function splitCounts(db: Database.Database, collectionId: number): Record<string, SplitCounts> {
  const rows = db
    .prepare(`SELECT split, COUNT(DISTINCT query_id) AS queries, COUNT(*) AS qrels FROM qrels WHERE collection_id = ? GROUP BY split ORDER BY split`)
    .all(collectionId) as Array<{ split: string } & SplitCounts>;
  return Object.fromEntries(rows.map((r) => [r.split, { queries: r.queries, qrels: r.qrels }]));
}
