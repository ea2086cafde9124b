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
