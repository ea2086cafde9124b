import { reciprocalRankFusion } from '../search/hybrid.js';
import { registerRetriever, type Retriever } from './retriever.js';

/** How deep each list goes before fusion: RRF needs more than the k it returns. */
const FUSION_DEPTH = 100;

/** Reciprocal-rank fusion of the MVR and BM25 lists the same request already computed. */
export const hybridRetriever: Retriever = {
  method: 'hybrid',
  needs: 'vectors',
  fuses: ['mvr', 'bm25'],
  fusionDepth: (k) => Math.max(k, FUSION_DEPTH),
  async retrieve(_index, _query, depth, fused) {
    return reciprocalRankFusion([fused.get('mvr') ?? [], fused.get('bm25') ?? []], { topK: depth });
  },
};

registerRetriever(hybridRetriever);
