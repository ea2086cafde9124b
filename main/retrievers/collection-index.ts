import { SaegimError } from '../contract/errors.js';
import type { ScoredPassage, TokenVectors } from '../contract/types.js';
import { MaxSimIndex } from '../search/maxsim.js';
import { indexedText, punctuationMask } from '../search/passage-text.js';
import { PooledVectorIndex } from '../search/svr.js';
import { rankOfSlot } from '../search/top-k.js';
import type { Bm25Ranker } from '../store/bm25-postings.js';
import type { SaegimStore, StoredPassage } from '../store/store.js';
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

  constructor(
    private readonly store: SaegimStore,
    readonly collectionId: number,
    /** The collection's generation when this was built; the service drops it when the store's differs. */
    readonly generation: number,
    private readonly threads: number,
  ) {}

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

  pooledIndex(): PooledVectorIndex {
    if (!this.pooled) this.maxSimIndex(false);
    return this.pooled!;
  }

  docIdOfSlot(slot: number): string {
    return this.vectorDocIds![slot]!;
  }

  /** Ranked MaxSim hits from kernel slots. */
  hitsFromSlots(top: Array<{ index: number; score: number }>): ScoredPassage[] {
    return top.map(({ index, score }, r) => ({ docId: this.docIdOfSlot(index), score, rank: r + 1 }));
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
    this.bm25 = null;
  }
}
