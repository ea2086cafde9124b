import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CompressedIndexSummary, OperationControl } from '../contract/api.js';
import { SaegimError, throwIfAborted } from '../contract/errors.js';
import type { ProjectionSpec } from '../contract/projection.js';
import { buildCompressedIndex, CompressedIndex, type CompressedDocInput } from '../search/compressed/index.js';
import { writeAtomic } from '../search/compressed/format.js';
import type { CollectionRow, SaegimStore } from '../store/store.js';

/** Appended tokens fitting the centroids this much worse than the trained ones (CompressedIndex.drift) call for re-clustering. */
export const RECLUSTER_DRIFT = 0.2;

/** `ids[slot]` is the passage behind a compressed-index slot; null for a removed slot. */
interface SlotMap {
  ids: Array<string | null>;
}

/**
 * Where a collection's compressed index lives: a folder beside the database, owned by the store's
 * collection row (its id and creation time, so a collection imported again under a reused id never
 * opens the old one) and deleted with it. Null for in-memory databases.
 */
export function compressedDir(store: SaegimStore, row: CollectionRow): string | null {
  if (store.path === ':memory:') return null;
  const stamp = row.createdAt.replace(/[^0-9]/g, '');
  return join(`${store.path}.indexes`, `collection-${row.id}-${stamp}`, 'compressed');
}

/** Removes every side folder of a collection id (called after the collection row is gone). */
export function deleteSideFiles(store: SaegimStore, collectionId: number, createdAt: string): void {
  if (store.path === ':memory:') return;
  const stamp = createdAt.replace(/[^0-9]/g, '');
  rmSync(join(`${store.path}.indexes`, `collection-${collectionId}-${stamp}`), { recursive: true, force: true });
}

function readSlots(dir: string): SlotMap | null {
  const path = join(dir, 'slots.json');
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as SlotMap;
  } catch (err) {
    throw new SaegimError('internal', `${path}: unreadable (${(err as Error).message}); rebuild with saegim index --index compressed --rebuild`);
  }
}

function writeSlots(dir: string, map: SlotMap): void {
  writeAtomic(join(dir, 'slots.json'), JSON.stringify(map));
}

/** The stored vectors of these passages (all indexed ones when `only` is absent), as the compressed index takes them. */
function* storedDocs(store: SaegimStore, collectionId: number, only?: ReadonlySet<string>): Generator<CompressedDocInput & { docId: string }> {
  for (const row of store.docVectorsWithIds(collectionId)) {
    if (only && !only.has(row.docId)) continue;
    // Every token enters, as in the exact index's default: candidates then agree with the exact rerank,
    // which applies the request's punctuation setting.
    yield { vectors: row.vectors, nTokens: row.nTokens, docId: row.docId };
  }
}

/**
 * Builds a collection's compressed index, or brings it up to date without re-clustering: passages indexed
 * since are appended, passages gone are tombstoned. Re-clusters from scratch when asked, or once appended
 * passages drift past RECLUSTER_DRIFT.
 */
export async function updateCompressedIndex(
  store: SaegimStore,
  row: CollectionRow,
  opts: OperationControl & { rebuild?: boolean; threads?: number; projection?: ProjectionSpec },
): Promise<CompressedIndexSummary> {
  const dir = compressedDir(store, row);
  if (!dir) throw new SaegimError('bad-input', 'an in-memory database cannot hold a compressed index');
  const bound = store.vectorIndex(row.id);
  if (!bound) throw new SaegimError('bad-input', `collection "${row.name}" has no token vectors to compress yet (index it first)`);
  const wanted = opts.projection;
  if (wanted && wanted.dim > bound.dim) {
    throw new SaegimError('bad-input', `projection.dim: ${wanted.dim} is wider than the collection's ${bound.dim}-wide vectors`);
  }
  const indexed = store.counts(row.id).indexed;
  const slots = opts.rebuild ? null : readSlots(dir);
  let projection: ProjectionSpec | undefined = wanted;
  if (slots && existsSync(join(dir, 'manifest.json'))) {
    const index = CompressedIndex.open(dir, { threads: opts.threads });
    try {
      const has = projectionOf(index);
      // Without a request the index keeps its own projection, also when it is re-clustered for drift.
      projection = wanted ?? has ?? undefined;
      const sameProjection = wanted === undefined || (has !== null && has.kind === wanted.kind && has.dim === wanted.dim);
      if (sameProjection && index.drift() <= RECLUSTER_DRIFT) {
        const current = new Set<string>();
        for (const d of store.docVectorsWithIds(row.id)) current.add(d.docId);
        const known = new Map<string, number>();
        slots.ids.forEach((id, slot) => id !== null && known.set(id, slot));
        const gone = [...known].filter(([id]) => !current.has(id)).map(([, slot]) => slot);
        if (gone.length > 0) index.remove(gone);
        for (const slot of gone) slots.ids[slot] = null;
        const added = new Set([...current].filter((id) => !known.has(id)));
        if (added.size > 0) {
          const docs = [...storedDocs(store, row.id, added)];
          await index.append(docs, { signal: opts.signal, onProgress: (p) => opts.onProgress?.({ phase: 'compressing', done: p.done, total: p.total }) });
          for (const d of docs) slots.ids.push(d.docId);
        }
        writeSlots(dir, slots);
        if (index.drift() <= RECLUSTER_DRIFT) return summarize(index, slots, indexed);
      }
    } finally {
      index.close();
    }
  }
  throwIfAborted(opts.signal, 'compression');
  const ids: string[] = [];
  const docs = (function* () {
    for (const d of storedDocs(store, row.id)) {
      ids.push(d.docId);
      yield d;
    }
  })();
  await buildCompressedIndex(docs, bound.dim, dir, {
    threads: opts.threads,
    ...(projection ? { projection } : {}),
    signal: opts.signal,
    totalDocs: indexed,
    onProgress: (p) => opts.onProgress?.({ phase: `compressing: ${p.phase}`, done: p.done, total: p.total }),
  });
  writeSlots(dir, { ids });
  const index = CompressedIndex.open(dir, { threads: opts.threads });
  try {
    return summarize(index, { ids }, indexed);
  } finally {
    index.close();
  }
}

function projectionOf(index: CompressedIndex): ProjectionSpec | null {
  const info = index.info();
  return info.projection ? { kind: info.projection, dim: info.dim } : null;
}

function summarize(index: CompressedIndex, slots: SlotMap, indexed: number): CompressedIndexSummary {
  const info = index.info();
  return {
    projection: projectionOf(index),
    passages: info.liveDocs,
    tokens: info.tokens,
    bytes: info.bytes,
    bytesPerToken: info.bytesPerToken,
    nbits: info.nbits,
    centroids: info.centroids,
    current: slots.ids.filter((id) => id !== null).length === indexed,
  };
}

/** An open compressed index with its slot map, for the retriever; null when the collection has none. */
export function openCompressed(store: SaegimStore, row: CollectionRow, threads: number): { index: CompressedIndex; ids: Array<string | null> } | null {
  const dir = compressedDir(store, row);
  if (!dir || !existsSync(join(dir, 'manifest.json'))) return null;
  const slots = readSlots(dir);
  if (!slots) return null;
  return { index: CompressedIndex.open(dir, { threads }), ids: slots.ids };
}

/** The summary `listCollections` shows, without keeping the index open. */
export function compressedSummary(store: SaegimStore, row: CollectionRow, indexed: number): CompressedIndexSummary | null {
  const opened = openCompressed(store, row, 1);
  if (!opened) return null;
  try {
    return summarize(opened.index, { ids: opened.ids }, indexed);
  } finally {
    opened.index.close();
  }
}
