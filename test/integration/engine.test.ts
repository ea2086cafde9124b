import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenEncoder } from '../../main/encoders/onnx-encoder.js';
import { SaegimError } from '../../main/contract/errors.js';
import { maxSimScore } from '../../main/search/maxsim.js';
import { indexedText } from '../../main/search/passage-text.js';
import { halvesToFloats } from '../../main/store/half.js';
import { SaegimService } from '../../main/service.js';
import { writeTinyModel } from '../fixtures/tiny-model.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/mini-beir', import.meta.url));

let work: string;
let modelDir: string;
let wideModelDir: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'saegim-engine-'));
  modelDir = join(work, 'tiny');
  wideModelDir = join(work, 'tiny-wide');
  await writeTinyModel(modelDir, { hiddenSize: 32, seed: 1 });
  await writeTinyModel(wideModelDir, { hiddenSize: 48, seed: 2 });
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

async function freshService(name: string): Promise<SaegimService> {
  return SaegimService.open({ dbPath: join(work, `${name}.db`), modelDir, bundledDataDir: null });
}

describe('tokenizer → onnxruntime → store → MaxSim', () => {
  it('imports, indexes and ranks the passage a query is about first', async () => {
    const service = await freshService('rank');
    try {
      const imported = await service.importDataset({ path: FIXTURE, name: 'mini' });
      expect(imported).toMatchObject({ collection: 'mini', format: 'beir', passages: 8, queries: 4, qrels: 4 });
      const indexed = await service.indexCollection({ collection: 'mini' });
      expect(indexed.encoded).toBe(8);
      expect(indexed.totalIndexed).toBe(8);
      const response = await service.search({ collection: 'mini', query: '훈민정음을 창제한 세종대왕', methods: ['mvr', 'bm25', 'svr', 'hybrid'], k: 3 });
      for (const result of response.results) {
        expect(result.unavailable).toBeUndefined();
        expect(result.hits[0]!.docId).toBe('d5');
        expect(result.hits.length).toBeGreaterThan(0);
        expect(result.hits.map((h) => h.rank)).toEqual([1, 2, 3].slice(0, result.hits.length));
      }
      const [listed] = await service.listCollections();
      expect(listed).toMatchObject({ name: 'mini', passages: 8, indexed: 8, precision: 'fp16' });
      expect(listed!.model!.dim).toBe(32);
    } finally {
      await service.close();
    }
  });

  it('scores every passage exactly as a naive MaxSim loop over the stored vectors', async () => {
    const service = await freshService('naive');
    try {
      await service.importDataset({ path: FIXTURE, name: 'mini' });
      await service.indexCollection({ collection: 'mini', precision: 'fp32' });
      const encoder = await TokenEncoder.load(modelDir);
      const query = await encoder.encodeQuery('가장 큰 행성은 무엇인가?');
      await encoder.close();
      const id = service.store.collection('mini').id;
      const naive = new Map<string, number>();
      const passages = new Map(service.store.passages(id).map((p) => [p.ord, p]));
      for (const row of service.store.docVectors(id)) {
        const data = row.vectors instanceof Uint16Array ? halvesToFloats(row.vectors) : row.vectors;
        naive.set(passages.get(row.ord)!.id, maxSimScore(query.vectors, { length: row.nTokens, dim: 32, data }));
      }
      const response = await service.search({ collection: 'mini', query: '가장 큰 행성은 무엇인가?', methods: ['mvr'], k: 8 });
      const hits = response.results[0]!.hits;
      expect(hits).toHaveLength(8);
      for (const hit of hits) expect(hit.score).toBeCloseTo(naive.get(hit.docId)!, 4);
      const expectedOrder = [...naive.entries()].sort((a, b) => b[1] - a[1]).map(([docId]) => docId);
      expect(hits.map((h) => h.docId)).toEqual(expectedOrder);
    } finally {
      await service.close();
    }
  });

  it('explains a score with contributions that sum to it and offsets that point into the passage', async () => {
    const service = await freshService('explain');
    try {
      await service.importDataset({ path: FIXTURE, name: 'mini' });
      await service.indexCollection({ collection: 'mini' });
      const query = '대한민국의 수도는 어디인가?';
      const ex = await service.explain({ collection: 'mini', query, docId: 'd1' });
      const search = await service.search({ collection: 'mini', query, methods: ['mvr'], k: 8 });
      const hit = search.results[0]!.hits.find((h) => h.docId === 'd1')!;
      expect(ex.contributions.reduce((a, b) => a + b, 0)).toBeCloseTo(ex.score, 5);
      expect(ex.score).toBeCloseTo(hit.score, 3);
      expect(ex.rank).toBe(hit.rank);
      expect(ex.similarity).toHaveLength(ex.queryTokens.length);
      expect(ex.similarity[0]).toHaveLength(ex.docTokens.length);
      ex.best.forEach((j, i) => expect(ex.similarity[i]![j]).toBeCloseTo(Math.max(...ex.similarity[i]!), 6));
      for (const t of ex.docTokens) expect(ex.docText.slice(t.start, t.end)).toBe(t.text);
      for (const t of ex.queryTokens) expect(query.slice(t.start, t.end)).toBe(t.text);
      expect(ex.docText).toBe(indexedText({ title: '서울', text: '서울은 대한민국의 수도이다. 한강이 도시 한가운데를 흐르며 인구는 약 940만 명이다.' }));
      expect(ex.docTokens.map((t) => t.text)).toContain('수도');

      const skipping = await service.explain({ collection: 'mini', query, docId: 'd1', skipPunctuation: true });
      const skipped = skipping.docTokens.filter((t) => t.skipped).map((t) => t.text);
      expect(skipped).toContain('.');
      for (const j of skipping.best) expect(skipping.docTokens[j]!.skipped).toBeUndefined();

      const ablated = await service.ablate({ collection: 'mini', query, docId: 'd1', dropQueryTokens: [0] });
      expect(ablated.originalScore).toBeCloseTo(ex.score, 5);
      expect(ablated.score).toBeCloseTo(ex.score - ex.contributions[0]!, 5);
    } finally {
      await service.close();
    }
  });

  it('refuses to mix vectors of a different model into an indexed collection', async () => {
    const service = await freshService('mismatch');
    try {
      await service.importDataset({ path: FIXTURE, name: 'mini' });
      await service.indexCollection({ collection: 'mini' });
      const attempt = service.indexCollection({ collection: 'mini', model: wideModelDir });
      await expect(attempt).rejects.toBeInstanceOf(SaegimError);
      await expect(attempt).rejects.toMatchObject({ code: 'model-mismatch' });
      const rebuilt = await service.indexCollection({ collection: 'mini', model: wideModelDir, rebuild: true });
      expect(rebuilt.model.dim).toBe(48);
      expect(rebuilt.encoded).toBe(8);
    } finally {
      await service.close();
    }
  });

  it('leaves the database unchanged when an import fails', async () => {
    const service = await freshService('atomic');
    try {
      await service.importDataset({ path: FIXTURE, name: 'mini' });
      const before = await service.listCollections();
      const bad = join(work, 'bad.jsonl');
      writeFileSync(bad, '{"id": "a", "text": "첫 번째 문서"}\n{"id": "b", "text": 42}\n');
      await expect(service.importDataset({ path: bad })).rejects.toThrow(/bad\.jsonl:2/);
      expect(await service.listCollections()).toEqual(before);
      const skipped = await service.importDataset({ path: bad, skipBad: true });
      expect(skipped.passages).toBe(1);
      expect(skipped.skipped[0]).toMatchObject({ line: 2 });
    } finally {
      await service.close();
    }
  });

  it('evaluates with known metrics shape and reports the bm25 baseline comparison', async () => {
    const service = await freshService('eval');
    try {
      await service.importDataset({ path: FIXTURE, name: 'mini' });
      await service.indexCollection({ collection: 'mini' });
      const report = await service.evaluate({ collection: 'mini', k: 10 });
      expect(report.queries).toBe(4);
      for (const m of ['mvr', 'bm25', 'svr', 'hybrid'] as const) {
        const v = report.methods[m]!;
        for (const key of ['hit@10', 'ndcg@10', 'mrr@10', 'recall@10']) {
          expect(v[key]).toBeGreaterThanOrEqual(0);
          expect(v[key]).toBeLessThanOrEqual(1);
        }
        expect(v['hit@10']).toBe(1);
      }
      expect(report.significance.filter((s) => s.metric === 'ndcg@10').map((s) => s.method).sort()).toEqual(['hybrid', 'mvr', 'svr']);
      // Every metric is tested against the baseline, and the family is corrected as a whole.
      expect(new Set(report.significance.map((s) => s.metric))).toEqual(new Set(['hit@10', 'ndcg@10', 'mrr@10', 'recall@10']));
      expect(report.significanceMethod).toMatchObject({ comparisons: 12, correction: expect.stringContaining('Holm') });
      for (const s of report.significance) expect(s.adjustedPValue).toBeGreaterThanOrEqual(s.pValue);
      expect(report.runs.bm25!.split('\n')[0]).toMatch(/^q\d Q0 d\d 1 \S+ saegim-bm25$/);
    } finally {
      await service.close();
    }
  });

  it('says why vector methods are unavailable when there is no model, and BM25 still answers', async () => {
    const service = SaegimService.open({ dbPath: join(work, 'nomodel.db'), modelDir: join(work, 'does-not-exist'), bundledDataDir: null });
    try {
      await service.importDataset({ path: FIXTURE, name: 'mini' });
      const response = await service.search({ collection: 'mini', query: '김치는 어떻게 만드나요?', methods: ['bm25', 'mvr'] });
      expect(response.results[0]!.hits[0]!.docId).toBe('d3');
      expect(response.results[1]!.unavailable).toMatch(/not indexed/);
      const info = await service.info();
      expect(info.model).toBeNull();
      expect(info.modelProblem).toMatch(/does-not-exist/);
    } finally {
      await service.close();
    }
  });
});
