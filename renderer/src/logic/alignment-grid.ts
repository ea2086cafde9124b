import type { Explanation, TokenInfo } from '../../../main/contract/api.js';

/** One row or column of the alignment: a subword token, or the subwords of one eojeol merged. */
export interface TokenGroup {
  /** What to print: the covered text, or the raw token for tokens without a span ([MASK] padding). */
  label: string;
  start: number;
  end: number;
  /** Token positions in the Explanation that make up this group. */
  members: number[];
  /** Every member is left out of MaxSim (document punctuation with skipPunctuation). */
  skipped: boolean;
}

/** What the heatmap, the shaded passage and the contribution bars draw, at either granularity. */
export interface AlignmentGrid {
  rows: TokenGroup[];
  cols: TokenGroup[];
  /** `similarity[r][c]`: a merged cell takes the max over its member cells (the best pairing inside it). */
  similarity: number[][];
  /** Column of each row's maximum: the eojeol or token the row aligns to. */
  best: number[];
  /**
   * Each row's share of the MaxSim score. For an eojeol this is the sum of its subwords' contributions,
   * not its merged cell's max, so the bars still sum to S(q,d) = Σ_i max_j E_q[i]·E_d[j].
   */
  contributions: number[];
  score: number;
  /** Per column, the best similarity any row gives it: the passage text's shading. */
  columnMax: number[];
}

/**
 * The text a token covers. Byte-level BPE and WordPiece spell tokens as `Ġ서울` or `##울`; the span into the
 * original text reads as the user typed it. Zero-width tokens ([MASK] query augmentation) keep their name.
 */
export function tokenLabel(token: TokenInfo, text: string): string {
  if (token.end > token.start && token.end <= text.length) {
    const covered = text.slice(token.start, token.end).trim();
    if (covered) return covered;
  }
  return token.text;
}

function single(token: TokenInfo, index: number, text: string): TokenGroup {
  return { label: tokenLabel(token, text), start: token.start, end: token.end, members: [index], skipped: !!token.skipped };
}

/** Whitespace-separated words of a text as `[start, end)` spans: Korean's eojeol are exactly these. */
export function eojeolSpans(text: string): Array<[number, number]> {
  return [...text.matchAll(/\S+/g)].map((m) => [m.index, m.index + m[0].length]);
}

/**
 * Groups subword tokens into eojeol by their offsets. A token belongs to the word holding its first
 * non-space character (BPE tokens often start with the space before the word). Tokens that cover no
 * text stay alone.
 */
export function groupByEojeol(tokens: TokenInfo[], text: string): TokenGroup[] {
  const words = eojeolSpans(text);
  const groups: TokenGroup[] = [];
  let current: { word: number; group: TokenGroup } | null = null;
  tokens.forEach((token, i) => {
    let first = token.start;
    while (first < token.end && /\s/.test(text[first] ?? '')) first++;
    const word = first < token.end ? words.findIndex(([s, e]) => first >= s && first < e) : -1;
    if (word < 0) {
      groups.push(single(token, i, text));
      current = null;
      return;
    }
    if (current && current.word === word) {
      const g = current.group;
      g.members.push(i);
      g.end = Math.max(g.end, token.end);
      g.skipped = g.skipped && !!token.skipped;
      return;
    }
    const [ws, we] = words[word]!;
    const group: TokenGroup = { label: text.slice(ws, we), start: ws, end: we, members: [i], skipped: !!token.skipped };
    groups.push(group);
    current = { word, group };
  });
  return groups;
}

function argmax(row: number[]): number {
  let best = 0;
  for (let j = 1; j < row.length; j++) if (row[j]! > row[best]!) best = j;
  return best;
}

function columnMaxima(similarity: number[][], cols: number): number[] {
  const out = new Array<number>(cols).fill(-Infinity);
  for (const row of similarity) row.forEach((v, j) => (out[j] = Math.max(out[j]!, v)));
  return out;
}

export function subwordGrid(exp: Explanation): AlignmentGrid {
  const similarity = exp.similarity.map((row) => [...row]);
  return {
    rows: exp.queryTokens.map((t, i) => single(t, i, exp.queryText)),
    cols: exp.docTokens.map((t, j) => single(t, j, exp.docText)),
    similarity,
    best: [...exp.best],
    contributions: [...exp.contributions],
    score: exp.score,
    columnMax: columnMaxima(similarity, exp.docTokens.length),
  };
}

export function eojeolGrid(exp: Explanation): AlignmentGrid {
  const rows = groupByEojeol(exp.queryTokens, exp.queryText);
  const cols = groupByEojeol(exp.docTokens, exp.docText);
  const similarity = rows.map((row) =>
    cols.map((col) => {
      let best = -Infinity;
      for (const i of row.members) {
        for (const j of col.members) {
          // A skipped document token never enters MaxSim, so it cannot be a merged cell's best pairing.
          if (exp.docTokens[j]!.skipped && !col.skipped) continue;
          best = Math.max(best, exp.similarity[i]![j]!);
        }
      }
      return best;
    }),
  );
  return {
    rows,
    cols,
    similarity,
    best: similarity.map(argmax),
    contributions: rows.map((row) => row.members.reduce((s, i) => s + exp.contributions[i]!, 0)),
    score: exp.score,
    columnMax: columnMaxima(similarity, cols.length),
  };
}

/** Query token positions behind a set of dropped rows, for api.ablate. */
export function droppedTokens(grid: AlignmentGrid, droppedRows: ReadonlySet<number>): number[] {
  return [...droppedRows].flatMap((r) => grid.rows[r]?.members ?? []).sort((a, b) => a - b);
}

/** The rows of a grid whose members are all in a set of dropped token positions. */
export function droppedRowsOf(grid: AlignmentGrid, dropped: ReadonlySet<number>): Set<number> {
  const out = new Set<number>();
  grid.rows.forEach((row, r) => {
    if (row.members.every((i) => dropped.has(i))) out.add(r);
  });
  return out;
}
