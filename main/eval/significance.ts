/**
 * Paired randomization (permutation) test, the test IR papers use to compare two systems on the same
 * queries (Smucker, Allan & Carterette, 2007): under the null hypothesis the two systems' scores for a
 * query are exchangeable, so each query's difference flips sign with probability 1/2.
 */
export function pairedRandomizationTest(a: number[], b: number[], opts: { trials?: number; seed?: number } = {}): { meanDifference: number; pValue: number } {
  if (a.length !== b.length) throw new Error(`paired test needs equal lengths, got ${a.length} and ${b.length}`);
  const n = a.length;
  if (n === 0) return { meanDifference: 0, pValue: 1 };
  const trials = opts.trials ?? 10_000;
  const diffs = a.map((x, i) => x - b[i]!);
  const observed = Math.abs(diffs.reduce((s, d) => s + d, 0));
  const random = mulberry32(opts.seed ?? 42);
  let atLeast = 0;
  for (let t = 0; t < trials; t++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += random() < 0.5 ? diffs[i]! : -diffs[i]!;
    // A small tolerance keeps floating-point noise from splitting ties with the observed sum.
    if (Math.abs(sum) >= observed - 1e-12) atLeast++;
  }
  // +1 correction: the observed assignment is one of the permutations, so p is never exactly 0.
  return { meanDifference: diffs.reduce((s, d) => s + d, 0) / n, pValue: (atLeast + 1) / (trials + 1) };
}

export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
