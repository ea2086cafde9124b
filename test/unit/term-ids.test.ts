import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { syntheticKoreanCorpus } from '../../main/bench/bm25.js';
import { mulberry32 } from '../../main/eval/significance.js';
import { analyze } from '../../main/search/analyzer.js';
import { TermDictionary } from '../../main/search/term-ids.js';

function terms(dictionary: TermDictionary, text: string): string[] {
  const { ids, count } = dictionary.analyze(text, new Int32Array(4));
  return Array.from(ids.subarray(0, count), (id) => dictionary.terms[id]!);
}

const EDGE_CASES = [
  '서울은 한국의 수도이다.',
  'BTS의 2024년 월드투어',
  'COVID-19 백신, iPhone15 출시',
  '물 한 잔',
  'ＡＢＣ１２３',
  '\u1112\u1161\u11ab\u1100\u116e\u11a8',
  'ㅋㅋㅋ ㅎㅎ 대박',
  '원주율 3.14, 인구 1,000명.',
  '1, 2.',
  '1.2.3 4,5,6 7., ,8 .9',
  '세종(世宗)대왕',
  '大韓民國',
  'ひらがなカタカナ漢字한글',
  '',
  ' …「」?! ',
  'café naïve e\u0301 Ⅻ ½ ﬁ',
  '😀 emoji 𠀀𠀁 한𠀀글',
  '\ud800 lone \udc00 surrogates 가\ud800나',
  'İstanbul ΣΑΣ ß',
];

describe('term ids', () => {
  it('give exactly the terms of analyze(), in order, on edge cases', () => {
    const dictionary = new TermDictionary();
    for (const text of EDGE_CASES) expect(terms(dictionary, text), text).toEqual(analyze(text));
  });

  it('give the terms of analyze() on the demo corpus and on synthetic Korean text', () => {
    const dictionary = new TermDictionary();
    const demo = readFileSync(fileURLToPath(new URL('../../assets/datasets/demo-ko/corpus.jsonl', import.meta.url)), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { title: string; text: string });
    for (const p of demo) expect(terms(dictionary, `${p.title}\n${p.text}`)).toEqual(analyze(`${p.title}\n${p.text}`));
    for (const p of syntheticKoreanCorpus(2000, 0, 5).passages) expect(terms(dictionary, p.text)).toEqual(analyze(p.text));
    // One id per distinct term, whichever text it first came from.
    expect(new Set(dictionary.terms).size).toBe(dictionary.size);
  });

  it('give the terms of analyze() on random text mixing scripts, digits, separators and marks', () => {
    const random = mulberry32(11);
    const pieces = ['가', '힣', '한', '국', 'ᄒ', 'ᅡ', 'ᆫ', 'ㄱ', 'ㅏ', 'a', 'Z', '0', '9', '.', ',', ' ', '\n', '-', '漢', '字', 'カ', 'ひ', '\u0301', 'é', 'Ａ', '１', '😀', '𠀀', '\ud800', '「', '…', '½', 'ß', 'İ'];
    const dictionary = new TermDictionary();
    for (let n = 0; n < 3000; n++) {
      const length = Math.floor(random() * 40);
      let text = '';
      for (let i = 0; i < length; i++) text += pieces[Math.floor(random() * pieces.length)];
      expect(terms(dictionary, text), JSON.stringify(text)).toEqual(analyze(text));
    }
  });
});
