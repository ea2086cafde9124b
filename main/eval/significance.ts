import { SaegimError } from '../contract/errors.js';

export interface RandomizationTestOptions {
  /** Random sign assignments to draw; 10,000 puts the Monte Carlo error of p near 0.05 at about ±0.002. */
  trials?: number;
  /** PRNG seed, so a report's p-values come out the same every time it is rerun. */
  seed?: number;
}

export interface RandomizationTestResult {
  /** mean(a − b): positive when `a` scores higher. */
  meanDifference: number;
  /** Two-sided p-value. */
  pValue: number;
}

/**
 * Paired randomization (permutation) test, the test IR papers use to compare two systems on the same
 * queries (Smucker, Allan & Carterette, CIKM 2007). Under the null hypothesis the two systems' scores for a
 * query are exchangeable, so each per-query difference keeps or flips its sign with probability 1/2; p is
 * the share of random sign assignments whose |mean difference| reaches the observed one.
 *
 * The observed assignment counts as one of the trials (p = (hits + 1) / (trials + 1), Phipson & Smyth,
 * 2010), so a Monte Carlo p is never exactly 0 and the test keeps its size: P(p ≤ α) ≤ α under the null.
 */
export function pairedRandomizationTest(a: readonly number[], b: readonly number[], opts: RandomizationTestOptions = {}): RandomizationTestResult {
  if (a.length !== b.length) throw new SaegimError('bad-input', `the paired test needs one score per query from each system, got ${a.length} and ${b.length}`);
  const trials = opts.trials ?? 10_000;
  if (!Number.isInteger(trials) || trials < 1) throw new SaegimError('bad-input', `trials must be a positive integer, got ${trials}`);
  const n = a.length;
  if (n === 0) return { meanDifference: 0, pValue: 1 };
  let observedSum = 0;
  let scale = 0;
  // Queries where both systems score the same add ±0 under every assignment: leaving them out changes no sum.
  const diffs: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (!Number.isFinite(d)) throw new SaegimError('bad-input', `query ${i} has a score that is not a finite number`);
    observedSum += d;
    scale += Math.abs(d);
    if (d !== 0) diffs.push(d);
  }
  const meanDifference = observedSum / n;
  if (diffs.length === 0) return { meanDifference, pValue: 1 };
  const observed = Math.abs(observedSum);
  // Sums that equal the observed one in exact arithmetic can differ in the last bits after reordering, and
  // must count as "at least as extreme"; the tolerance scales with the magnitudes added.
  const threshold = observed - 1e-9 * scale;
  const random = mulberry32(opts.seed ?? 42);
  const m = diffs.length;
  let atLeast = 0;
  for (let t = 0; t < trials; t++) {
    let sum = 0;
    // One 32-bit draw supplies 32 signs: the PRNG, not the arithmetic, is the cost here.
    for (let i = 0; i < m; i += 32) {
      const bits = (random() * 4294967296) >>> 0;
      const end = Math.min(m, i + 32);
      for (let j = i; j < end; j++) sum += (bits >>> (j - i)) & 1 ? diffs[j]! : -diffs[j]!;
    }
    if (Math.abs(sum) >= threshold) atLeast++;
  }
  return { meanDifference, pValue: (atLeast + 1) / (trials + 1) };
}

/**
 * Holm–Bonferroni step-down adjustment (Holm, 1979): controls the family-wise error rate over all the
 * comparisons of a report without Bonferroni's loss of power. The i-th smallest p (0-based) is multiplied
 * by (m − i), made monotone, and capped at 1. Returns the adjusted p-values in the input's order.
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach(([p, i], rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[i] = running;
  });
  return adjusted;
}

/** Mulberry32: a tiny seeded 32-bit PRNG (uniform in [0, 1)), good enough for resampling and synthetic data. */
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
