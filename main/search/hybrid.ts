import type { ScoredPassage } from '../types.js';

/**
 * Reciprocal-rank fusion (Cormack et al., 2009): score(d) = Σ_lists 1 / (k + rank(d)). It needs no score
 * calibration between MaxSim sums and BM25 weights, which live on unrelated scales; k = 60 is the paper's.
 */
export function reciprocalRankFusion(lists: ScoredPassage[][], opts: { k?: number; topK?: number } = {}): ScoredPassage[] {
  const k = opts.k ?? 60;
  const fused = new Map<string, { score: number; firstSeen: number }>();
  let seen = 0;
  for (const list of lists) {
    for (const hit of list) {
      const entry = fused.get(hit.docId) ?? { score: 0, firstSeen: seen++ };
      entry.score += 1 / (k + hit.rank);
      fused.set(hit.docId, entry);
    }
  }
  return [...fused.entries()]
    .sort((a, b) => b[1].score - a[1].score || a[1].firstSeen - b[1].firstSeen)
    .slice(0, opts.topK ?? fused.size)
    .map(([docId, { score }], i) => ({ docId, score, rank: i + 1 }));
}
