import { describe, expect, it } from 'vitest';
import { alignTokens } from '../../main/explain/alignment.js';
import type { TokenVectors } from '../../main/contract/types.js';

const vectors = (rows: number[][]): TokenVectors => ({ length: rows.length, dim: rows[0]!.length, data: Float32Array.from(rows.flat()) });

describe('token alignment', () => {
  const q = vectors([
    [1, 0],
    [0, 1],
  ]);
  const d = vectors([
    [0.6, 0.8],
    [1, 0],
    [0, -1],
  ]);

  it('picks each query token’s best document token and sums the maxima (Eq. 1)', () => {
    const a = alignTokens(q, d);
    expect(a.similarity[0]).toEqual([expect.closeTo(0.6, 6), 1, 0]);
    expect(a.similarity[1]).toEqual([expect.closeTo(0.8, 6), 0, -1]);
    expect(a.best).toEqual([1, 0]);
    expect(a.contributions[0]).toBeCloseTo(1, 6);
    expect(a.contributions[1]).toBeCloseTo(0.8, 6);
    expect(a.score).toBeCloseTo(1.8, 6);
  });

  it('ignores masked document tokens when choosing the maximum', () => {
    const a = alignTokens(q, d, Uint8Array.from([1, 0, 1]));
    expect(a.best).toEqual([0, 0]);
    expect(a.score).toBeCloseTo(1.4, 6);
  });

  it('drops ablated query tokens from the sum only', () => {
    const a = alignTokens(q, d, undefined, new Set([0]));
    expect(a.best).toEqual([1, 0]);
    expect(a.contributions[0]).toBe(0);
    expect(a.score).toBeCloseTo(0.8, 6);
  });

  it('refuses vectors of different widths', () => {
    expect(() => alignTokens(q, vectors([[1, 0, 0]]))).toThrow(/2-dim.*3-dim/);
  });
});
