import { SaegimError } from '../contract/errors.js';
import type { SaegimStore, StoredPassage } from '../store/store.js';
import type { EncodedText, ScoredPassage, SearchMethod, TokenVectors } from '../contract/types.js';
import { ANALYZER_NAME } from './analyzer.js';
import { Bm25Index } from './bm25.js';
import { reciprocalRankFusion } from './hybrid.js';
import { MaxSimIndex } from './maxsim.js';
import { punctuationMask, indexedText } from './passage-text.js';
import { PooledVectorIndex, pooledVector } from './svr.js';

/** How deep each list goes before fusion: RRF needs more than the k it returns. */
const FUSION_DEPTH = 100;

/**
 * Everything needed to rank one collection's passages in memory: BM25 postings, token vectors packed for
 * the MaxSim kernel (one packing per punctuation setting) and pooled vectors for SVR. Built lazily from the
 * store and dropped whenever the collection changes.
 */
export class CollectionSearcher {
  private bm25: Bm25Index | null = null;
  private maxsim = new Map<boolean, MaxSimIndex>();
  private pooled: PooledVectorIndex | null = null;
  /** `docIds[i]` is the passage behind vector slot i (insertion order of the MaxSim and pooled indexes). */
  private vectorDocIds: string[] = [];
  private passagesById: Map<string, StoredPassage> | null = null;

  constructor(
    private readonly store: SaegimStore,
    readonly collectionId: number,
    private readonly threads: number,
  ) {}

  passage(docId: string): StoredPassage {
    this.passagesById ??= new Map(this.store.passages(this.collectionId).map((p) => [p.id, p]));
    const p = this.passagesById.get(docId);
    if (!p) throw new SaegimError('not-found', `no passage "${docId}" in this collection`);
    return p;
  }

  searchBm25(query: string, k: number): ScoredPassage[] {
    if (!this.bm25) {
      const saved = this.store.loadBm25(this.collectionId);
      // Postings from an older analyzer are rebuilt rather than trusted: their terms would not match queries.
      this.bm25 = saved && saved.analyzer === ANALYZER_NAME
        ? Bm25Index.fromPostings(JSON.parse(saved.postings.toString('utf8')))
        : Bm25Index.build(this.store.passages(this.collectionId).map((p) => ({ id: p.id, text: indexedText(p) })));
    }
    return this.bm25.search(query, k);
  }

  /** Why vector methods cannot run on this collection, or null when they can. */
  vectorProblem(): string | null {
    const index = this.store.vectorIndex(this.collectionId);
    if (!index) return 'collection is not indexed yet (run saegim index)';
    return null;
  }

  async searchMaxSim(query: EncodedText, k: number, skipPunctuation: boolean): Promise<ScoredPassage[]> {
    const index = this.maxSimIndex(skipPunctuation);
    const top = await index.topK(query.vectors, k);
    return top.map(({ index: slot, score }, r) => ({ docId: this.vectorDocIds[slot]!, score, rank: r + 1 }));
  }

  /** Scores of every indexed passage, for ranks in explain and ablation. */
  async scoreAll(query: TokenVectors, skipPunctuation: boolean): Promise<{ docIds: string[]; scores: Float32Array }> {
    const scores = await this.maxSimIndex(skipPunctuation).scoreAll(query);
    return { docIds: this.vectorDocIds, scores };
  }

  searchSvr(query: EncodedText, k: number): ScoredPassage[] {
    this.loadVectors();
    return this.pooled!.search(pooledVector(query.vectors), k);
  }

  async searchHybrid(query: string, encoded: EncodedText, k: number, skipPunctuation: boolean): Promise<ScoredPassage[]> {
    const depth = Math.max(k, FUSION_DEPTH);
    const [mvr, bm25] = [await this.searchMaxSim(encoded, depth, skipPunctuation), this.searchBm25(query, depth)];
    return reciprocalRankFusion([mvr, bm25], { topK: k });
  }

  async search(method: SearchMethod, query: string, encoded: EncodedText | null, k: number, skipPunctuation: boolean): Promise<ScoredPassage[]> {
    if (method === 'bm25') return this.searchBm25(query, k);
    if (!encoded) throw new SaegimError('model-missing', 'no encoder for vector search');
    if (method === 'mvr') return this.searchMaxSim(encoded, k, skipPunctuation);
    if (method === 'svr') return this.searchSvr(encoded, k);
    return this.searchHybrid(query, encoded, k, skipPunctuation);
  }

  private maxSimIndex(skipPunctuation: boolean): MaxSimIndex {
    this.loadVectors();
    return this.maxsim.get(skipPunctuation)!;
  }

  /** One pass over the stored vectors fills both MaxSim packings and the pooled index. */
  private loadVectors(): void {
    if (this.pooled) return;
    const bound = this.store.vectorIndex(this.collectionId);
    if (!bound) throw new SaegimError('not-found', 'collection is not indexed yet (run saegim index)');
    const plain = new MaxSimIndex({ dim: bound.dim, threads: this.threads });
    const skipping = new MaxSimIndex({ dim: bound.dim, threads: this.threads });
    const pooled = new PooledVectorIndex(bound.dim);
    const passages = new Map(this.store.passages(this.collectionId).map((p) => [p.ord, p]));
    const docIds: string[] = [];
    for (const row of this.store.docVectors(this.collectionId)) {
      const passage = passages.get(row.ord);
      if (!passage) continue;
      plain.add(row.vectors, row.nTokens);
      skipping.add(row.vectors, row.nTokens, punctuationMask(indexedText(passage), row.offsets, row.nTokens));
      pooled.add(passage.id, row.pooled);
      docIds.push(passage.id);
    }
    this.maxsim.set(false, plain);
    this.maxsim.set(true, skipping);
    this.pooled = pooled;
    this.vectorDocIds = docIds;
  }

  async release(): Promise<void> {
    for (const index of this.maxsim.values()) await index.release();
    this.maxsim.clear();
    this.pooled = null;
  }
}
