/**
 * Colour and geometry of the alignment heatmap. Pure, so the canvas view, the PNG export and the tests
 * agree on what a cell looks like and where it is.
 */

/**
 * Viridis (matplotlib's default): perceptually uniform, so equal steps in similarity look like equal steps in
 * colour, monotonic in lightness (it reads in greyscale) and distinguishable with the common colour-vision
 * deficiencies. Dark for weak, yellow for strong.
 */
const RAMP: Array<[number, number, number]> = [
  [68, 1, 84],
  [71, 45, 123],
  [59, 82, 139],
  [44, 114, 142],
  [33, 145, 140],
  [40, 174, 128],
  [94, 201, 98],
  [173, 220, 48],
  [253, 231, 37],
];

/** The ramp as a CSS gradient, for legends drawn in HTML. */
export const RAMP_GRADIENT = `linear-gradient(to right, ${RAMP.map((c, i) => `rgb(${c.join(', ')}) ${((i / (RAMP.length - 1)) * 100).toFixed(1)}%`).join(', ')})`;

export interface ColourScale {
  min: number;
  max: number;
  /** Position of a value in [0, 1] along the scale (clamped). */
  position(value: number): number;
  colour(value: number): string;
  /** Text colour that stays readable on top of `colour(value)`. */
  ink(value: number): string;
}

export function rampColour(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  const a = RAMP[i]!;
  const b = RAMP[i + 1]!;
  return [0, 1, 2].map((k) => Math.round(a[k]! + (b[k]! - a[k]!) * f)) as [number, number, number];
}

const hex = (rgb: [number, number, number]) => `#${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`;

/**
 * A scale over the finite values of a similarity matrix. The domain is the matrix's own range: similarities
 * of one encoder cluster in a narrow band, and a fixed [-1, 1] would paint every cell the same blue.
 */
export function similarityScale(matrix: number[][]): ColourScale {
  let min = Infinity;
  let max = -Infinity;
  for (const row of matrix) {
    for (const v of row) {
      if (!Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (min === Infinity) {
    min = 0;
    max = 1;
  }
  const span = max - min > 1e-9 ? max - min : 1;
  const position = (v: number) => (Number.isFinite(v) ? Math.min(1, Math.max(0, (v - min) / span)) : 0);
  return {
    min,
    max,
    position,
    colour: (v) => hex(rampColour(position(v))),
    ink: (v) => (position(v) < 0.6 ? '#ffffff' : '#1d2733'),
  };
}

/** Legend stops for the scale, `count` values evenly from min to max. */
export function legendStops(scale: ColourScale, count = 5): Array<{ value: number; colour: string }> {
  return Array.from({ length: count }, (_, i) => {
    const value = scale.min + ((scale.max - scale.min) * i) / Math.max(1, count - 1);
    return { value, colour: scale.colour(value) };
  });
}

export interface HeatmapLayout {
  cellWidth: number;
  cellHeight: number;
  /** Room for row labels (query tokens) on the left and column labels (passage tokens) on top. */
  left: number;
  top: number;
  width: number;
  height: number;
  rows: number;
  cols: number;
}

export interface LayoutOptions {
  /** Width the heatmap should fill if it can; columns shrink to `minCell` before the view scrolls. */
  availableWidth: number;
  rowLabelWidth: number;
  columnLabelHeight: number;
  minCell?: number;
  maxCell?: number;
  cellHeight?: number;
}

export function heatmapLayout(rows: number, cols: number, o: LayoutOptions): HeatmapLayout {
  const minCell = o.minCell ?? 14;
  const maxCell = o.maxCell ?? 44;
  const room = Math.max(0, o.availableWidth - o.rowLabelWidth - 8);
  const cellWidth = Math.max(minCell, Math.min(maxCell, cols > 0 ? Math.floor(room / cols) : maxCell));
  const cellHeight = o.cellHeight ?? 26;
  return {
    cellWidth,
    cellHeight,
    left: o.rowLabelWidth,
    top: o.columnLabelHeight,
    width: o.rowLabelWidth + cols * cellWidth + 8,
    height: o.columnLabelHeight + rows * cellHeight + 4,
    rows,
    cols,
  };
}

/** The cell under a point in heatmap coordinates, or null outside the grid. */
export function cellAt(layout: HeatmapLayout, x: number, y: number): { row: number; col: number } | null {
  const col = Math.floor((x - layout.left) / layout.cellWidth);
  const row = Math.floor((y - layout.top) / layout.cellHeight);
  if (x < layout.left || y < layout.top || col < 0 || row < 0 || col >= layout.cols || row >= layout.rows) return null;
  return { row, col };
}

/** Label every n-th column so that rotated labels never overlap (a 14 px row fits one line of text). */
export function columnLabelStride(cellWidth: number, lineHeight = 14): number {
  return Math.max(1, Math.ceil(lineHeight / cellWidth));
}

/** Background for a passage token shaded by its best similarity: the same ramp, translucent. */
export function tokenShade(scale: ColourScale, value: number): string {
  if (!Number.isFinite(value)) return 'transparent';
  const t = scale.position(value);
  const [r, g, b] = rampColour(t);
  return `rgba(${r}, ${g}, ${b}, ${(0.15 + 0.85 * t).toFixed(3)})`;
}

/** Formats a similarity the way every tooltip and label shows it. */
export function formatSimilarity(v: number): string {
  return Number.isFinite(v) ? v.toFixed(4) : '—';
}
