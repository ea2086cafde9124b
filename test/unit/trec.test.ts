import { describe, expect, it } from 'vitest';
import { formatTrecQrels, formatTrecRun, parseTrecQrels, parseTrecRun } from '../../main/eval/trec.js';
import type { Run } from '../../main/contract/types.js';

describe('TREC runs and qrels', () => {
  const run: Run = {
    'q-1': [
      { docId: 'hist-001', score: 12.5, rank: 1 },
      { docId: 'hist-004', score: 0.032266458495966696, rank: 2 },
      { docId: 'hist-002', score: 0.0322664, rank: 3 },
    ],
    'q-2': [{ docId: 'notes/my file', score: -1.25, rank: 1 }],
  };

  it('writes qid Q0 docid rank score tag lines', () => {
    expect(formatTrecRun(run, 'saegim-bm25').split('\n')).toEqual([
      'q-1 Q0 hist-001 1 12.5 saegim-bm25',
      'q-1 Q0 hist-004 2 0.032266458495966696 saegim-bm25',
      'q-1 Q0 hist-002 3 0.0322664 saegim-bm25',
      'q-2 Q0 notes/my%20file 1 -1.25 saegim-bm25',
      '',
    ]);
    expect(formatTrecRun({}, 'x')).toBe('');
  });

  it('round-trips a run, scores exactly and ids with whitespace included', () => {
    expect(parseTrecRun(formatTrecRun(run, 'tag'))).toEqual(run);
  });

  it('orders hits by score as trec_eval does and renumbers ranks from 1', () => {
    const text = 'q 0 b 0 1.5 t\r\nq Q0 a 1 3.0 t\n\nq Q0 c 2 1.5 t\n';
    expect(parseTrecRun(text)).toEqual({
      q: [
        { docId: 'a', score: 3, rank: 1 },
        { docId: 'b', score: 1.5, rank: 2 },
        { docId: 'c', score: 1.5, rank: 3 },
      ],
    });
  });

  it('names the file and line of a bad row', () => {
    expect(() => parseTrecRun('q Q0 a 1 1.0 t\nq Q0 b 2 t\n', 'bm25.run')).toThrow(/^bm25\.run:2: expected 6 columns/);
    expect(() => parseTrecRun('q Q0 a 1 high t')).toThrow(/run:1: score "high"/);
    expect(() => parseTrecRun('q Q0 a 1.5 2 t')).toThrow(/run:1: rank "1.5"/);
    expect(() => parseTrecRun('q Q0 a 1 2 t\nq Q0 a 2 1 t')).toThrow(/run:2: document a is listed for query q already on line 1/);
  });

  it('round-trips graded qrels and reports bad qrels lines', () => {
    const qrels = { q1: { d1: 2, d2: 0, 'a b': 1 }, q2: { d3: -1 } };
    const text = formatTrecQrels(qrels);
    expect(text).toBe('q1 0 d1 2\nq1 0 d2 0\nq1 0 a%20b 1\nq2 0 d3 -1\n');
    expect(parseTrecQrels(text)).toEqual(qrels);
    expect(() => parseTrecQrels('q1 0 d1\n', 'test.qrels')).toThrow(/^test\.qrels:1: expected 4 columns/);
    expect(() => parseTrecQrels('q1 0 d1 1\nq1 0 d1 2', 'test.qrels')).toThrow(/test\.qrels:2: document d1 is judged/);
  });

  it('refuses scores that are not finite numbers', () => {
    expect(() => formatTrecRun({ q: [{ docId: 'd', score: Number.NaN, rank: 1 }] }, 't')).toThrow(/not a finite number/);
  });
});
