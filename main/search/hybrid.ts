import { SaegimError } from '../contract/errors.js';
import type { ScoredPassage } from '../contract/types.js';

export interface FusionOptions {
  /** The rank constant; 60 is Cormack et al.'s, chosen there on TREC runs and used unchanged since. */
  k?: number;
  /** Keep only the best `topK` fused passages (all of them when absent). */
  topK?: number;
}

/**
 * Reciprocal-rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009): score(d) = Σ_lists 1 / (k + rank(d)),
 * a passage missing from a list adding nothing. It needs only ranks, so MaxSim sums and BM25 weights, which
 * live on unrelated scales, need no calibration against each other.
 *
 * `rank` is each hit's own 1-based rank (a list cut at depth 100 still says 1..100); a passage listed twice
 * in one list counts once, at its first (best) place. Equal fused scores go to the passage with the better best
 * rank, then to the one from the earlier list, so the order never depends on Map iteration details.
 */
export function reciprocalRankFusion(lists: ScoredPassage[][], opts: FusionOptions = {}): ScoredPassage[] {
  const k = opts.k ?? 60;
  if (!Number.isFinite(k) || k < 0) throw new SaegimError('bad-input', `RRF k must be a finite number ≥ 0, got ${k}`);
  const fused = new Map<string, { score: number; bestRank: number; firstList: number; firstPosition: number }>();
  lists.forEach((list, listIndex) => {
    const seenHere = new Set<string>();
    list.forEach((hit, position) => {
      if (seenHere.has(hit.docId)) return;
      seenHere.add(hit.docId);
      const rank = Number.isFinite(hit.rank) && hit.rank >= 1 ? hit.rank : position + 1;
      const entry = fused.get(hit.docId);
      if (entry) {
        entry.score += 1 / (k + rank);
        entry.bestRank = Math.min(entry.bestRank, rank);
      } else {
        fused.set(hit.docId, { score: 1 / (k + rank), bestRank: rank, firstList: listIndex, firstPosition: position });
      }
    });
  });
  const ordered = [...fused.entries()].sort(
    ([, a], [, b]) => b.score - a.score || a.bestRank - b.bestRank || a.firstList - b.firstList || a.firstPosition - b.firstPosition,
  );
  const topK = opts.topK === undefined ? ordered.length : Math.max(0, Math.floor(opts.topK));
  return ordered.slice(0, topK).map(([docId, { score }], i) => ({ docId, score, rank: i + 1 }));
}

export interface WeightedSumOptions {
  /** One weight per list, in the lists' order. */
  weights: number[];
  topK?: number;
}

/**
 * Weighted sum of min-max normalised scores (ranx's `wsum` with `min-max`): each list's scores are mapped to
 * [0, 1] over that list (a list whose scores are all equal maps to 1), and a passage scores
 * Σ_lists w · mm(score), adding 0 for a list it is missing from. With weights chosen on training data the
 * fusion can be tuned to never do worse there than the better list alone (w = 1 or 0 are in the grid).
 * Ties go to the better best rank, then to the earlier list.
 */
export function weightedSumFusion(lists: ScoredPassage[][], opts: WeightedSumOptions): ScoredPassage[] {
  if (opts.weights.length !== lists.length) throw new SaegimError('bad-input', `wsum needs one weight per list (${lists.length}), got ${opts.weights.length}`);
  for (const w of opts.weights) if (!Number.isFinite(w) || w < 0) throw new SaegimError('bad-input', `wsum weights must be finite and ≥ 0, got ${w}`);
  const fused = new Map<string, { score: number; bestRank: number; firstList: number; firstPosition: number }>();
  lists.forEach((list, listIndex) => {
    if (list.length === 0) return;
    let min = Infinity;
    let max = -Infinity;
    for (const hit of list) {
      min = Math.min(min, hit.score);
      max = Math.max(max, hit.score);
    }
    const span = max - min;
    const weight = opts.weights[listIndex]!;
    const seenHere = new Set<string>();
    list.forEach((hit, position) => {
      if (seenHere.has(hit.docId)) return;
      seenHere.add(hit.docId);
      const normalised = span > 0 ? (hit.score - min) / span : 1;
      const rank = Number.isFinite(hit.rank) && hit.rank >= 1 ? hit.rank : position + 1;
      const entry = fused.get(hit.docId);
      if (entry) {
        entry.score += weight * normalised;
        entry.bestRank = Math.min(entry.bestRank, rank);
      } else {
        fused.set(hit.docId, { score: weight * normalised, bestRank: rank, firstList: listIndex, firstPosition: position });
      }
    });
  });
  const ordered = [...fused.entries()].sort(
    ([, a], [, b]) => b.score - a.score || a.bestRank - b.bestRank || a.firstList - b.firstList || a.firstPosition - b.firstPosition,
  );
  const topK = opts.topK === undefined ? ordered.length : Math.max(0, Math.floor(opts.topK));
  return ordered.slice(0, topK).map(([docId, { score }], i) => ({ docId, score, rank: i + 1 }));
}
