import { describe, expect, it } from 'vitest';
import { holmAdjust, mulberry32, pairedRandomizationTest } from '../../main/eval/significance.js';

describe('paired randomization test', () => {
  it('gives p = 1 for identical systems', () => {
    const scores = [0.1, 0.5, 0.9, 0.3, 1, 0];
    expect(pairedRandomizationTest(scores, scores.slice())).toEqual({ meanDifference: 0, pValue: 1 });
  });

  it('gives p < 0.01 for a clearly better system, never below 1 / (trials + 1)', () => {
    const random = mulberry32(5);
    const b = Array.from({ length: 40 }, () => 0.3 + 0.2 * random());
    const a = b.map((x) => x + 0.2 + 0.1 * random());
    const result = pairedRandomizationTest(a, b, { trials: 5000, seed: 1 });
    expect(result.meanDifference).toBeGreaterThan(0.2);
    expect(result.pValue).toBeLessThan(0.01);
    // Every difference is positive, so no random assignment reaches the observed sum: p = 1 / 5001.
    expect(result.pValue).toBe(1 / 5001);
  });

  it('is two-sided: swapping the systems negates the difference and keeps p', () => {
    const a = [0.5, 0.7, 0.2, 0.9, 0.4, 0.6, 0.8, 0.3];
    const b = [0.4, 0.5, 0.3, 0.6, 0.4, 0.2, 0.7, 0.1];
    const ab = pairedRandomizationTest(a, b, { seed: 9 });
    const ba = pairedRandomizationTest(b, a, { seed: 9 });
    expect(ba.meanDifference).toBeCloseTo(-ab.meanDifference, 12);
    expect(ba.pValue).toBe(ab.pValue);
  });

  it('matches the exact permutation p-value within Monte Carlo error', () => {
    // Differences +1, +1: of the four sign assignments, two (++ and −−) reach |sum| = 2, so exact p = 1/2.
    expect(pairedRandomizationTest([1, 1], [0, 0], { seed: 3 }).pValue).toBeCloseTo(0.5, 1);
    // Differences 1, 2, 3: |sum| = 6 only for +++ and −−−, exact p = 2/8.
    const p = pairedRandomizationTest([1, 2, 3], [0, 0, 0], { trials: 20_000, seed: 4 }).pValue;
    expect(Math.abs(p - 0.25)).toBeLessThan(0.01);
  });

  it('is reproducible for a seed', () => {
    const a = [0.2, 0.4, 0.1, 0.9, 0.5];
    const b = [0.3, 0.2, 0.2, 0.6, 0.5];
    expect(pairedRandomizationTest(a, b, { seed: 11 })).toEqual(pairedRandomizationTest(a, b, { seed: 11 }));
  });

  it('rejects unpaired input', () => {
    expect(() => pairedRandomizationTest([1, 2], [1])).toThrow(/one score per query/);
    expect(() => pairedRandomizationTest([Number.NaN], [1])).toThrow(/finite/);
  });
});

describe('Holm–Bonferroni adjustment', () => {
  it('multiplies the i-th smallest p by (m − i), keeps the order monotone and caps at 1', () => {
    // Worked example: m = 4, sorted p 0.01, 0.02, 0.03, 0.5 → 0.04, 0.06, 0.06 (monotone), 0.5.
    const close = (got: number[], want: number[]) => {
      expect(got).toHaveLength(want.length);
      got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 12));
    };
    close(holmAdjust([0.03, 0.5, 0.01, 0.02]), [0.06, 0.5, 0.04, 0.06]);
    close(holmAdjust([0.4, 0.6]), [0.8, 0.8]);
    expect(holmAdjust([0.9, 0.9, 0.9])).toEqual([1, 1, 1]);
    expect(holmAdjust([])).toEqual([]);
  });
});
