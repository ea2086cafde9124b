import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TokenEncoder } from '../../main/encoders/onnx-encoder.js';
import { TextTokenizer } from '../../main/encoders/tokenizer.js';

const MODEL = fileURLToPath(new URL('../../assets/models/saegim-dlm-mini-ko', import.meta.url));
// Worker threads load compiled JavaScript, so the pool is tested on the built engine (npm test builds first).
const DIST = fileURLToPath(new URL('../../dist/main/', import.meta.url));

const TEXTS = readFileSync(fileURLToPath(new URL('../../assets/datasets/demo-ko/corpus.jsonl', import.meta.url)), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line) as { title: string; text: string })
  .map((p) => `${p.title}\n${p.text}`)
  .concat(['  앞뒤 공백  ', '😀 이모지와 𠀀 한자', '', 'ASCII only text.']);

describe('batched tokenization', () => {
  it('gives what encode gives text by text, with prefixes and stripping', async () => {
    const tokenizer = TextTokenizer.load(join(MODEL, 'tokenizer.json'), 64);
    for (const opts of [{}, { prefix: '문서: ' }, { strip: true }, { addSpecialTokens: false }]) {
      const many = await tokenizer.encodeMany(TEXTS, opts);
      const one = await Promise.all(TEXTS.map((t) => tokenizer.encode(t, opts)));
      expect(many).toEqual(one);
    }
  });
});

describe('the model in worker threads', () => {
  it('encodes as the model on the calling thread does, with batches in flight on two workers', async () => {
    const { TokenEncoder: Built } = (await import(pathToFileURL(join(DIST, 'encoders', 'onnx-encoder.js')).href)) as { TokenEncoder: typeof TokenEncoder };
    const here = await TokenEncoder.load(MODEL, { threads: 1 });
    const pooled = await Built.load(MODEL, { threads: 1, workers: 2 });
    try {
      const texts = Array.from({ length: 400 }, (_, i) => TEXTS[i % TEXTS.length]!).filter(Boolean);
      const [a, b] = [await here.encodeDocuments(texts), await pooled.encodeDocuments(texts)];
      expect(b.map((e) => e.ids)).toEqual(a.map((e) => e.ids));
      let worst = 0;
      a.forEach((e, i) => e.vectors.data.forEach((x, j) => (worst = Math.max(worst, Math.abs(x - b[i]!.vectors.data[j]!)))));
      expect(worst).toBeLessThan(1e-5);
      const q = await pooled.encodeQuery('세종대왕은 누구인가?');
      expect(q.vectors.length).toBeGreaterThan(3);
    } finally {
      await here.close();
      await pooled.close();
    }
  });
});
