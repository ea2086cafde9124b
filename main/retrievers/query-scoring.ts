import type { QueryScoring } from '../contract/api.js';
import type { EncodedText, TokenVectors } from '../contract/types.js';

export type { QueryScoring };

/**
 * Each query token's weight in the MaxSim sum under `scoring`; null when every token weighs 1 — and when the
 * skiplist would leave nothing (a query of particles and punctuation alone is scored plainly, not as 0).
 */
export function queryWeights(encoded: EncodedText, scoring: QueryScoring): number[] | null {
  const w = encoded.weights;
  if (scoring === 'plain' || !w || w.every((x) => x === 1) || w.every((x) => x <= 0)) return null;
  return w;
}

export interface ScoringQuery {
  /**
   * The rows MaxSim sums over: tokens of weight 0 left out, the others scaled by their weight. For w ≥ 0,
   * max_j (w·q_i)·d_j = w · max_j q_i·d_j, so every kernel (exact, compressed rerank, rank of one passage)
   * computes S(q, d) = Σ_i w_i max_j q_i·d_j unchanged.
   */
  weighted: TokenVectors;
  /**
   * The same rows unscaled, for candidate generation: centroid-score thresholds are cosines and a scaled row
   * would fall under them for reasons that have nothing to do with its match.
   */
  kept: TokenVectors;
}

export function scoringQuery(encoded: EncodedText, scoring: QueryScoring): ScoringQuery {
  const weights = queryWeights(encoded, scoring);
  if (!weights) return { weighted: encoded.vectors, kept: encoded.vectors };
  return weightedRows(encoded.vectors, weights);
}

/** Query rows of positive weight, scaled (`weighted`) and as they are (`kept`); either may have no rows. */
export function weightedRows(vectors: TokenVectors, weights: readonly number[]): ScoringQuery {
  const rows = weights.flatMap((w, i) => (w > 0 ? [i] : []));
  const dim = vectors.dim;
  const kept = new Float32Array(rows.length * dim);
  const weighted = new Float32Array(rows.length * dim);
  rows.forEach((row, r) => {
    const source = vectors.data.subarray(row * dim, (row + 1) * dim);
    kept.set(source, r * dim);
    const w = weights[row]!;
    for (let d = 0; d < dim; d++) weighted[r * dim + d] = w * source[d]!;
  });
  return { weighted: { length: rows.length, dim, data: weighted }, kept: { length: rows.length, dim, data: kept } };
}
