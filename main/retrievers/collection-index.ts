import { SaegimError } from '../contract/errors.js';
import type { ScoredPassage, TokenVectors } from '../contract/types.js';
import { MaxSimIndex, maxSimScore } from '../search/maxsim.js';
import { halvesToFloats } from '../store/half.js';
import { indexedText, punctuationMask } from '../search/passage-text.js';
import { PooledVectorIndex } from '../search/svr.js';
import { rankOfSlot } from '../search/top-k.js';
import type { Bm25Ranker } from '../store/bm25-postings.js';
import { openCompressed } from '../indexing/compressed-index.js';
import type { CompressedIndex } from '../search/compressed/index.js';
import type { CollectionRow, SaegimStore, StoredPassage } from '../store/store.js';
import { openCollectionBm25 } from './bm25-source.js';

/**
 * What one collection's retrievers rank from, loaded lazily from the store and kept while the collection's
 * generation (bumped by every write, from any process) stays the same: BM25 postings, token vectors packed
 * for the MaxSim kernel (only for the punctuation setting in use) and pooled vectors for SVR.
 */
export class CollectionIndex {
  private bm25: Bm25Ranker | null = null;
  private readonly maxsim = new Map<boolean, MaxSimIndex>();
  private pooled: PooledVectorIndex | null = null;
  /** `vectorDocIds[slot]` is the passage behind vector slot `slot` of the MaxSim and pooled indexes. */
  private vectorDocIds: string[] | null = null;
  private compressed: { index: CompressedIndex; ids: Array<string | null> } | null | undefined;
  private compressedCurrent: boolean | undefined;

  constructor(
    private readonly store: SaegimStore,
    private readonly row: CollectionRow,
    /** The collection's generation when this was built; the service drops it when the store's differs. */
    readonly generation: number,
    private readonly threads: number,
  ) {}

  get collectionId(): number {
    return this.row.id;
  }

  /**
   * Whether the compressed index covers exactly the indexed passages (nothing indexed or removed since it was
   * last brought up to date). Known once per generation: any write that could change it moves the generation.
   */
  compressedIsCurrent(): boolean {
    if (this.compressedCurrent === undefined) {
      const opened = this.compressedIndex();
      this.compressedCurrent = !!opened && opened.ids.filter((id) => id !== null).length === this.store.counts(this.collectionId).indexed;
    }
    return this.compressedCurrent;
  }

  /** The collection's compressed index and its slot → passage map, opened on first use; null when none was built. */
  compressedIndex(): { index: CompressedIndex; ids: Array<string | null> } | null {
    if (this.compressed === undefined) this.compressed = openCompressed(this.store, this.row, this.threads);
    return this.compressed;
  }

  passage(docId: string): StoredPassage {
    return this.store.passage(this.collectionId, docId);
  }

  bm25Index(): Bm25Ranker {
    this.bm25 ??= openCollectionBm25(this.store, this.collectionId);
    return this.bm25;
  }

  maxSimIndex(skipPunctuation: boolean): MaxSimIndex {
    let index = this.maxsim.get(skipPunctuation);
    if (!index) {
      index = this.loadVectors(skipPunctuation);
      this.maxsim.set(skipPunctuation, index);
    }
    return index;
  }

  /** Pooled vectors for SVR; read on their own when no MaxSim packing has brought them in (a compressed collection keeps none). */
  pooledIndex(): PooledVectorIndex {
    if (!this.pooled) {
      const bound = this.store.vectorIndex(this.collectionId);
      if (!bound) throw new SaegimError('not-found', 'collection is not indexed yet (run saegim index)');
      const pooled = new PooledVectorIndex(bound.dim);
      for (const r of this.store.pooledVectorsWithIds(this.collectionId)) pooled.add(r.docId, r.pooled);
      this.pooled = pooled;
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

  /** Exact MaxSim of one passage from its stored vectors (the compressed retriever's rerank). */
  exactMaxSim(query: TokenVectors, docId: string, skipPunctuation: boolean): number {
    const passage = this.store.passage(this.collectionId, docId);
    const stored = this.store.docVectorsFor(this.collectionId, passage.ord);
    if (!stored) return -Infinity;
    const doc: TokenVectors = { length: stored.nTokens, dim: query.dim, data: stored.vectors instanceof Uint16Array ? halvesToFloats(stored.vectors) : stored.vectors };
    const mask = skipPunctuation ? punctuationMask(indexedText(passage), stored.offsets, stored.nTokens) : undefined;
    return maxSimScore(query, doc, mask);
  }

  /** 1-based MVR rank of a passage for these query vectors: one scan of the collection (ties in its favour). */
  async maxSimRank(query: TokenVectors, docId: string, skipPunctuation: boolean): Promise<number | null> {
    const index = this.maxSimIndex(skipPunctuation);
    const slot = this.vectorDocIds!.indexOf(docId);
    if (slot < 0) return null;
    return rankOfSlot(await index.scoreAll(query), slot);
  }

  /**
   * One pass over the stored vectors fills the MaxSim packing for this punctuation setting and, the first
   * time, the pooled index and the slot → passage map.
   */
  private loadVectors(skipPunctuation: boolean): MaxSimIndex {
    const bound = this.store.vectorIndex(this.collectionId);
    if (!bound) throw new SaegimError('not-found', 'collection is not indexed yet (run saegim index)');
    const index = new MaxSimIndex({ dim: bound.dim, threads: this.threads });
    const firstLoad = this.vectorDocIds === null;
    const pooled = firstLoad ? new PooledVectorIndex(bound.dim) : null;
    const docIds: string[] = [];
    const texts = skipPunctuation ? new Map(this.store.passages(this.collectionId).map((p) => [p.ord, indexedText(p)])) : null;
    for (const row of this.store.docVectorsWithIds(this.collectionId)) {
      const mask = texts ? punctuationMask(texts.get(row.ord) ?? '', row.offsets, row.nTokens) : undefined;
      index.add(row.vectors, row.nTokens, mask);
      pooled?.add(row.docId, row.pooled);
      docIds.push(row.docId);
    }
    if (firstLoad) {
      this.vectorDocIds = docIds;
      this.pooled = pooled;
    }
    return index;
  }

  async release(): Promise<void> {
    for (const index of this.maxsim.values()) await index.release();
    this.maxsim.clear();
    this.pooled = null;
    this.compressed?.index.close();
    this.compressed = undefined;
    this.bm25 = null;
  }
}
