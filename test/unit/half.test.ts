import { describe, expect, it } from 'vitest';
import { floatsToHalves, fromHalf, halvesToFloats, toHalf } from '../../main/store/half.js';

describe('fp16 storage', () => {
  it('encodes known values bit-exactly', () => {
    expect(toHalf(0)).toBe(0x0000);
    expect(toHalf(-0)).toBe(0x8000);
    expect(toHalf(1)).toBe(0x3c00);
    expect(toHalf(-2)).toBe(0xc000);
    expect(toHalf(0.5)).toBe(0x3800);
    expect(toHalf(65504)).toBe(0x7bff);
    expect(toHalf(1e6)).toBe(0x7c00);
    expect(toHalf(2 ** -24)).toBe(0x0001);
    expect(toHalf(Number.NaN) & 0x7c00).toBe(0x7c00);
  });

  it('rounds to nearest, ties to even', () => {
    // 1 + 2^-11 lies exactly between 1 and 1 + 2^-10: ties go to the even mantissa (1.0).
    expect(toHalf(1 + 2 ** -11)).toBe(0x3c00);
    // 1 + 3·2^-11 lies between 1 + 2^-10 (odd) and 1 + 2^-9 (even): goes up.
    expect(toHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });

  it('round-trips unit-vector components within half precision', () => {
    const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i * 0.37) / 3);
    const back = halvesToFloats(floatsToHalves(values));
    for (let i = 0; i < values.length; i++) expect(Math.abs(back[i]! - values[i]!)).toBeLessThanOrEqual(Math.abs(values[i]!) * 2 ** -11 + 2 ** -25);
    expect(fromHalf(0x3c00)).toBe(1);
  });
});
