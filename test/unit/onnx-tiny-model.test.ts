import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '@anush008/tokenizers';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../main/encoders/manifest.js';
import { mulberry32 } from '../../main/eval/significance.js';
import { tinyVocabulary, writeTinyModel } from '../fixtures/tiny-model.js';

let work: string;
let bert: string;
let decoder: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'saegim-tiny-'));
  bert = join(work, 'bert');
  decoder = join(work, 'decoder');
  await writeTinyModel(bert, { hiddenSize: 32, seed: 4 });
  await writeTinyModel(decoder, { hiddenSize: 24, seed: 4, style: 'decoder' });
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

const FILES = ['model.onnx', 'tokenizer.json', 'encoder.json'];

async function tokens(dir: string, text: string): Promise<{ tokens: string[]; ids: number[]; offsets: number[][] }> {
  const encoding = await Tokenizer.fromFile(join(dir, 'tokenizer.json')).encode(text);
  return { tokens: encoding.getTokens(), ids: encoding.getIds(), offsets: encoding.getOffsets() };
}

/** Runs the model on one batch of token ids (padded with 0), feeding the inputs its style names. */
async function hidden(dir: string, batch: number[][]): Promise<ort.Tensor> {
  const manifest = readManifest(dir);
  const session = await ort.InferenceSession.create(join(dir, 'model.onnx'));
  try {
    const length = Math.max(...batch.map((ids) => ids.length));
    const size = batch.length * length;
    const ids = new BigInt64Array(size);
    const mask = new BigInt64Array(size);
    const positions = new BigInt64Array(size);
    batch.forEach((row, b) =>
      row.forEach((id, j) => {
        ids[b * length + j] = BigInt(id);
        mask[b * length + j] = 1n;
        positions[b * length + j] = BigInt(j);
      }),
    );
    const dims = [batch.length, length];
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, dims),
      attention_mask: new ort.Tensor('int64', mask, dims),
    };
    if (manifest.inputs.tokenTypeIds) feeds[manifest.inputs.tokenTypeIds] = new ort.Tensor('int64', new BigInt64Array(size), dims);
    if (manifest.inputs.positionIds) feeds[manifest.inputs.positionIds] = new ort.Tensor('int64', positions, dims);
    expect([...session.inputNames].sort()).toEqual(Object.keys(feeds).sort());
    return (await session.run(feeds)).last_hidden_state!;
  } finally {
    await session.release();
  }
}

function row(t: ort.Tensor, b: number, j: number): Float32Array {
  const [, length, width] = t.dims as number[];
  const data = t.data as Float32Array;
  return data.subarray((b * length! + j) * width!, (b * length! + j + 1) * width!);
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

describe('tiny test model folder', () => {
  it('has a manifest the app accepts, with input names for its style', () => {
    const b = readManifest(bert);
    expect(b).toMatchObject({ architecture: 'bert', hiddenSize: 32, maxLength: 128, normalize: true, maskToken: '[MASK]', output: 'last_hidden_state' });
    expect(b.name).toMatch(/^tiny-test/);
    expect(b.dropTokens).toEqual(['[CLS]', '[SEP]', '[PAD]']);
    expect(b.inputs).toEqual({ inputIds: 'input_ids', attentionMask: 'attention_mask', tokenTypeIds: 'token_type_ids', positionIds: null });
    expect(readManifest(decoder).inputs).toEqual({ inputIds: 'input_ids', attentionMask: 'attention_mask', tokenTypeIds: null, positionIds: 'position_ids' });
  });

  it('is byte-for-byte the same for the same seed, and differs for another seed', async () => {
    const again = join(work, 'again');
    const other = join(work, 'other');
    await writeTinyModel(again, { hiddenSize: 32, seed: 4 });
    await writeTinyModel(other, { hiddenSize: 32, seed: 5 });
    for (const f of FILES) expect(readFileSync(join(again, f)).equals(readFileSync(join(bert, f)))).toBe(true);
    expect(readFileSync(join(other, 'model.onnx')).equals(readFileSync(join(bert, 'model.onnx')))).toBe(false);
  });

  it('has every Hangul syllable in its vocabulary, plain and as a ## continuation, and ASCII letters and digits', () => {
    const vocab = JSON.parse(readFileSync(join(bert, 'tokenizer.json'), 'utf8')).model.vocab as Record<string, number>;
    expect(vocab).toEqual(tinyVocabulary());
    let syllables = 0;
    for (let code = 0xac00; code <= 0xd7a3; code++) {
      const s = String.fromCharCode(code);
      if (s in vocab && `##${s}` in vocab) syllables++;
    }
    expect(syllables).toBe(11172);
    for (const ch of 'azAZ09') expect([ch in vocab, `##${ch}` in vocab]).toEqual([true, true]);
    expect(vocab['[PAD]']).toBe(0);
    expect(new Set(Object.values(vocab)).size).toBe(Object.keys(vocab).length);
    expect(Math.max(...Object.values(vocab))).toBe(Object.keys(vocab).length - 1);
  });

  it('tokenizes a Korean sentence into subwords with offsets and no [UNK]', async () => {
    const text = '서울은 한국의 수도이다.';
    const out = await tokens(bert, text);
    expect(out.tokens).toEqual(['[CLS]', '서울', '##은', '한국', '##의', '수도', '##이다', '.', '[SEP]']);
    expect(out.offsets).toEqual([
      [0, 0],
      [0, 2],
      [2, 3],
      [4, 6],
      [6, 7],
      [8, 10],
      [10, 12],
      [12, 13],
      [0, 0],
    ]);
  });

  it('never produces [UNK] for Hangul, ASCII or common punctuation, even from decomposed jamo', async () => {
    const random = mulberry32(9);
    const words = Array.from({ length: 150 }, () =>
      Array.from({ length: 1 + Math.floor(random() * 5) }, () => String.fromCharCode(0xac00 + Math.floor(random() * 11172))).join(''),
    );
    const text = `${words.join(' ')} KorQuAD 2.0, (수도)? 「세종」 “인용” 3.14% A-B`;
    const composed = await tokens(bert, text);
    expect(composed.tokens).not.toContain('[UNK]');
    const decomposed = await tokens(bert, text.normalize('NFD'));
    expect(decomposed.ids).toEqual(composed.ids);
  });

  it('runs in onnxruntime and returns [1, L, hidden] for both styles', async () => {
    const { ids } = await tokens(bert, '서울은 한국의 수도이다.');
    const out = await hidden(bert, [ids]);
    expect(out.dims).toEqual([1, ids.length, 32]);
    expect(out.type).toBe('float32');
    const dec = await hidden(decoder, [ids]);
    expect(dec.dims).toEqual([1, ids.length, 24]);
    expect(Array.from(dec.data as Float32Array).every(Number.isFinite)).toBe(true);
  });

  it('gives the same token similar vectors in different texts, and different tokens dissimilar ones', async () => {
    const a = await tokens(bert, '서울은 대한민국의 수도이다.');
    const b = await tokens(bert, '한강이 서울을 가로질러 흐른다');
    const out = await hidden(bert, [a.ids, b.ids]);
    const inA = a.tokens.indexOf('서울');
    const inB = b.tokens.indexOf('서울');
    expect(cosine(row(out, 0, inA), row(out, 1, inB))).toBeGreaterThan(0.9);
    const others: number[] = [];
    for (let j = 1; j < b.tokens.length - 1; j++) if (b.tokens[j] !== '서울') others.push(Math.abs(cosine(row(out, 0, inA), row(out, 1, j))));
    expect(Math.max(...others)).toBeLessThan(0.6);
  });

  it('gives a text the same vectors alone and padded in a batch', async () => {
    const short = (await tokens(bert, '짧은 문장')).ids;
    const long = (await tokens(bert, '이 문장은 훨씬 더 길어서 짧은 문장을 패딩하게 만든다')).ids;
    const alone = await hidden(bert, [short]);
    const batched = await hidden(bert, [long, short]);
    for (let j = 0; j < short.length; j++) {
      const x = row(alone, 0, j);
      const y = row(batched, 1, j);
      for (let h = 0; h < x.length; h++) expect(y[h]).toBeCloseTo(x[h]!, 5);
    }
  });
});
