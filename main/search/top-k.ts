export interface RankedSlot {
  /** Position of the item in the scored array (a document slot). */
  index: number;
  score: number;
}

/**
 * The k best of `candidates` (indices into `scores`; every index when absent), best first, equal scores
 * by lower index so rankings are reproducible. A size-k min-heap: one pass, O(m log k) — bigram queries
 * touch a large share of a corpus and a top-10 over 100k passages costs far less than sorting them all.
 */
export function topK(scores: ArrayLike<number>, k: number, candidates?: ArrayLike<number>, candidateCount?: number): RankedSlot[] {
  const m = candidates ? (candidateCount ?? candidates.length) : scores.length;
  const n = Math.min(Math.max(0, Math.floor(k)), m);
  if (n === 0) return [];
  // Heap root is the worst kept entry: lowest score, and among equal scores the highest index.
  const heap = new Int32Array(n);
  let size = 0;
  const worse = (a: number, b: number): boolean => scores[a]! < scores[b]! || (scores[a] === scores[b] && a > b);
  const siftDown = (from: number): void => {
    let i = from;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let w = i;
      if (l < size && worse(heap[l]!, heap[w]!)) w = l;
      if (r < size && worse(heap[r]!, heap[w]!)) w = r;
      if (w === i) return;
      const t = heap[i]!;
      heap[i] = heap[w]!;
      heap[w] = t;
      i = w;
    }
  };
  for (let c = 0; c < m; c++) {
    const idx = candidates ? candidates[c]! : c;
    if (size < n) {
      let i = size++;
      heap[i] = idx;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!worse(heap[i]!, heap[parent]!)) break;
        const t = heap[i]!;
        heap[i] = heap[parent]!;
        heap[parent] = t;
        i = parent;
      }
    } else if (worse(heap[0]!, idx)) {
      heap[0] = idx;
      siftDown(0);
    }
  }
  const kept = Array.from(heap.subarray(0, size));
  kept.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return kept.map((index) => ({ index, score: scores[index]! }));
}

/** 1-based rank of `slot` among all scores; equal scores count in its favour. */
export function rankOfSlot(scores: ArrayLike<number>, slot: number): number {
  const own = scores[slot]!;
  let rank = 1;
  for (let i = 0; i < scores.length; i++) if (scores[i]! > own) rank++;
  return rank;
}
