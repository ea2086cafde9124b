import { SaegimError } from '../contract/errors.js';
import type { ScoredPassage, TokenVectors } from '../contract/types.js';
import { MaxSimIndex } from '../search/maxsim.js';
import { indexedText, punctuationMask } from '../search/passage-text.js';
import { ID_STRING_BYTES, PooledVectorIndex } from '../search/svr.js';
import { rankOfSlot } from '../search/top-k.js';
import { Bm25Index } from '../search/bm25.js';
import { Bm25PostingsStore, type Bm25Ranker } from '../store/bm25-postings.js';
import { openCompressed } from '../indexing/compressed-index.js';
import type { CompressedIndex } from '../search/compressed/index.js';
import type { CollectionRow, SaegimStore, StoredPassage } from '../store/store.js';
import { openCollectionBm25 } from './bm25-source.js';

/**
 * Rough resident cost of BM25 per passage beyond its postings: its id string, length and slot entries. The
 * figure only has to be of the right order: packed token vectors outweigh it a hundredfold.
 */
const BM25_BYTES_PER_PASSAGE = 96;
/** An in-memory BM25 index holds each posting as a slot and a term frequency. */
const BM25_BYTES_PER_POSTING = 8;

/**
 * What one collection's retrievers rank from, loaded lazily from the store and kept while the collection's
 * generation (bumped by every write, from any process) stays the same: BM25 postings, token vectors packed
 * for the MaxSim kernel (one packing for both punctuation settings) and pooled vectors for SVR.
 *
 * `release()` drops what is loaded and the index stays usable: the next use loads it again. That is what
 * lets the service's cache (index-cache.ts) evict a collection between two steps of a request that still
 * holds it; while a retriever is running (`busyWhile`) it is never evicted.
 */
export class CollectionIndex {
  private bm25: Bm25Ranker | null = null;
  private bm25Bytes = 0;
  private maxsim: MaxSimIndex | null = null;
  private pooled: PooledVectorIndex | null = null;
  /** `vectorDocIds[slot]` is the passage behind vector slot `slot` of the MaxSim and pooled indexes. */
  private vectorDocIds: string[] | null = null;
  private compressed: { index: CompressedIndex; ids: Array<string | null> } | null | undefined;
  private compressedCurrent: boolean | undefined;
  private compressedPrefetched = false;
  private busy = 0;

  constructor(
    private readonly store: SaegimStore,
    private readonly row: CollectionRow,
    /** The collection's generation when this was built; the service drops it when the store's differs. */
    readonly generation: number,
    private readonly threads: number,
    /** Called after something was loaded and whenever the last running work ends: when the cache may have to trim. */
    private readonly onResidentChange: () => void = () => {},
  ) {}

  /** Whether retrievers are running on it now, so releasing it would pull vectors from under them. */
  inUse(): boolean {
    return this.busy > 0;
  }

  /** Runs `work` with the index marked in use. */
  async busyWhile<T>(work: () => Promise<T>): Promise<T> {
    this.busy++;
    try {
      return await work();
    } finally {
      if (--this.busy === 0) this.onResidentChange();
    }
  }

  /** Bytes held now: the packed token vectors, pooled vectors and the slot → passage map, and roughly BM25's. */
  residentBytes(): number {
    return (
      (this.maxsim?.residentBytes() ?? 0) +
      (this.pooled?.residentBytes() ?? 0) +
      (this.vectorDocIds ? this.vectorDocIds.length * ID_STRING_BYTES : 0) +
      (this.bm25 ? this.bm25Bytes : 0)
    );
  }

  get collectionId(): number {
    return this.row.id;
  }

  /**
   * Whether the compressed index covers exactly the indexed passages (nothing indexed or removed since it was
   * last brought up to date). Known once per generation: any write that could change it moves the generation.
   */
  compressedIsCurrent(): boolean {
    if (this.compressedCurrent === undefined) {
      const opened = this.openedCompressed();
      this.compressedCurrent = !!opened && opened.ids.filter((id) => id !== null).length === this.store.counts(this.collectionId).indexed;
    }
    return this.compressedCurrent;
  }

  /** The collection's compressed index and its slot → passage map, for searching it; null when none was built. */
  compressedIndex(): { index: CompressedIndex; ids: Array<string | null> } | null {
    const opened = this.openedCompressed();
    if (opened && !this.compressedPrefetched) {
      this.compressedPrefetched = true;
      // Lists and codes into the page cache in the background: the first searches of a large cold index
      // would otherwise wait on the disk (the rerank reads the store, so residuals are not needed). Only for
      // an index that is searched: one found stale, which the default ranking passes over, is left on disk.
      void opened.index.prefetch().catch(() => undefined);
    }
    return opened;
  }

  private openedCompressed(): { index: CompressedIndex; ids: Array<string | null> } | null {
    if (this.compressed === undefined) {
      this.compressed = openCompressed(this.store, this.row, this.threads);
      this.onResidentChange();
    }
    return this.compressed;
  }

  passage(docId: string): StoredPassage {
    return this.store.passage(this.collectionId, docId);
  }

  bm25Index(): Bm25Ranker {
    if (!this.bm25) {
      this.bm25 = openCollectionBm25(this.store, this.collectionId);
      const stats = new Bm25PostingsStore(this.store.db).stats(this.collectionId);
      const passages = stats?.docs ?? this.store.counts(this.collectionId).passages;
      this.bm25Bytes = passages * BM25_BYTES_PER_PASSAGE + (this.bm25 instanceof Bm25Index ? (stats?.postings ?? 0) * BM25_BYTES_PER_POSTING : 0);
      this.onResidentChange();
    }
    return this.bm25;
  }

  /**
   * Every indexed passage's token vectors, packed once with their punctuation masks: score with
   * `{ skipMasked: skipPunctuation }`.
   */
  maxSimIndex(): MaxSimIndex {
    if (!this.maxsim) {
      this.maxsim = this.loadVectors();
      this.onResidentChange();
    }
    return this.maxsim;
  }

  /** Pooled vectors for SVR; read on their own when no MaxSim packing has brought them in (a compressed collection keeps none). */
  pooledIndex(): PooledVectorIndex {
    if (!this.pooled) {
      const bound = this.store.vectorIndex(this.collectionId);
      if (!bound) throw new SaegimError('not-found', 'collection is not indexed yet (run saegim index)');
      const pooled = new PooledVectorIndex();
      for (const r of this.store.pooledVectorsWithIds(this.collectionId)) pooled.add(r.docId, r.pooled);
      this.pooled = pooled;
      this.onResidentChange();
    }
    return this.pooled;
  }

  docIdOfSlot(slot: number): string {
    return this.vectorDocIds![slot]!;
  }

  /** Ranked MaxSim hits from kernel slots. */
  hitsFromSlots(top: Array<{ index: number; score: number }>): ScoredPassage[] {
    return top.map(({ index, score }, r) => ({ docId: this.docIdOfSlot(index), score, rank: r + 1 }));
  }

  /**
   * Exact MaxSim of several passages from their stored vectors (the compressed retriever's rerank), packed
   * into a throwaway index and scored by the MaxSim kernel: the naive loop took about 1.5 ms a survivor at
   * width 256, 400 ms for a query's 256. A passage without vectors scores -Infinity.
   */
  async exactMaxSimMany(query: TokenVectors, docIds: ReadonlyArray<string | null>, skipPunctuation: boolean): Promise<Float32Array> {
    const scores = new Float32Array(docIds.length).fill(-Infinity);
    const scratch = new MaxSimIndex({ dim: query.dim, threads: this.threads });
    try {
      const at: number[] = [];
      docIds.forEach((docId, i) => {
        if (!docId) return;
        const passage = this.store.passage(this.collectionId, docId);
        const stored = this.store.docVectorsFor(this.collectionId, passage.ord);
        if (!stored) return;
        scratch.add(stored.vectors, stored.nTokens, skipPunctuation ? punctuationMask(indexedText(passage), stored.offsets, stored.nTokens) : undefined);
        at.push(i);
      });
      if (at.length === 0) return scores;
      const scored = await scratch.scoreAll(query, { skipMasked: skipPunctuation });
      at.forEach((i, slot) => (scores[i] = scored[slot]!));
      return scores;
    } finally {
      await scratch.release();
    }
  }

  /** 1-based MVR rank of a passage for these query vectors: one scan of the collection (ties in its favour). */
  async maxSimRank(query: TokenVectors, docId: string, skipPunctuation: boolean): Promise<number | null> {
    return this.busyWhile(async () => {
      const index = this.maxSimIndex();
      const slot = this.vectorDocIds!.indexOf(docId);
      if (slot < 0) return null;
      return rankOfSlot(await index.scoreAll(query, { skipMasked: skipPunctuation }), slot);
    });
  }

  /**
   * One pass over the stored vectors and their passages' text fills the MaxSim packing (each token's
   * punctuation mask beside its vector) and, unless SVR has read them already, the pooled index; and the
   * slot → passage map.
   */
  private loadVectors(): MaxSimIndex {
    const bound = this.store.vectorIndex(this.collectionId);
    if (!bound) throw new SaegimError('not-found', 'collection is not indexed yet (run saegim index)');
    const index = new MaxSimIndex({ dim: bound.dim, threads: this.threads });
    const pooled = this.pooled ? null : new PooledVectorIndex();
    const docIds: string[] = [];
    for (const row of this.store.docVectorsWithPassages(this.collectionId)) {
      index.add(row.vectors, row.nTokens, punctuationMask(indexedText(row), row.offsets, row.nTokens));
      pooled?.add(row.docId, row.pooled);
      docIds.push(row.docId);
    }
    this.vectorDocIds = docIds;
    if (pooled) this.pooled = pooled;
    return index;
  }

  /** Drops everything loaded (the next use loads it again). */
  async release(): Promise<void> {
    const { maxsim, compressed } = this;
    this.maxsim = null;
    this.pooled = null;
    this.vectorDocIds = null;
    this.compressed = undefined;
    this.compressedPrefetched = false;
    this.bm25 = null;
    compressed?.index.close();
    await maxsim?.release();
  }
}
