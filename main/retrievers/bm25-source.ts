import { ANALYZER_NAME } from '../search/analyzer.js';
import { Bm25Index, type Bm25Postings } from '../search/bm25.js';
import { indexedText } from '../search/passage-text.js';
import { Bm25PostingsStore, buildBm25FromDocuments, documentIds, type Bm25Ranker } from '../store/bm25-postings.js';
import { isSqliteError } from '../store/sqlite-errors.js';
import type { SaegimStore } from '../store/store.js';

/**
 * The BM25 scorer for a collection, from its postings rows (store/bm25-postings.ts). A database written
 * before the rows existed keeps one JSON blob per collection: it is migrated into rows the first time it
 * is read, and where that write cannot happen (a read-only file, a lock held past the timeout) it is
 * scored from the blob as before. A collection without postings of this analyzer has them built from
 * its passages, in one transaction, or in memory only when they cannot be written.
 */
export function openCollectionBm25(store: SaegimStore, collectionId: number): Bm25Ranker {
  const postings = new Bm25PostingsStore(store.db);
  const ids = documentIds(store.db, collectionId);
  const ready = postings.open(collectionId, ids);
  if (ready) return ready;

  const legacy = store.loadBm25(collectionId);
  const saved = legacy && legacy.analyzer === ANALYZER_NAME ? (JSON.parse(legacy.postings.toString('utf8')) as Bm25Postings) : null;
  try {
    store.db
      .transaction(() => {
        // Another process may have written them since we looked.
        if (postings.stats(collectionId)?.analyzer === ANALYZER_NAME) return;
        if (saved) {
          const ordOf = new Map(store.passages(collectionId).map((p) => [p.id, p.ord]));
          postings.importLegacy(collectionId, saved, (id) => ordOf.get(id));
        } else {
          buildBm25FromDocuments(postings, collectionId, { compact: true });
        }
        store.db.prepare(`DELETE FROM bm25_indexes WHERE collection_id = ?`).run(collectionId);
      })
      .immediate();
    const opened = postings.open(collectionId, ids);
    if (opened) return opened;
  } catch (err) {
    if (!isSqliteError(err)) throw err;
  }
  return saved ? Bm25Index.fromPostings(saved) : Bm25Index.build(store.passages(collectionId).map((p) => ({ id: p.id, text: indexedText(p) })));
}
