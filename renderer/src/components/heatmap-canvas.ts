import type { AlignmentGrid } from '../logic/alignment-grid.js';
import { columnLabelStride, heatmapLayout, type ColourScale, type HeatmapLayout } from '../logic/heatmap.js';
import type { RowDiscount } from '../logic/scoring.js';

export const HEATMAP_FONT = "'Noto Sans KR', 'NanumGothic', 'Apple SD Gothic Neo', 'Malgun Gothic', sans-serif";
const LABEL_ANGLE = (55 * Math.PI) / 180;
const ARGMAX = '#e0115f';
const INK = '#1d2733';
const MUTED = '#8a94a3';
const DISCOUNT = '#8a5a12';

export interface DrawState {
  droppedRows: ReadonlySet<number>;
  hover: { row: number; col: number } | null;
  /** Columns that begin a new eojeol (subword view): a word boundary is drawn before each. */
  wordStarts?: ReadonlySet<number>;
  /** Rows the model added (markers, [MASK] augmentation): their labels are drawn muted and tagged. */
  addedRows?: ReadonlySet<number>;
  /**
   * Per row, what the model's query weights do to it: skiplisted rows' labels are drawn muted and struck,
   * every discounted row gets its weight after the label. Their cells keep their colours: the similarity is
   * still there, it only counts less.
   */
  discounts?: ReadonlyArray<RowDiscount | null>;
}

const BADGE_FONT = `10.5px ${HEATMAP_FONT}`;
const BADGE_GAP = 5;

/** The weight drawn after a row label; partial eojeol rows are explained in the chips, not squeezed in here. */
function rowBadge(d: RowDiscount | null | undefined): string | null {
  return d && d.kind !== 'partial' ? d.badge : null;
}

function clip(label: string, max = 10): string {
  return label.length > max ? `${label.slice(0, max - 1)}…` : label;
}

/** Sizes the heatmap so that its labels fit: row labels at their widest, column labels slanted. */
export function measureLayout(
  ctx: CanvasRenderingContext2D,
  grid: AlignmentGrid,
  availableWidth: number,
  minCell?: number,
  discounts: ReadonlyArray<RowDiscount | null> = [],
): HeatmapLayout {
  const badgeWidth = (r: number) => {
    const badge = rowBadge(discounts[r]);
    if (!badge) return 0;
    ctx.font = BADGE_FONT;
    return ctx.measureText(badge).width + BADGE_GAP;
  };
  const rowLabel = Math.max(
    ...grid.rows.map((row, r) => {
      ctx.font = `13px ${HEATMAP_FONT}`;
      return ctx.measureText(clip(row.label)).width + badgeWidth(r);
    }),
    30,
  );
  ctx.font = `12px ${HEATMAP_FONT}`;
  const colLabel = Math.max(...grid.cols.map((c) => ctx.measureText(clip(c.label)).width), 20);
  return heatmapLayout(grid.rows.length, grid.cols.length, {
    availableWidth,
    ...(minCell !== undefined ? { minCell } : {}),
    rowLabelWidth: Math.min(200, Math.ceil(rowLabel) + 18),
    columnLabelHeight: Math.min(150, Math.ceil(colLabel * Math.sin(LABEL_ANGLE)) + 18),
  });
}

/**
 * Draws the heatmap in layout coordinates: labels, cells coloured by similarity, values where cells are
 * wide enough to print them, each row's argmax outlined, dropped rows faded.
 */
export function drawHeatmap(ctx: CanvasRenderingContext2D, grid: AlignmentGrid, layout: HeatmapLayout, scale: ColourScale, state: DrawState): void {
  const { left, top, cellWidth: cw, cellHeight: ch } = layout;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, layout.width, layout.height);
  ctx.textBaseline = 'middle';

  // Row labels: query tokens.
  ctx.font = `13px ${HEATMAP_FONT}`;
  ctx.textAlign = 'right';
  grid.rows.forEach((row, r) => {
    const dropped = state.droppedRows.has(r);
    const added = state.addedRows?.has(r) ?? false;
    const discount = state.discounts?.[r];
    const skiplisted = discount?.kind === 'skiplisted';
    const y = top + r * ch + ch / 2;
    let right = left - 8;
    const badge = rowBadge(discount);
    if (badge) {
      ctx.font = BADGE_FONT;
      ctx.fillStyle = DISCOUNT;
      ctx.fillText(badge, right, y);
      right -= ctx.measureText(badge).width + BADGE_GAP;
    }
    ctx.fillStyle = dropped || added || skiplisted ? MUTED : state.hover?.row === r ? '#2563a8' : INK;
    ctx.font = `${added ? 'italic ' : ''}13px ${HEATMAP_FONT}`;
    ctx.fillText(clip(row.label), right, y);
    if (dropped || skiplisted) {
      const w = ctx.measureText(clip(row.label)).width;
      ctx.fillRect(right - w, y, w, 1);
    }
  });

  // Column labels: passage tokens, slanted so that Hangul stays upright enough to read.
  ctx.font = `12px ${HEATMAP_FONT}`;
  ctx.textAlign = 'left';
  const stride = columnLabelStride(cw);
  grid.cols.forEach((col, c) => {
    if (c % stride !== 0 && state.hover?.col !== c) return;
    ctx.save();
    ctx.translate(left + c * cw + cw / 2, top - 6);
    ctx.rotate(-LABEL_ANGLE);
    ctx.fillStyle = col.skipped ? MUTED : state.hover?.col === c ? '#2563a8' : INK;
    ctx.fillText(clip(col.label), 0, 0);
    ctx.restore();
  });

  // Cells.
  const showValues = cw >= 38;
  ctx.font = `11px ${HEATMAP_FONT}`;
  ctx.textAlign = 'center';
  grid.similarity.forEach((rowValues, r) => {
    const dropped = state.droppedRows.has(r);
    ctx.globalAlpha = dropped ? 0.25 : 1;
    rowValues.forEach((v, c) => {
      const x = left + c * cw;
      const y = top + r * ch;
      ctx.fillStyle = Number.isFinite(v) ? scale.colour(v) : '#eef0f3';
      ctx.fillRect(x, y, cw, ch);
      if (showValues && Number.isFinite(v)) {
        ctx.fillStyle = scale.ink(v);
        ctx.fillText(v.toFixed(2), x + cw / 2, y + ch / 2 + 0.5);
      }
    });
    ctx.globalAlpha = 1;
  });

  // Grid lines, faint enough not to compete with the colours or the word boundaries; none between hairline columns.
  ctx.strokeStyle = 'rgba(255,255,255,0.28)';
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let c = 1; c < layout.cols && cw >= 8; c++) {
    ctx.moveTo(left + c * cw + 0.5, top);
    ctx.lineTo(left + c * cw + 0.5, top + layout.rows * ch);
  }
  for (let r = 1; r < layout.rows; r++) {
    ctx.moveTo(left, top + r * ch + 0.5);
    ctx.lineTo(left + layout.cols * cw, top + r * ch + 0.5);
  }
  ctx.stroke();

  if (state.wordStarts && state.wordStarts.size > 0) {
    ctx.strokeStyle = '#ffffff';
    ctx.lineWidth = 2;
    ctx.beginPath();
    for (const c of state.wordStarts) {
      if (c <= 0 || c >= layout.cols) continue;
      ctx.moveTo(left + c * cw, top - 4);
      ctx.lineTo(left + c * cw, top + layout.rows * ch);
    }
    ctx.stroke();
  }

  // Each row's argmax: the passage token MaxSim picks for that query token.
  ctx.strokeStyle = ARGMAX;
  ctx.lineWidth = 2;
  grid.best.forEach((c, r) => {
    if (state.droppedRows.has(r) || c < 0) return;
    // Narrow cells (the fitted view) get the outline around them, so the argmax never vanishes.
    if (cw >= 6) ctx.strokeRect(left + c * cw + 1, top + r * ch + 1, cw - 2, ch - 2);
    else ctx.strokeRect(left + c * cw - 1, top + r * ch + 1, cw + 2, ch - 2);
  });

  if (state.hover) {
    ctx.strokeStyle = INK;
    ctx.lineWidth = 1.5;
    ctx.strokeRect(left + state.hover.col * cw + 0.75, top + state.hover.row * ch + 0.75, cw - 1.5, ch - 1.5);
  }

  ctx.strokeStyle = '#cfd5dd';
  ctx.lineWidth = 1;
  ctx.strokeRect(left + 0.5, top + 0.5, layout.cols * cw, layout.rows * ch);
}

export interface PngCaption {
  query: string;
  docId: string;
  docTitle?: string;
  score: number;
  model: string | null;
  /** How the score was summed (describeQueryScoring), so a figure of a weighted score says so. */
  queryScoring?: string;
}

/**
 * A standalone PNG that says what it shows: the query, the passage id, the model and the score above the
 * heatmap, its colour scale with the range below, drawn at twice the size for print.
 */
export function renderPng(grid: AlignmentGrid, layout: HeatmapLayout, scale: ColourScale, droppedRows: ReadonlySet<number>, caption: PngCaption, state: Partial<DrawState> = {}): Promise<Blob> {
  const header = 58;
  const footer = 40;
  const factor = 2;
  const width = Math.max(layout.width, 560);
  const canvas = document.createElement('canvas');
  canvas.width = width * factor;
  canvas.height = (layout.height + header + footer) * factor;
  const ctx = canvas.getContext('2d')!;
  ctx.scale(factor, factor);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, layout.height + header + footer);
  ctx.fillStyle = INK;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';
  ctx.font = `bold 14px ${HEATMAP_FONT}`;
  ctx.fillText(`질의: ${caption.query}`, 12, 18);
  ctx.font = `12px ${HEATMAP_FONT}`;
  const doc = caption.docTitle ? `${caption.docTitle} (${caption.docId})` : caption.docId;
  ctx.fillText(
    `문단: ${doc}  ·  MaxSim ${caption.score.toFixed(4)}  ·  모델: ${caption.model ?? '알 수 없음'}${caption.queryScoring ? `  ·  질의 채점: ${caption.queryScoring}` : ''}`,
    12,
    40,
  );
  ctx.save();
  ctx.translate(0, header);
  drawHeatmap(ctx, grid, layout, scale, { droppedRows, hover: null, ...state });
  ctx.restore();

  // The colour scale with its range, so the figure reads on its own.
  const y = header + layout.height + 12;
  ctx.font = `11px ${HEATMAP_FONT}`;
  const lead = ctx.measureText('유사도').width + ctx.measureText(scale.min.toFixed(4)).width + 24;
  const barX = 12 + lead;
  const barW = 200;
  const steps = 50;
  ctx.fillStyle = INK;
  ctx.fillText('유사도', 12, y + 6);
  for (let i = 0; i < steps; i++) {
    ctx.fillStyle = scale.colour(scale.min + ((scale.max - scale.min) * i) / (steps - 1));
    ctx.fillRect(barX + (barW * i) / steps, y, barW / steps + 0.5, 12);
  }
  ctx.fillStyle = INK;
  ctx.textAlign = 'right';
  ctx.fillText(scale.min.toFixed(4), barX - 6, y + 6);
  ctx.textAlign = 'left';
  ctx.fillText(scale.max.toFixed(4), barX + barW + 6, y + 6);
  ctx.strokeStyle = ARGMAX;
  ctx.lineWidth = 2;
  ctx.strokeRect(barX + barW + 70, y, 14, 12);
  ctx.fillStyle = INK;
  ctx.fillText('행 최댓값 (MaxSim이 고른 토큰)', barX + barW + 90, y + 6);
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))), 'image/png'));
}
