import { describe, expect, it } from 'vitest';
import type { EvaluationReport, Explanation, FusionInfo, MethodResult } from '../../main/contract/api.js';
import { describeFusion, describePooling, describeQueryScoring, describeTokenIndex } from '../../main/contract/describe.js';
import { eojeolGrid, subwordGrid, tokenLabel } from '../../renderer/src/logic/alignment-grid.js';
import { readRoute, routeSearch } from '../../renderer/src/logic/route.js';
import {
  explanationScoring,
  formatWeight,
  methodNote,
  modelWeighsQuery,
  rowDiscount,
  runSettings,
  scoreDecimals,
  TOKEN_INDEX_CHOICES,
  tokenIndexField,
  SKIPLISTED_TITLE,
  skiplistedCount,
  tokenWeight,
  unweightedContributions,
} from '../../renderer/src/logic/scoring.js';

const WSUM: FusionInfo = { method: 'wsum', norm: 'min-max', depth: 100, weights: { mvr: 0.6, bm25: 0.4 }, source: 'model', chosenOn: 'train' };
const RRF: FusionInfo = { method: 'rrf', k: 60, depth: 100 };

/** "한글을 왕?" as the bundled model tokenizes it: 을 and ? skiplisted, 왕 weighted 0.43 for the test. */
function weighted(): Explanation {
  const queryText = '한글을 왕?';
  const similarity = [
    [0.9, 0.1],
    [0.8, 0.2],
    [0.3, 0.7],
    [0.6, 0.5],
  ];
  const weights = [1, 0, 0.43, 0];
  const best = [0, 0, 1, 0];
  const contributions = best.map((j, i) => weights[i]! * similarity[i]![j]!);
  return {
    collection: 'demo-ko',
    docId: 'd1',
    query: queryText,
    queryText,
    docText: '세종 왕',
    queryTokens: [
      { text: '한글', start: 0, end: 2, weight: 1 },
      { text: '##을', start: 2, end: 3, weight: 0, skipped: true },
      { text: '왕', start: 4, end: 5, weight: 0.43 },
      { text: '?', start: 5, end: 6, weight: 0, skipped: true },
    ],
    docTokens: [
      { text: '세종', start: 0, end: 2 },
      { text: '왕', start: 3, end: 4 },
    ],
    similarity,
    best,
    contributions,
    score: contributions.reduce((a, b) => a + b, 0),
    rank: 1,
    queryScoring: 'model',
  };
}

function discountsOf(exp: Explanation, grid: ReturnType<typeof subwordGrid>) {
  return grid.rows.map((row) =>
    rowDiscount(
      row.members.map((i) => tokenWeight(exp, i)),
      row.members.map((i) => tokenLabel(exp.queryTokens[i]!, exp.queryText)),
    ),
  );
}

describe('query token weights in the alignment', () => {
  it('formats weights to two decimals at most', () => {
    expect(formatWeight(0)).toBe('×0');
    expect(formatWeight(0.4321)).toBe('×0.43');
    expect(formatWeight(0.5)).toBe('×0.5');
    expect(formatWeight(1.25)).toBe('×1.25');
  });

  it('marks skiplisted subwords, scaled ones with their weight, and leaves full ones alone', () => {
    const exp = weighted();
    const d = discountsOf(exp, subwordGrid(exp));
    expect(d[0]).toBeNull();
    expect(d[1]).toEqual({ kind: 'skiplisted', badge: '×0', title: SKIPLISTED_TITLE });
    expect(d[1]!.title).toBe('skiplisted by the model: counts 0');
    expect(d[2]!.kind).toBe('scaled');
    expect(d[2]!.badge).toBe('×0.43');
    expect(d[3]!.kind).toBe('skiplisted');
    expect(skiplistedCount(exp)).toBe(2);
  });

  it('names the skiplisted particle inside an eojeol', () => {
    const exp = weighted();
    const grid = eojeolGrid(exp);
    expect(grid.rows.map((r) => r.label)).toEqual(['한글을', '왕?']);
    const d = discountsOf(exp, grid);
    expect(d[0]).toEqual({ kind: 'partial', badge: '을 ×0', title: `‘을’ ${SKIPLISTED_TITLE}` });
    expect(d[1]!.kind).toBe('partial');
    expect(d[1]!.badge).toBe('왕 ×0.43 · ? ×0');
  });

  it('keeps the bars summing to the score, with what weight 1 would add beside them', () => {
    const exp = weighted();
    for (const grid of [subwordGrid(exp), eojeolGrid(exp)]) {
      expect(grid.contributions.reduce((a, b) => a + b, 0)).toBeCloseTo(exp.score, 12);
      const full = unweightedContributions(exp, grid.rows);
      full.forEach((f, r) => expect(f).toBeGreaterThanOrEqual(grid.contributions[r]! - 1e-12));
    }
    expect(unweightedContributions(exp, subwordGrid(exp).rows)).toEqual([0.9, 0.8, 0.7, 0.6]);
    expect(unweightedContributions(exp, eojeolGrid(exp).rows)[0]).toBeCloseTo(1.7, 12);
  });

  it('has no discount when every token weighs 1 or the engine sent no weights', () => {
    const exp = weighted();
    const plain: Explanation = { ...exp, queryTokens: exp.queryTokens.map(({ text, start, end }) => ({ text, start, end })), queryScoring: 'plain' };
    expect(discountsOf(plain, subwordGrid(plain)).every((d) => d === null)).toBe(true);
    expect(rowDiscount([1, 1], ['a', 'b'])).toBeNull();
    expect(rowDiscount([], [])).toBeNull();
  });

  it('tells whether the model weighs the query only when asked with the model’s scoring', () => {
    const exp = weighted();
    expect(modelWeighsQuery('model', exp)).toBe(true);
    expect(modelWeighsQuery('plain', exp)).toBeNull();
    const unweighted: Explanation = { ...exp, queryTokens: exp.queryTokens.map(({ text, start, end }) => ({ text, start, end })), queryScoring: 'plain' };
    expect(modelWeighsQuery('model', unweighted)).toBe(false);
    expect(explanationScoring(exp)).toBe('model');
    expect(explanationScoring(unweighted)).toBe('plain');
    const older = { ...unweighted };
    delete older.queryScoring;
    expect(explanationScoring(older)).toBe('plain');
  });
});

describe('fusion and pooling notes', () => {
  const result = (method: MethodResult['method'], extra: Partial<MethodResult> = {}): MethodResult => ({ method, hits: [], millis: 1, ...extra });

  it('describes hybrid’s fusion and SVR’s pooling under their columns', () => {
    expect(methodNote(result('hybrid', { fusion: WSUM }))).toBe(describeFusion(WSUM));
    expect(methodNote(result('hybrid', { fusion: WSUM }))).toContain('wsum 0.6·MVR + 0.4·BM25');
    expect(methodNote(result('hybrid', { fusion: RRF }))).toBe(describeFusion(RRF));
    expect(methodNote(result('svr', { pooling: 'model' }))).toBe(`벡터: ${describePooling('model')}`);
    expect(methodNote(result('mvr'))).toBeNull();
    expect(methodNote(result('hybrid'))).toBeNull();
  });

  it('says under MVR and hybrid when the compressed index chose the candidates, and how they were scored', () => {
    expect(methodNote(result('mvr', { tokenIndex: 'compressed' }))).toBe(`압축 인덱스 — ${describeTokenIndex('compressed')}`);
    expect(methodNote(result('hybrid', { fusion: WSUM, tokenIndex: 'compressed' }))).toBe(`${describeFusion(WSUM)} · 압축 인덱스 — ${describeTokenIndex('compressed')}`);
    expect(describeTokenIndex('compressed')).toMatch(/exact MaxSim/);
    expect(tokenIndexField('auto')).toEqual({});
    expect(tokenIndexField('compressed')).toEqual({ index: 'compressed' });
    expect(TOKEN_INDEX_CHOICES.map((c) => c.value)).toEqual(['auto', 'exact', 'compressed']);
  });

  it('prints reciprocal-rank scores with five decimals and normalised sums with four', () => {
    expect(scoreDecimals('hybrid', RRF)).toBe(5);
    expect(scoreDecimals('hybrid', undefined)).toBe(5);
    expect(scoreDecimals('hybrid', WSUM)).toBe(4);
    expect(scoreDecimals('mvr', undefined)).toBe(4);
  });
});

describe('an evaluation report’s scoring choices', () => {
  const base = (extra: Partial<EvaluationReport>): EvaluationReport => ({
    collection: 'demo-ko',
    split: 'lexical',
    k: 10,
    queries: 3,
    methods: {},
    unavailable: {},
    perQuery: [],
    significance: [],
    significanceMethod: { test: 't', trials: 1, correction: 'holm', comparisons: 0 },
    runs: {},
    seconds: 1,
    ...extra,
  });
  const m = { 'ndcg@10': 1 };

  it('states query scoring, fusion and pooling for the methods that ran', () => {
    const s = runSettings(base({ methods: { mvr: m, bm25: m, svr: m, hybrid: m }, queryScoring: 'model', fusion: WSUM, pooling: 'model', tokenIndex: 'compressed' }));
    expect(s.map((x) => [x.key, x.text])).toEqual([
      ['queryScoring', describeQueryScoring('model')],
      ['tokenIndex', describeTokenIndex('compressed')],
      ['fusion', describeFusion(WSUM)],
      ['pooling', describePooling('model')],
    ]);
    expect(runSettings(base({ methods: { hybrid: m }, queryScoring: 'plain', fusion: RRF, tokenIndex: 'exact' })).map((x) => x.text)).toEqual([describeQueryScoring('plain'), describeTokenIndex('exact'), describeFusion(RRF)]);
  });

  it('says nothing for methods that did not run, and “not recorded” for reports saved before the fields', () => {
    expect(runSettings(base({ methods: { bm25: m } }))).toEqual([]);
    // Asked for but unavailable (no model): nothing ran, so there is nothing to state.
    expect(runSettings(base({ methods: { bm25: m }, unavailable: { hybrid: 'no model' }, fusion: WSUM }))).toEqual([]);
    const old = runSettings(base({ methods: { mvr: m, svr: m, hybrid: m } }));
    expect(old.map((x) => x.key)).toEqual(['queryScoring', 'tokenIndex', 'fusion', 'pooling']);
    expect(old.every((x) => x.text === null)).toBe(true);
  });
});

describe('the alignment’s query scoring in the address', () => {
  const route = { view: 'alignment' as const, collection: 'demo-ko', query: '한글을 만든 왕은 누구인가요?', doc: 'hist-001' };

  it('writes only the plain scoring, and reads both', () => {
    expect(routeSearch({ ...route, queryScoring: 'model' })).toBe(routeSearch(route));
    const plain = routeSearch({ ...route, queryScoring: 'plain' });
    expect(new URLSearchParams(plain).get('scoring')).toBe('plain');
    expect(readRoute(plain)).toEqual({ ...route, queryScoring: 'plain' });
    expect(readRoute('?view=alignment&scoring=model')).toEqual({ view: 'alignment', queryScoring: 'model' });
    expect(readRoute('?view=alignment&scoring=bogus')).toEqual({ view: 'alignment' });
  });

  it('keeps it out of other views', () => {
    expect(routeSearch({ view: 'search', collection: 'c', query: 'q', doc: null, queryScoring: 'plain' })).toBe('?view=search&c=c&q=q');
  });
});
