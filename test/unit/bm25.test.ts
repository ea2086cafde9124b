import { describe, expect, it } from 'vitest';
import { benchBm25, syntheticKoreanCorpus } from '../../main/bench/bm25.js';
import { ANALYZER_NAME } from '../../main/search/analyzer.js';
import { Bm25Index, DEFAULT_BM25, type Bm25Postings } from '../../main/search/bm25.js';

const fruit = [
  { id: 'd1', text: 'apple banana apple' },
  { id: 'd2', text: 'banana cherry' },
];

const korean = [
  { id: 'seoul-history', text: '서울은 조선의 수도였으며 한강을 끼고 발달하였다.' },
  { id: 'busan-population', text: '부산광역시의 인구는 약 330만 명으로 한국 제2의 도시이다.' },
  { id: 'seoul-population', text: '서울특별시의 인구는 약 940만 명으로 한국에서 가장 많다.' },
  { id: 'kimchi', text: '김치는 배추와 고춧가루로 담그는 한국의 전통 음식이다.' },
];

describe('BM25 index', () => {
  it('scores a two-document corpus as computed by hand (k1 = 0.9, b = 0.4)', () => {
    // N = 2, |d1| = 3, |d2| = 2, avgdl = 2.5.
    // Length norms: d1: 0.9·(1 − 0.4 + 0.4·3/2.5) = 0.972; d2: 0.9·(0.6 + 0.4·2/2.5) = 0.828.
    // "apple":  df 1, idf = ln(1 + 1.5/1.5) = ln 2 = 0.693147; d1 tf 2: 0.693147 · 2·1.9/(2 + 0.972) = 0.886258.
    // "banana": df 2, idf = ln(1 + 0.5/2.5) = ln 1.2 = 0.182322;
    //           d1 tf 1: 0.182322 · 1.9/1.972 = 0.175665;  d2 tf 1: 0.182322 · 1.9/1.828 = 0.189503.
    const index = Bm25Index.build(fruit);
    expect(index.params).toEqual(DEFAULT_BM25);
    const apple = index.rank('apple', 10);
    expect(apple).toHaveLength(1);
    expect(apple[0]).toMatchObject({ docId: 'd1', rank: 1 });
    expect(apple[0]!.score).toBeCloseTo(0.886258, 6);
    // The shorter d2 wins "banana": same tf, less length to normalise by.
    const banana = index.rank('banana', 10);
    expect(banana.map((h) => [h.docId, h.rank])).toEqual([['d2', 1], ['d1', 2]]);
    expect(banana[0]!.score).toBeCloseTo(0.189503, 6);
    expect(banana[1]!.score).toBeCloseTo(0.175665, 6);
    // Query terms add up; a repeated query term counts once per occurrence.
    const both = index.rank('apple banana', 10);
    expect(both[0]!.score).toBeCloseTo(0.886258 + 0.175665, 5);
    expect(index.rank('banana banana', 10)[0]!.score).toBeCloseTo(2 * 0.189503, 5);
  });

  it('honours k1 and b: with b = 0 document length no longer matters', () => {
    const index = Bm25Index.build(fruit, { k1: 1.2, b: 0 });
    const [first, second] = index.rank('banana', 10);
    expect(first!.score).toBeCloseTo(second!.score, 12);
    // Equal scores rank in insertion order.
    expect([first!.docId, second!.docId]).toEqual(['d1', 'd2']);
    expect(() => new Bm25Index({ k1: -1, b: 0.4 })).toThrow(/k1/);
    expect(() => new Bm25Index({ k1: 0.9, b: 1.5 })).toThrow(/b must/);
  });

  it('finds the passage about Seoul’s population for "서울의 인구"', () => {
    const index = Bm25Index.build(korean);
    const hits = index.rank('서울의 인구', 10);
    expect(hits[0]!.docId).toBe('seoul-population');
    // Each of the others shares only one of 서울 / 인구, so the fuller match is well ahead.
    expect(hits.map((h) => h.docId).slice(1).sort()).toEqual(['busan-population', 'seoul-history']);
    expect(hits[0]!.score).toBeGreaterThan(1.5 * hits[1]!.score);
    expect(hits.map((h) => h.rank)).toEqual([1, 2, 3]);
  });

  it('returns only matching passages, at most k, and nothing for k < 1 or an unmatched query', () => {
    const index = Bm25Index.build(korean);
    expect(index.rank('한국', 2)).toHaveLength(2);
    expect(index.rank('한국', 100)).toHaveLength(3);
    expect(index.rank('한국', 0)).toEqual([]);
    expect(index.rank('', 10)).toEqual([]);
    expect(index.rank('우주 정거장', 10)).toEqual([]);
    expect(new Bm25Index().rank('서울', 10)).toEqual([]);
  });

  it('breaks score ties by insertion order', () => {
    const index = Bm25Index.build([
      { id: 'z', text: '같은 문장' },
      { id: 'a', text: '같은 문장' },
      { id: 'm', text: '같은 문장' },
    ]);
    expect(index.rank('문장', 10).map((h) => h.docId)).toEqual(['z', 'a', 'm']);
  });

  it('gives the same ranking after incremental adds and removes as a fresh build', () => {
    const all = [...korean, { id: 'jeju', text: '제주도는 한국에서 가장 큰 섬이며 인구는 약 67만 명이다.' }];
    const incremental = Bm25Index.build(all.slice(0, 4));
    incremental.rank('인구', 10); // settle once, so the later changes go through the incremental path
    expect(incremental.remove('busan-population')).toBe(true);
    expect(incremental.remove('busan-population')).toBe(false);
    incremental.add('jeju', all[4]!.text);
    incremental.add('busan-population', all[1]!.text); // re-added: now the newest slot
    const fresh = Bm25Index.build([all[0]!, all[2]!, all[3]!, all[4]!, all[1]!]);
    for (const query of ['서울의 인구', '한국 도시', '제주 섬', '김치']) {
      const got = incremental.rank(query, 10);
      const want = fresh.rank(query, 10);
      expect(got.map((h) => h.docId)).toEqual(want.map((h) => h.docId));
      got.forEach((h, i) => expect(h.score).toBeCloseTo(want[i]!.score, 12));
    }
    expect(incremental.size).toBe(5);
    expect(incremental.toPostings()).toEqual(fresh.toPostings());
  });

  it('forgets the terms of removed documents', () => {
    const index = Bm25Index.build(korean);
    index.remove('kimchi');
    expect(index.rank('김치', 10)).toEqual([]);
    expect(index.has('kimchi')).toBe(false);
    expect(Object.keys(index.toPostings().terms)).not.toContain('김치');
  });

  it('rejects a second document with the same id', () => {
    const index = Bm25Index.build(fruit);
    expect(() => index.add('d1', 'again')).toThrow(/already/);
  });

  it('persists postings through JSON and reloads them without re-analysis to the same scores', () => {
    const index = Bm25Index.build(korean, { k1: 1.2, b: 0.75 });
    const saved = index.toPostings();
    expect(saved.analyzer).toBe(ANALYZER_NAME);
    expect(saved.docIds).toEqual(korean.map((d) => d.id));
    // 서울은 조선의 수도였으며 한강을 끼고 발달하였다 → 2 + 2 + 4 + 2 + 1 + 4 bigrams.
    expect(saved.docLengths[0]).toBe(15);
    expect(saved.terms['서울']).toEqual([0, 1, 2, 1]);
    const reloaded = Bm25Index.fromPostings(JSON.parse(JSON.stringify(saved)) as Bm25Postings);
    expect(reloaded.params).toEqual({ k1: 1.2, b: 0.75 });
    for (const query of ['서울의 인구', '한국 전통 음식', '부산']) expect(reloaded.rank(query, 10)).toEqual(index.rank(query, 10));
    reloaded.add('daegu', '대구광역시의 인구는 약 240만 명이다.');
    expect(reloaded.rank('대구 인구', 1)[0]!.docId).toBe('daegu');
  });

  it('refuses postings from another analyzer or with corrupt entries', () => {
    const saved = Bm25Index.build(fruit).toPostings();
    expect(() => Bm25Index.fromPostings({ ...saved, analyzer: 'whitespace' })).toThrow(/analyzer "whitespace"/);
    expect(() => Bm25Index.fromPostings({ ...saved, terms: { apple: [5, 1] } })).toThrow(/corrupt/);
    expect(() => Bm25Index.fromPostings({ ...saved, terms: { apple: [1, 1, 0, 1] } })).toThrow(/corrupt/);
    expect(() => Bm25Index.fromPostings({ ...saved, docLengths: [3] })).toThrow(/lengths/);
  });

  it('benchmarks on seeded synthetic Korean text', async () => {
    const a = syntheticKoreanCorpus(20, 5, 7);
    expect(syntheticKoreanCorpus(20, 5, 7)).toEqual(a);
    expect(a.passages[0]!.text).toMatch(/^[가-힣 ]+$/);
    const result = await benchBm25({ docs: 50, queries: 20, seed: 3 });
    expect(result.docs).toBe(50);
    expect(result.queries).toBe(20);
    expect(result.queries_per_s).toBeGreaterThan(0);
    expect(result.postings).toBeGreaterThan(result.vocabulary);
    expect(result.postings_json_bytes).toBeGreaterThan(0);
  });
});
