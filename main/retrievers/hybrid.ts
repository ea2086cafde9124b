import type { FusionChoice, FusionInfo } from '../contract/api.js';
import type { EncoderManifest } from '../encoders/manifest.js';
import { reciprocalRankFusion, weightedSumFusion } from '../search/hybrid.js';
import { registerRetriever, type Retriever } from './retriever.js';

/** How deep each list goes before reciprocal-rank fusion, which needs more than the k it returns. */
export const RRF_DEPTH = 100;
export const RRF_K = 60;

/**
 * Fusion of the MVR and BM25 lists the same request already computed: reciprocal ranks, or the weighted sum
 * of min-max normalised scores with the weight the model recorded (query.fusion, resolved by the service).
 */
export const hybridRetriever: Retriever = {
  method: 'hybrid',
  needs: 'vectors',
  fuses: ['mvr', 'bm25'],
  fusionDepth: (k, query) => Math.max(k, query.fusion.depth),
  async retrieve(_index, query, depth, fused) {
    const lists = [fused.get('mvr') ?? [], fused.get('bm25') ?? []];
    const f = query.fusion;
    if (f.method === 'rrf') return reciprocalRankFusion(lists, { k: f.k, topK: depth });
    // Normalised over the same top `depth` of each list that the weight was chosen on.
    return weightedSumFusion(
      lists.map((l) => l.slice(0, f.depth)),
      { weights: [f.weights.mvr, f.weights.bm25], topK: depth },
    );
  },
};

registerRetriever(hybridRetriever);

export type { FusionChoice };

/**
 * The fusion a request gets: `auto` is what the model recorded (encoder.json "fusion"), or RRF without one;
 * `wsum` without recorded weights weighs both lists equally.
 */
export function resolveFusion(choice: FusionChoice, recorded: EncoderManifest['fusion'] | undefined): FusionInfo {
  const rrf: FusionInfo = { method: 'rrf', k: RRF_K, depth: RRF_DEPTH };
  if (choice === 'rrf') return rrf;
  if (recorded?.method === 'wsum') {
    return {
      method: 'wsum',
      norm: 'min-max',
      depth: recorded.depth,
      weights: { ...recorded.weights },
      source: 'model',
      ...(recorded.chosenOn ? { chosenOn: recorded.chosenOn } : {}),
    };
  }
  if (choice === 'auto') return rrf;
  return { method: 'wsum', norm: 'min-max', depth: RRF_DEPTH, weights: { mvr: 0.5, bm25: 0.5 }, source: 'default' };
}
