import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenEncoder } from '../../main/encoders/onnx-encoder.js';
import { TextTokenizer } from '../../main/encoders/tokenizer.js';
import { writeTinyModel } from '../fixtures/tiny-model.js';

let work: string;
let bert: string;
let decoder: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'saegim-encoder-'));
  bert = join(work, 'bert');
  decoder = join(work, 'decoder');
  await writeTinyModel(bert, { hiddenSize: 32, seed: 3 });
  await writeTinyModel(decoder, { hiddenSize: 32, seed: 3, style: 'decoder' });
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

function copyModel(from: string, name: string): string {
  const to = join(work, name);
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to, { recursive: true });
  for (const f of ['model.onnx', 'tokenizer.json', 'encoder.json']) copyFileSync(join(from, f), join(to, f));
  return to;
}

function editManifest(dir: string, patch: Record<string, unknown>): void {
  const path = join(dir, 'encoder.json');
  writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), ...patch }));
}

describe('tokenizer', () => {
  it('splits Korean with punctuation into subwords whose offsets slice the original text', async () => {
    const tokenizer = TextTokenizer.load(join(bert, 'tokenizer.json'), 128);
    const text = '서울은 한국의 수도이다.';
    const spans = await tokenizer.encode(text);
    expect(spans.tokens).not.toContain('[UNK]');
    const content = spans.offsets.map(([s, e], i) => ({ s, e, t: spans.tokens[i]! })).filter(({ s, e }) => e > s);
    for (const { s, e, t } of content) expect(text.slice(s, e)).toBe(t);
    expect(content.map(({ t }) => t).join('')).toBe(text.replace(/\s/g, ''));
    expect(content.at(-1)!.t).toBe('.');
  });

  it('keeps offsets right after characters outside the Basic Multilingual Plane', async () => {
    const tokenizer = TextTokenizer.load(join(bert, 'tokenizer.json'), 128);
    const text = '😀 서울 𝐀 수도';
    const spans = await tokenizer.encode(text);
    const content = spans.offsets.map(([s, e], i) => ({ s, e, t: spans.tokens[i]! })).filter(({ s, e }) => e > s);
    for (const { s, e, t } of content) expect(text.slice(s, e)).toBe(t);
    expect(content.map(({ t }) => t)).toEqual(expect.arrayContaining(['서울', '수도']));
    expect(text.slice(content.at(-1)!.s)).toBe('수도');
  });
});

describe('ONNX token encoder', () => {
  it('returns unit-length vectors for content tokens only, dropping [CLS] and [SEP]', async () => {
    const encoder = await TokenEncoder.load(bert);
    try {
      const out = await encoder.encodeQuery('김치는 발효 음식이다.');
      expect(out.tokens).not.toContain('[CLS]');
      expect(out.tokens).not.toContain('[SEP]');
      expect(out.vectors.length).toBe(out.tokens.length);
      expect(out.vectors.dim).toBe(32);
      for (let i = 0; i < out.vectors.length; i++) {
        const row = out.vectors.data.subarray(i * 32, (i + 1) * 32);
        expect(Math.hypot(...row)).toBeCloseTo(1, 5);
      }
    } finally {
      await encoder.close();
    }
  });

  it('gives the same vectors whether a text is encoded alone or padded in a batch', async () => {
    const encoder = await TokenEncoder.load(bert);
    try {
      const alone = await encoder.encodeDocuments(['짧은 문장']);
      const batched = await encoder.encodeDocuments(['이 문장은 훨씬 더 길어서 짧은 문장을 패딩하게 만든다', '짧은 문장']);
      const a = alone[0]!.vectors.data;
      const b = batched[1]!.vectors.data;
      expect(b.length).toBe(a.length);
      for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i]!, 5);
    } finally {
      await encoder.close();
    }
  });

  it('feeds decoder-style models position ids', async () => {
    const encoder = await TokenEncoder.load(decoder);
    try {
      const out = await encoder.encodeQuery('수도는 어디인가?');
      expect(out.vectors.length).toBeGreaterThan(2);
    } finally {
      await encoder.close();
    }
  });

  it('names the missing file of an incomplete model folder', async () => {
    const dir = copyModel(bert, 'no-tokenizer');
    rmSync(join(dir, 'tokenizer.json'));
    await expect(TokenEncoder.load(dir)).rejects.toThrow(/no-tokenizer\/tokenizer\.json: missing/);
  });

  it('refuses a manifest whose output name the model does not have', async () => {
    const dir = copyModel(bert, 'bad-output');
    editManifest(dir, { output: 'pooler_output' });
    await expect(TokenEncoder.load(dir)).rejects.toThrow(/no output "pooler_output"/);
  });

  it('refuses a manifest whose hidden size does not match the model', async () => {
    const dir = copyModel(bert, 'bad-width');
    editManifest(dir, { hiddenSize: 64 });
    await expect(TokenEncoder.load(dir)).rejects.toThrow(/hiddenSize.*64.*32 wide/);
  });

  it('refuses a tokenizer whose ids fall outside the model vocabulary', async () => {
    const dir = copyModel(bert, 'bad-tokenizer');
    const path = join(dir, 'tokenizer.json');
    const tok = JSON.parse(readFileSync(path, 'utf8'));
    const vocab = tok.model.vocab as Record<string, number>;
    vocab['##초과토큰'] = Object.keys(vocab).length + 5000;
    writeFileSync(path, JSON.stringify(tok));
    await expect(TokenEncoder.load(dir)).rejects.toThrow(/does not fit|outside/);
  });

  it('reports a field error for an invalid encoder.json', async () => {
    const dir = copyModel(bert, 'bad-manifest');
    editManifest(dir, { hiddenSize: 'wide' });
    await expect(TokenEncoder.load(dir)).rejects.toThrow(/encoder\.json: field "hiddenSize"/);
  });

  it('names the field when a scoring output is missing or incomplete', async () => {
    const pooled = copyModel(bert, 'no-pooled');
    editManifest(pooled, { pooledOutput: 'pooled', pooledDim: 32 });
    await expect(TokenEncoder.load(pooled)).rejects.toThrow(/no output "pooled" named by encoder\.json field "pooledOutput"/);
    const weights = copyModel(bert, 'no-weights');
    editManifest(weights, { scoring: { queryTokenWeights: 'token_weights' } });
    await expect(TokenEncoder.load(weights)).rejects.toThrow(/field "scoring\.queryTokenWeights"/);
    const dimless = copyModel(bert, 'pooled-no-dim');
    editManifest(dimless, { pooledOutput: 'last_hidden_state' });
    await expect(TokenEncoder.load(dimless)).rejects.toThrow(/field "pooledDim": is required with pooledOutput/);
    const eojeol = copyModel(bert, 'eojeol');
    editManifest(eojeol, { scoring: { eojeolPooling: true } });
    await expect(TokenEncoder.load(eojeol)).rejects.toThrow(/field "scoring\.eojeolPooling": eojeol pooling is not supported/);
  });
});
