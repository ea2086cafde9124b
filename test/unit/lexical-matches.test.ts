import { describe, expect, it } from 'vitest';
import { lexicalMatches } from '../../main/explain/lexical.js';

describe('BM25 matches in a passage', () => {
  it('marks the Hangul bigrams a query shares with the passage, merged, in the passage’s offsets', () => {
    const text = '세종은 1443년 훈민정음을 창제하였다.';
    const spans = lexicalMatches('훈민정음을 만든 왕', text).map((s) => text.slice(s.start, s.end));
    expect(spans).toEqual(['훈민정음을']);
    expect(lexicalMatches('1443년 창제', text).map((s) => text.slice(s.start, s.end))).toEqual(['1443년', '창제']);
  });

  it('finds nothing for a query without terms', () => {
    expect(lexicalMatches('?!', '세종')).toEqual([]);
  });
});
