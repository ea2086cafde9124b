/**
 * The cheap stages of PLAID-style search, as plain typed-array loops over the centroid score matrix
 * S = C·Qᵀ, laid out `[K, nq]` so that one centroid's scores against every query token are contiguous.
 */

export interface ProbeList {
  /** Centroids to walk for one query token, best first. */
  centroids: Int32Array;
  count: number;
  /**
   * Stand-in for the token's score in documents none of whose tokens sit in a probed cell: the best score
   * of a centroid not probed, an upper bound on what such a document could score by centroids. WARP
   * imputes missing similarities the same way; PLAID's pruning amounts to imputing zero.
   */
  impute: number;
}

/**
 * Query token i's cells: its `nprobe` best centroids, less those scoring under `threshold` (PLAID's
 * centroid pruning) — though the best one is always kept, so every query token reaches some documents.
 */
const SORT_ABOVE = 64;

export function probeList(scores: Float32Array, centroids: number, nq: number, i: number, nprobe: number, threshold: number, out: Int32Array): ProbeList {
  const want = Math.min(nprobe, centroids);
  // One slot more than wanted: the first centroid left out sets the imputed score.
  const keep = Math.min(want + 1, centroids);
  const best = out.length >= keep ? out : new Int32Array(keep);
  const bestScore = new Float64Array(keep);
  let size = 0;
  if (keep > SORT_ABOVE) {
    // Insertion is O(K·keep): past a few dozen cells a full sort of the row is cheaper.
    const order = Int32Array.from({ length: centroids }, (_, c) => c).sort((a, b) => scores[b * nq + i]! - scores[a * nq + i]! || a - b);
    for (; size < keep; size++) {
      best[size] = order[size]!;
      bestScore[size] = scores[order[size]! * nq + i]!;
    }
  }
  for (let c = 0; c < centroids && keep <= SORT_ABOVE; c++) {
    const s = scores[c * nq + i]!;
    if (size === keep && s <= bestScore[size - 1]!) continue;
    let at = size < keep ? size++ : size - 1;
    while (at > 0 && bestScore[at - 1]! < s) {
      bestScore[at] = bestScore[at - 1]!;
      best[at] = best[at - 1]!;
      at--;
    }
    bestScore[at] = s;
    best[at] = c;
  }
  let count = Math.min(want, size);
  for (let r = 1; r < count; r++) {
    if (bestScore[r]! < threshold) {
      count = r;
      break;
    }
  }
  const impute = count < size ? bestScore[count]! : 0;
  return { centroids: best, count, impute };
}

/**
 * PLAID's full centroid interaction for one document: Σ_i max_j S[code_j, i], every token standing in for
 * itself by its centroid. `best` is scratch of length nq.
 */
export function centroidInteraction(scores: Float32Array, nq: number, codes: Uint16Array, from: number, to: number, best: Float32Array): number {
  if (to <= from) return 0;
  const first = codes[from]! * nq;
  for (let i = 0; i < nq; i++) best[i] = scores[first + i]!;
  for (let j = from + 1; j < to; j++) {
    const row = codes[j]! * nq;
    for (let i = 0; i < nq; i++) {
      const s = scores[row + i]!;
      if (s > best[i]!) best[i] = s;
    }
  }
  let total = 0;
  for (let i = 0; i < nq; i++) total += best[i]!;
  return total;
}
