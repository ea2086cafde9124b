import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EncodedText } from '../../main/contract/types.js';
import { readManifest } from '../../main/encoders/manifest.js';
import { TokenEncoder } from '../../main/encoders/onnx-encoder.js';
import { writeTinyModel } from '../fixtures/tiny-model.js';

/**
 * encoder.json's late-interaction fields (ColBERT/PyLate markers, [MASK] augmentation with or without
 * attention, the passage skiplist, kept special tokens) on the tiny seeded encoder, whose last layer mixes
 * in a masked mean of the attended tokens: a token the mask hides changes nothing else, an attended one
 * changes every vector.
 */

let work: string;
const encoders: TokenEncoder[] = [];

const COLBERT_LIKE = {
  queryMarker: '[Q]',
  documentMarker: '[D]',
  markerPosition: 1,
  maskToken: '[MASK]',
  queryAugmentLength: 12,
  queryMaxLength: 12,
  queryAugmentAttended: false,
  documentSkiplist: ['.', ','],
  dropTokens: [] as string[],
};

async function model(name: string, patch: Record<string, unknown>): Promise<TokenEncoder> {
  const dir = join(work, name);
  await writeTinyModel(dir, { hiddenSize: 32, seed: 7, extraSpecialTokens: ['[Q]', '[D]'] });
  const path = join(dir, 'encoder.json');
  writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), ...patch }));
  const encoder = await TokenEncoder.load(dir);
  encoders.push(encoder);
  return encoder;
}

function row(e: EncodedText, i: number): Float32Array {
  return e.vectors.data.subarray(i * e.vectors.dim, (i + 1) * e.vectors.dim);
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** Rows of `e` whose role is `text`, in order. */
function textRows(e: EncodedText): Float32Array[] {
  return e.roles!.flatMap((r, i) => (r === 'text' ? [row(e, i)] : []));
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'saegim-late-'));
});

afterAll(async () => {
  for (const e of encoders) await e.close();
  rmSync(work, { recursive: true, force: true });
});

describe('late-interaction encoder.json', () => {
  it('puts [Q] right after [CLS], pads with [MASK] to the query length and labels every token', async () => {
    const encoder = await model('colbert', COLBERT_LIKE);
    const q = await encoder.encodeQuery('서울은 수도인가?');
    expect(q.tokens.slice(0, 2)).toEqual(['[CLS]', '[Q]']);
    expect(q.vectors.length).toBe(12);
    const sep = q.tokens.indexOf('[SEP]');
    expect(q.roles).toEqual([
      'special',
      'marker',
      ...Array<string>(sep - 2).fill('text'),
      'special',
      ...Array<string>(12 - sep - 1).fill('augment'),
    ]);
    expect(q.tokens.slice(sep + 1).every((t) => t === '[MASK]')).toBe(true);
    expect(q.tokens.slice(2, sep).join('')).toBe('서울은수도인가?');
    for (let i = 0; i < q.vectors.length; i++) expect(Math.hypot(...row(q, i))).toBeCloseTo(1, 5);
    // The mask tokens sit at different positions, so each carries a vector of its own.
    expect(maxDiff(row(q, sep + 1), row(q, sep + 2))).toBeGreaterThan(1e-3);
  });

  it('hides unattended [MASK] tokens from the query while still reading their vectors', async () => {
    const hidden = await model('masks-hidden', COLBERT_LIKE);
    const plain = await model('no-augmentation', { ...COLBERT_LIKE, queryAugmentLength: 0 });
    const attended = await model('masks-attended', { ...COLBERT_LIKE, queryAugmentAttended: true });
    const text = '한강은 어디?';
    const [h, p, a] = [await hidden.encodeQuery(text), await plain.encodeQuery(text), await attended.encodeQuery(text)];
    expect(p.vectors.length).toBeLessThan(12);
    expect(h.vectors.length).toBe(12);
    // Hidden masks change nothing about the real tokens: their vectors equal the unaugmented query's.
    for (let i = 0; i < p.vectors.length; i++) expect(maxDiff(row(h, i), row(p, i))).toBeLessThan(1e-5);
    // Attended masks enter every token's context.
    expect(maxDiff(textRows(a)[0]!, textRows(h)[0]!)).toBeGreaterThan(1e-3);
    expect(a.roles!.filter((r) => r === 'augment').length).toBe(h.roles!.filter((r) => r === 'augment').length);
  });

  it('feeds the marker to the model at markerPosition, so it changes the other vectors', async () => {
    const withMarker = await model('marker-after-cls', COLBERT_LIKE);
    const first = await model('marker-first', { ...COLBERT_LIKE, markerPosition: 0 });
    const without = await model('no-marker', { ...COLBERT_LIKE, queryMarker: null, documentMarker: null });
    const text = '세종대왕은 훈민정음을 만들었다.';
    const [w, f, n] = await Promise.all([withMarker, first, without].map((e) => e.encodeDocuments([text]).then((r) => r[0]!)));
    expect(w.tokens.slice(0, 2)).toEqual(['[CLS]', '[D]']);
    expect(f.tokens.slice(0, 2)).toEqual(['[D]', '[CLS]']);
    expect(f.roles!.slice(0, 2)).toEqual(['marker', 'special']);
    expect(n.tokens).not.toContain('[D]');
    expect(maxDiff(textRows(w)[0]!, textRows(n)[0]!)).toBeGreaterThan(1e-3);
    // A marker has no span in the text.
    expect(w.offsets[1]).toEqual([0, 0]);
  });

  it('truncates before inserting the marker, so queries and passages stay within their limits', async () => {
    const encoder = await model('truncation', { ...COLBERT_LIKE, maxLength: 16 });
    const long = '서울 부산 한강 김치 행성 목성 태양계 훈민정음 세종대왕 광합성 반도체 인플레이션 임금 식물 역사 과학 수도 한국';
    const q = await encoder.encodeQuery(long);
    expect(q.tokens.length).toBe(12);
    expect(q.tokens.at(-1)).toBe('[SEP]');
    expect(q.roles).not.toContain('augment');
    const [d] = await encoder.encodeDocuments([long]);
    expect(d!.tokens.length).toBe(16);
    expect(d!.tokens.slice(0, 2)).toEqual(['[CLS]', '[D]']);
    expect(d!.tokens.at(-1)).toBe('[SEP]');
  });

  it('leaves skiplist tokens out of passages after the model saw them, and keeps them in queries', async () => {
    const skipping = await model('skiplist', COLBERT_LIKE);
    const keeping = await model('no-skiplist', { ...COLBERT_LIKE, documentSkiplist: [] });
    const text = '김치는, 배추로 만든다.';
    const [s] = await skipping.encodeDocuments([text]);
    const [k] = await keeping.encodeDocuments([text]);
    expect(k!.tokens).toEqual(expect.arrayContaining(['.', ',']));
    expect(s!.tokens).not.toContain('.');
    expect(s!.tokens).not.toContain(',');
    expect(s!.tokens).toEqual(k!.tokens.filter((t) => t !== '.' && t !== ','));
    const kept = k!.tokens.flatMap((t, i) => (t === '.' || t === ',' ? [] : [i]));
    kept.forEach((j, i) => expect(maxDiff(row(s!, i), row(k!, j))).toBeLessThan(1e-6));
    expect((await skipping.encodeQuery('김치.')).tokens).toContain('.');
  });

  it('strips surrounding whitespace when asked, with offsets still into the original text', async () => {
    const stripping = await model('strip', { ...COLBERT_LIKE, stripText: true });
    const text = '  서울은 수도 ';
    const [d] = await stripping.encodeDocuments([text]);
    const [plain] = await stripping.encodeDocuments(['서울은 수도']);
    expect(d!.ids).toEqual(plain!.ids);
    const content = d!.roles!.flatMap((r, i) => (r === 'text' ? [d!.offsets[i]!] : []));
    expect(content.map(([s, e]) => text.slice(s, e)).join('')).toBe('서울은수도');
    expect(content[0]![0]).toBe(2);
  });

  it('labels kept special tokens even without markers, as BGE-M3 keeps </s>', async () => {
    const encoder = await model('keep-sep', { dropTokens: ['[CLS]', '[PAD]'] });
    const [d] = await encoder.encodeDocuments(['수도 서울']);
    expect(d!.tokens.at(-1)).toBe('[SEP]');
    expect(d!.tokens).not.toContain('[CLS]');
    expect(d!.roles!.at(-1)).toBe('special');
    expect(d!.roles!.slice(0, -1).every((r) => r === 'text')).toBe(true);
  });
});

describe('backwards compatibility', () => {
  it('reads an encoder.json without the new fields with defaults that change nothing', async () => {
    const dir = join(work, 'old');
    await writeTinyModel(dir, { hiddenSize: 32, seed: 7 });
    const manifest = readManifest(dir);
    expect(manifest).toMatchObject({
      queryMarker: null,
      documentMarker: null,
      markerPosition: 1,
      queryMaxLength: null,
      queryAugmentAttended: true,
      documentSkiplist: [],
      stripText: false,
    });
    const encoder = await TokenEncoder.load(dir);
    encoders.push(encoder);
    const q = await encoder.encodeQuery('김치는 발효 음식이다.');
    expect(q.roles).toBeUndefined();
    expect(q.tokens).not.toContain('[CLS]');
    expect(q.tokens).not.toContain('[SEP]');
  });

  it('still attends to augmentation tokens when a manifest only sets queryAugmentLength', async () => {
    const dir = join(work, 'old-augment');
    await writeTinyModel(dir, { hiddenSize: 32, seed: 7 });
    const path = join(dir, 'encoder.json');
    const base = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, JSON.stringify({ ...base, queryAugmentLength: 16 }));
    const augmented = await TokenEncoder.load(dir);
    encoders.push(augmented);
    const plainDir = join(work, 'old-plain');
    await writeTinyModel(plainDir, { hiddenSize: 32, seed: 7 });
    const plain = await TokenEncoder.load(plainDir);
    encoders.push(plain);
    const text = '부산은 어디인가';
    const [a, p] = [await augmented.encodeQuery(text), await plain.encodeQuery(text)];
    expect(a.roles!.filter((r) => r === 'augment').length).toBeGreaterThan(0);
    expect(maxDiff(row(a, 0), row(p, 0))).toBeGreaterThan(1e-3);
  });
});

describe('validation', () => {
  it('refuses a marker the tokenizer does not have', async () => {
    await expect(model('bad-marker', { ...COLBERT_LIKE, queryMarker: '[NOPE]' })).rejects.toThrow(/field "queryMarker": \[NOPE\] is not in tokenizer\.json/);
  });

  it('refuses augmentation longer than the query limit', async () => {
    await expect(model('bad-lengths', { ...COLBERT_LIKE, queryAugmentLength: 40 })).rejects.toThrow(/queryAugmentLength.*40 exceeds the query length limit 12/);
  });
});

describe('the alignment labels what the model added', () => {
  it("marks a query's marker and [MASK] augmentation tokens in explain, and leaves text tokens unmarked", async () => {
    const dir = join(work, 'explained');
    await writeTinyModel(dir, { hiddenSize: 32, seed: 7, extraSpecialTokens: ['[Q]', '[D]'] });
    const path = join(dir, 'encoder.json');
    writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), ...COLBERT_LIKE }));
    const { SaegimService } = await import('../../main/service.js');
    const service = SaegimService.open({ dbPath: join(work, 'explained.db'), modelDir: dir, bundledDataDir: null });
    try {
      await service.importDataset({ path: new URL('../fixtures/mini-beir', import.meta.url).pathname, name: 'mini' });
      await service.indexCollection({ collection: 'mini' });
      const hit = (await service.search({ collection: 'mini', query: '세종대왕', methods: ['mvr'], k: 1 })).results[0]!.hits[0]!;
      const ex = await service.explain({ collection: 'mini', query: '세종대왕', docId: hit.docId });
      const roles = ex.queryTokens.map((t) => t.role ?? 'text');
      expect(roles).toContain('marker');
      expect(roles.filter((r) => r === 'augment').length).toBeGreaterThan(0);
      expect(ex.queryTokens.filter((t) => !t.role).map((t) => t.text).join('')).toContain('세종');
      // Σ contributions is still the score, augmentation tokens included.
      expect(ex.contributions.reduce((a, b) => a + b, 0)).toBeCloseTo(ex.score, 4);
    } finally {
      await service.close();
    }
  });
});
