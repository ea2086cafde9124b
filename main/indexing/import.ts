import { basename, resolve } from 'node:path';
import type { ImportReport, ImportRequest, OperationControl } from '../contract/api.js';
import { SaegimError, throwIfAborted } from '../contract/errors.js';
import { datasetBytes, streamDataset } from '../datasets/stream.js';
import { Bm25PostingsStore, buildBm25FromDocuments, type Bm25BuildOutcome } from '../store/bm25-postings.js';
import { StagedImport, removeAbandonedImports } from '../store/staging.js';
import type { SaegimStore } from '../store/store.js';

export interface StreamingImportOptions {
  /** Build the BM25 postings as part of the import (default). Without, the first BM25 search builds them. */
  bm25?: boolean;
  /** Postings the BM25 builder holds in memory before writing a segment. */
  segmentPostings?: number;
  /** SQLite page cache for the import's connection, in MiB (restored afterwards). */
  cacheMiB?: number;
}

export interface StreamingImportOutcome {
  report: ImportReport;
  /** Reading, validating and writing passages, queries and qrels. */
  readSeconds: number;
  /** Analysing the stored passages into postings (compaction included). */
  bm25Seconds: number;
  bm25: Bm25BuildOutcome | null;
  publishSeconds: number;
}

/** Passages between two progress reports while reading. */
const PROGRESS_EVERY = 5000;

/**
 * Imports a dataset in bounded memory: passages go to a staged collection (store/staging.ts) in batches
 * as the reader finds them, BM25 postings are built from the stored passages in segments, and only then
 * does the collection appear, under its name, in one transaction. A failure (a bad record in a strict
 * import, a cancel, a kill) leaves nothing visible: the staged rows are deleted now, or by the next import
 * when the process died.
 */
export async function importStreaming(store: SaegimStore, r: ImportRequest, ctl?: OperationControl, opts: StreamingImportOptions = {}): Promise<StreamingImportOutcome> {
  const db = store.db;
  removeAbandonedImports(db);
  const path = resolve(r.path);
  const name = r.name ?? basename(path).replace(/\.jsonl?$/i, '').normalize('NFC');
  if (store.findCollection(name)) throw new SaegimError('duplicate', `collection "${name}" already exists (choose another --name or delete it)`);
  const totalBytes = datasetBytes(path);
  ctl?.onProgress?.({ phase: 'reading', done: 0, total: Math.max(1, totalBytes), message: r.path });

  const previousCache = db.pragma('cache_size', { simple: true }) as number;
  // The documents table's id index grows with the import; a page cache that holds it keeps inserts off the disk.
  db.pragma(`cache_size = ${-1024 * (opts.cacheMiB ?? 128)}`);
  let staged: StagedImport | null = null;
  const started = performance.now();
  try {
    const dataset = await streamDataset(path, { format: r.format ?? 'auto', skipBad: r.skipBad ?? false, name: r.name }, (passage, at, bytesRead) => {
      staged ??= StagedImport.begin(db, name, r.format && r.format !== 'auto' ? r.format : 'jsonl', path);
      staged.add(passage);
      if (staged.passages % PROGRESS_EVERY === 0) {
        throwIfAborted(ctl?.signal, 'import');
        const line = typeof at === 'function' ? 0 : at.line;
        ctl?.onProgress?.({
          phase: 'reading',
          done: Math.min(bytesRead, totalBytes),
          total: Math.max(1, totalBytes),
          message: `${staged.passages.toLocaleString('en-US')} passages${line > 0 ? `, line ${line.toLocaleString('en-US')}` : ''}`,
        });
      }
    });
    throwIfAborted(ctl?.signal, 'import');
    // readDataset refuses a dataset without passages, so one was staged.
    const target = staged as StagedImport | null;
    if (!target) throw new SaegimError('internal', 'the import wrote no passages');
    target.flush();
    // The staged row was created before the format was known for `auto`; the reader knows it now.
    db.prepare(`UPDATE collections SET format = ?, source = ? WHERE id = ?`).run(dataset.format, dataset.source, target.collectionId);
    target.writeQueries(dataset.queries, dataset.qrels);
    const passages = target.passages;
    ctl?.onProgress?.({ phase: 'reading', done: Math.max(1, totalBytes), total: Math.max(1, totalBytes), message: `${passages.toLocaleString('en-US')} passages` });
    const read = performance.now();

    let bm25: Bm25BuildOutcome | null = null;
    if (opts.bm25 ?? true) {
      ctl?.onProgress?.({ phase: 'analysing', done: 0, total: passages });
      bm25 = buildBm25FromDocuments(new Bm25PostingsStore(db), target.collectionId, {
        segmentPostings: opts.segmentPostings,
        onPage: (done, total) => {
          target.heartbeat();
          throwIfAborted(ctl?.signal, 'import');
          ctl?.onProgress?.({ phase: 'analysing', done, total });
        },
      });
    }
    const analysed = performance.now();
    ctl?.onProgress?.({ phase: 'writing', done: 0, total: passages });
    target.publish();
    ctl?.onProgress?.({ phase: 'writing', done: passages, total: passages });
    return {
      report: {
        collection: name,
        format: dataset.format,
        passages,
        queries: dataset.queries.length,
        qrels: dataset.qrels.length,
        skipped: dataset.skipped,
        emptyPassages: dataset.stats.emptyPassages,
        qrelsWithUnknownQuery: dataset.stats.qrelsWithUnknownQuery,
        qrelsWithUnknownPassage: dataset.stats.qrelsWithUnknownPassage,
        duplicatePassagesMerged: dataset.stats.duplicatePassagesMerged,
      },
      readSeconds: (read - started) / 1000,
      bm25Seconds: (analysed - read) / 1000,
      bm25,
      publishSeconds: (performance.now() - analysed) / 1000,
    };
  } catch (err) {
    (staged as StagedImport | null)?.abort();
    throw err;
  } finally {
    db.pragma(`cache_size = ${previousCache}`);
  }
}
