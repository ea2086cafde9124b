import type { TokenVectors } from '../contract/types.js';

export interface Alignment {
  /** `similarity[i][j]` = E_q[i]·E_d[j]. */
  similarity: number[][];
  /** For each query token, the document token it picks (−1 when every document token is skipped). */
  best: number[];
  /** `contributions[i]` = w_i · similarity[i][best[i]] (w_i = 1 unless weighted); their sum is the MaxSim score. */
  contributions: number[];
  score: number;
}

/**
 * The alignment behind one MaxSim score (the paper's Eq. 1), kept whole so it can be drawn: the full
 * Nq×Nd similarity matrix, each query token's argmax and its contribution. `keep[j] = 0` leaves document
 * token j out of the max (punctuation skipping), exactly as the scorer does; `weights` scale each query
 * token's contribution as the model's query scoring does (0 for a skiplisted token).
 */
export function alignTokens(
  query: TokenVectors,
  doc: TokenVectors,
  keep?: Uint8Array,
  dropQuery: ReadonlySet<number> = new Set(),
  /** The weight of each query token's contribution (query-scoring.ts); absent: all 1. */
  weights?: readonly number[] | null,
): Alignment {
  if (query.dim !== doc.dim) throw new Error(`query vectors are ${query.dim}-dim, document vectors ${doc.dim}-dim`);
  const dim = query.dim;
  const similarity: number[][] = [];
  const best: number[] = [];
  const contributions: number[] = [];
  let score = 0;
  for (let i = 0; i < query.length; i++) {
    const row = new Array<number>(doc.length);
    let arg = -1;
    let max = -Infinity;
    for (let j = 0; j < doc.length; j++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += query.data[i * dim + d]! * doc.data[j * dim + d]!;
      row[j] = s;
      if ((!keep || keep[j]) && s > max) {
        max = s;
        arg = j;
      }
    }
    similarity.push(row);
    best.push(arg);
    const weight = weights ? weights[i]! : 1;
    const contribution = arg < 0 || dropQuery.has(i) || weight === 0 ? 0 : weight * max;
    contributions.push(contribution);
    score += contribution;
  }
  return { similarity, best, contributions, score };
}
