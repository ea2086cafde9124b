import { describe, expect, it } from 'vitest';
import { cellAt, columnLabelStride, heatmapLayout, legendStops, rampColour, similarityScale, tokenShade } from '../../renderer/src/logic/heatmap.js';

describe('heatmap colour scale', () => {
  const scale = similarityScale([
    [0.2, 0.6],
    [1.0, -Infinity],
  ]);

  it('spans the finite range of the matrix', () => {
    expect(scale.min).toBe(0.2);
    expect(scale.max).toBe(1.0);
    expect(scale.position(0.6)).toBeCloseTo(0.5, 12);
    expect(scale.position(5)).toBe(1);
    expect(scale.position(-Infinity)).toBe(0);
  });

  it('follows viridis from dark purple to yellow', () => {
    expect(scale.colour(0.2)).toBe('#440154');
    expect(scale.colour(1.0)).toBe('#fde725');
    expect(rampColour(0.5)).toEqual([33, 145, 140]);
    expect(scale.ink(1.0)).toBe('#1d2733');
    expect(scale.ink(0.2)).toBe('#ffffff');
  });

  it('survives a constant or empty matrix', () => {
    const flat = similarityScale([[0.5, 0.5]]);
    expect(flat.position(0.5)).toBe(0);
    expect(similarityScale([]).max).toBe(1);
  });

  it('gives legend stops from min to max', () => {
    const stops = legendStops(scale, 3).map((s) => s.value);
    expect(stops).toHaveLength(3);
    [0.2, 0.6, 1.0].forEach((v, i) => expect(stops[i]).toBeCloseTo(v, 12));
  });

  it('shades passage tokens more opaquely the stronger they align', () => {
    expect(tokenShade(scale, 0.2)).toBe('rgba(68, 1, 84, 0.150)');
    expect(tokenShade(scale, 1.0)).toBe('rgba(253, 231, 37, 1.000)');
    expect(tokenShade(scale, Number.NaN)).toBe('transparent');
  });
});

describe('heatmap layout', () => {
  it('fits columns into the available width within the cell limits', () => {
    const l = heatmapLayout(4, 20, { availableWidth: 908, rowLabelWidth: 100, columnLabelHeight: 80 });
    expect(l.cellWidth).toBe(40);
    expect(l.width).toBe(100 + 20 * 40 + 8);
    expect(l.height).toBe(80 + 4 * 26 + 4);
    const long = heatmapLayout(4, 400, { availableWidth: 908, rowLabelWidth: 100, columnLabelHeight: 80 });
    expect(long.cellWidth).toBe(14);
  });

  it('finds the cell under a point', () => {
    const l = heatmapLayout(3, 5, { availableWidth: 300, rowLabelWidth: 50, columnLabelHeight: 40, cellHeight: 20 });
    expect(l.cellWidth).toBe(44);
    expect(cellAt(l, 50, 40)).toEqual({ row: 0, col: 0 });
    expect(cellAt(l, 50 + 44 * 2 + 1, 40 + 20 * 2 + 19)).toEqual({ row: 2, col: 2 });
    expect(cellAt(l, 49, 45)).toBeNull();
    expect(cellAt(l, 50 + 44 * 5, 45)).toBeNull();
    expect(cellAt(l, 60, 40 + 60)).toBeNull();
  });

  it('thins column labels when cells are narrower than a line of text', () => {
    expect(columnLabelStride(20)).toBe(1);
    expect(columnLabelStride(7)).toBe(2);
  });
});
