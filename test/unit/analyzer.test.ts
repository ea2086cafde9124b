import { describe, expect, it } from 'vitest';
import { ANALYZER_NAME, analyze } from '../../main/search/analyzer.js';

describe('Korean BM25 analyzer', () => {
  it('turns each eojeol of a Korean sentence into overlapping syllable bigrams', () => {
    // 서울은 → 서울 울은; 한국의 → 한국 국의; 수도이다 → 수도 도이 이다; the full stop produces nothing.
    expect(analyze('서울은 한국의 수도이다.')).toEqual(['서울', '울은', '한국', '국의', '수도', '도이', '이다']);
  });

  it('keeps Latin and digit runs whole, lower-cased, and splits them from attached Hangul', () => {
    expect(analyze('BTS의 2024년 월드투어')).toEqual(['bts', '의', '2024', '년', '월드', '드투', '투어']);
    expect(analyze('COVID-19 백신, iPhone15 출시')).toEqual(['covid', '19', '백신', 'iphone15', '출시']);
  });

  it('keeps one-syllable runs as themselves', () => {
    expect(analyze('물 한 잔')).toEqual(['물', '한', '잔']);
  });

  it('applies NFKC: full-width letters and digits become ASCII, decomposed jamo compose into syllables', () => {
    expect(analyze('ＡＢＣ１２３')).toEqual(['abc123']);
    // ᄒ ᅡ ᆫ ᄀ ᅮ ᆨ (conjoining jamo, as some Mac file names store Hangul) compose to 한국.
    expect(analyze('\u1112\u1161\u11ab\u1100\u116e\u11a8')).toEqual(['한국']);
  });

  it('keeps decimal points and drops thousands separators inside numbers only', () => {
    expect(analyze('원주율 3.14, 인구 1,000명.')).toEqual(['원주', '주율', '3.14', '인구', '1000', '명']);
    expect(analyze('1, 2.')).toEqual(['1', '2']);
  });

  it('bigrams Hanja separately from the Hangul around it', () => {
    expect(analyze('세종(世宗)대왕')).toEqual(['세종', '世宗', '대왕']);
    expect(analyze('大韓民國')).toEqual(['大韓', '韓民', '民國']);
  });

  it('produces nothing for empty or punctuation-only text', () => {
    expect(analyze('')).toEqual([]);
    expect(analyze(' …「」?! ')).toEqual([]);
  });

  it('names itself so stored postings can be checked against it', () => {
    expect(ANALYZER_NAME).toMatch(/^ko-bigram-v\d+$/);
  });
});
