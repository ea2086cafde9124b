import { describe, expect, it } from 'vitest';
import type { Explanation } from '../../main/contract/api.js';
import { droppedRowsOf, droppedTokens, eojeolGrid, eojeolSpans, groupByEojeol, subwordGrid, tokenLabel } from '../../renderer/src/logic/alignment-grid.js';

// Query "세종대왕 한글" as WordPiece subwords; passage "세종대왕이 한글을 만들었다." with punctuation.
const queryText = '세종대왕 한글';
const docText = '세종대왕이 한글을 만들었다.';
const explanation: Explanation = {
  collection: 'demo',
  docId: 'd1',
  query: queryText,
  queryText,
  docText,
  queryTokens: [
    { text: '세종', start: 0, end: 2 },
    { text: '##대왕', start: 2, end: 4 },
    { text: '한글', start: 5, end: 7 },
    { text: '[MASK]', start: 0, end: 0 },
  ],
  docTokens: [
    { text: '세종', start: 0, end: 2 },
    { text: '대왕', start: 2, end: 4 },
    { text: '이', start: 4, end: 5 },
    { text: '한글', start: 6, end: 8 },
    { text: '을', start: 8, end: 9 },
    { text: '만들었다', start: 10, end: 14 },
    { text: '.', start: 14, end: 15, skipped: true },
  ],
  similarity: [
    [0.9, 0.4, 0.1, 0.2, 0.0, 0.1, 0.95],
    [0.3, 0.8, 0.2, 0.1, 0.1, 0.0, 0.2],
    [0.1, 0.2, 0.0, 0.85, 0.3, 0.2, 0.1],
    [0.2, 0.1, 0.3, 0.2, 0.1, 0.5, 0.4],
  ],
  // The engine's best ignores the skipped '.' column.
  best: [0, 1, 3, 5],
  contributions: [0.9, 0.8, 0.85, 0.5],
  score: 3.05,
  rank: 1,
};

describe('eojeol grouping', () => {
  it('finds whitespace-separated words', () => {
    expect(eojeolSpans(' 세종대왕이  한글을\n만들었다.')).toEqual([
      [1, 6],
      [8, 11],
      [12, 17],
    ]);
  });

  it('groups subwords between spaces and keeps zero-width tokens alone', () => {
    const groups = groupByEojeol(explanation.queryTokens, queryText);
    expect(groups.map((g) => [g.label, g.members])).toEqual([
      ['세종대왕', [0, 1]],
      ['한글', [2]],
      ['[MASK]', [3]],
    ]);
    const doc = groupByEojeol(explanation.docTokens, docText);
    expect(doc.map((g) => g.label)).toEqual(['세종대왕이', '한글을', '만들었다.']);
    expect(doc[2]).toMatchObject({ members: [5, 6], skipped: false, start: 10, end: 15 });
  });

  it('assigns a byte-level BPE token that starts with a space to the word after it', () => {
    const text = '서울 특별시';
    const groups = groupByEojeol(
      [
        { text: '서울', start: 0, end: 2 },
        { text: 'Ġ특별', start: 2, end: 5 },
        { text: '시', start: 5, end: 6 },
      ],
      text,
    );
    expect(groups.map((g) => [g.label, g.members])).toEqual([
      ['서울', [0]],
      ['특별시', [1, 2]],
    ]);
  });

  it('labels tokens by the text they cover, not the tokenizer spelling', () => {
    expect(tokenLabel({ text: '##대왕', start: 2, end: 4 }, queryText)).toBe('대왕');
    expect(tokenLabel({ text: 'Ġ한글', start: 4, end: 7 }, queryText)).toBe('한글');
    expect(tokenLabel({ text: '[MASK]', start: 0, end: 0 }, queryText)).toBe('[MASK]');
  });
});

describe('alignment grids', () => {
  it('passes subword alignments through with column maxima for shading', () => {
    const g = subwordGrid(explanation);
    expect(g.rows.map((r) => r.label)).toEqual(['세종', '대왕', '한글', '[MASK]']);
    expect(g.best).toEqual([0, 1, 3, 5]);
    expect(g.columnMax).toEqual([0.9, 0.8, 0.3, 0.85, 0.3, 0.5, 0.95]);
    expect(g.contributions.reduce((a, b) => a + b, 0)).toBeCloseTo(g.score, 12);
  });

  it('merges cells by max, sums contributions, and keeps the score', () => {
    const g = eojeolGrid(explanation);
    expect(g.rows.map((r) => r.label)).toEqual(['세종대왕', '한글', '[MASK]']);
    expect(g.cols.map((c) => c.label)).toEqual(['세종대왕이', '한글을', '만들었다.']);
    // Row 세종대왕 × column 만들었다.: the skipped '.' (0.95) must not win over 만들었다 (0.1).
    expect(g.similarity).toEqual([
      [0.9, 0.2, 0.1],
      [0.2, 0.85, 0.2],
      [0.3, 0.2, 0.5],
    ]);
    expect(g.best).toEqual([0, 1, 2]);
    expect(g.contributions[0]).toBeCloseTo(1.7, 12);
    expect(g.contributions.reduce((a, b) => a + b, 0)).toBeCloseTo(explanation.score, 12);
    expect(g.score).toBe(3.05);
  });

  it('maps dropped rows to token positions and back', () => {
    const g = eojeolGrid(explanation);
    expect(droppedTokens(g, new Set([0, 2]))).toEqual([0, 1, 3]);
    expect([...droppedRowsOf(g, new Set([0, 1]))]).toEqual([0]);
    expect([...droppedRowsOf(g, new Set([0]))]).toEqual([]);
  });
});
