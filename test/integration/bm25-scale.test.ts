import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticKoreanCorpus } from '../../main/bench/bm25.js';
import { ANALYZER_NAME } from '../../main/search/analyzer.js';
import { Bm25Index } from '../../main/search/bm25.js';
import { indexedText } from '../../main/search/passage-text.js';
import { Bm25PostingsStore, buildBm25FromDocuments, decodePostings, documentIds, encodePostings, type Bm25Ranker } from '../../main/store/bm25-postings.js';
import { SaegimStore } from '../../main/store/store.js';
import { SaegimService } from '../../main/service.js';

const DEMO = fileURLToPath(new URL('../../assets/datasets/demo-ko', import.meta.url));

/**
 * Top-10 BM25 ids and scores of 20 demo queries and the demo nDCG@10, captured from the in-memory scorer
 * reading the JSON postings blob (search/bm25.ts) before postings moved to per-term rows. Any storage
 * of the postings must reproduce them.
 */
interface PinnedBm25 {
  ndcg10: number;
  queries: Array<{ id: string; query: string; hits: Array<[string, number]> }>;
}
const PINNED = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/bm25-demo-top10.json', import.meta.url)), 'utf8')) as PinnedBm25;

let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'saegim-bm25-scale-'));
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

async function expectPinnedScores(service: SaegimService, collection: string): Promise<void> {
  for (const q of PINNED.queries) {
    const response = await service.search({ collection, query: q.query, methods: ['bm25'], k: 10 });
    const hits = response.results[0]!.hits;
    expect(hits.map((h) => h.docId), q.id).toEqual(q.hits.map(([id]) => id));
    hits.forEach((h, i) => expect(Math.abs(h.score - q.hits[i]![1]), `${q.id} rank ${i + 1}`).toBeLessThan(1e-6));
  }
  const report = await service.evaluate({ collection, methods: ['bm25'], k: 10, split: 'test' });
  expect(Math.abs(report.methods.bm25!['ndcg@10']! - PINNED.ndcg10)).toBeLessThan(1e-9);
}

describe('BM25 scores on the demo corpus', () => {
  it('match the pinned top-10 ids, scores and nDCG@10 after an import', async () => {
    const service = SaegimService.open({ dbPath: join(work, 'import.db'), modelDir: null, bundledDataDir: null });
    try {
      await service.importDataset({ path: DEMO, name: 'demo-ko', format: 'beir' });
      await expectPinnedScores(service, 'demo-ko');
    } finally {
      await service.close();
    }
  });
});

function expectSameRanking(actual: Bm25Ranker, expected: Bm25Ranker, queries: string[], k = 10): void {
  for (const q of queries) {
    const a = actual.rank(q, k);
    const e = expected.rank(q, k);
    expect(a.map((h) => h.docId), q).toEqual(e.map((h) => h.docId));
    a.forEach((h, i) => expect(Math.abs(h.score - e[i]!.score), q).toBeLessThan(1e-9));
  }
}

function expectPinnedRanker(ranker: Bm25Ranker): void {
  for (const q of PINNED.queries) {
    const hits = ranker.rank(q.query, 10);
    expect(hits.map((h) => h.docId), q.id).toEqual(q.hits.map(([id]) => id));
    hits.forEach((h, i) => expect(Math.abs(h.score - q.hits[i]![1]), `${q.id} rank ${i + 1}`).toBeLessThan(1e-6));
  }
}

describe('BM25 postings rows', () => {
  it('give the pinned scores through the row scorer, built in many segments, before and after compaction', async () => {
    const service = SaegimService.open({ dbPath: join(work, 'segments.db'), modelDir: null, bundledDataDir: null });
    try {
      await service.importDataset({ path: DEMO, name: 'demo-ko', format: 'beir' });
      const id = service.store.collection('demo-ko').id;
      const postings = new Bm25PostingsStore(service.store.db);
      const ids = documentIds(service.store.db, id);
      expectPinnedRanker(postings.open(id, ids, { inMemoryLimit: 0 })!);
      // About 30 passages' postings per segment: ten segments.
      const outcome = buildBm25FromDocuments(postings, id, { segmentPostings: 3000, pageSize: 7, compact: false });
      expect(outcome.segments).toBeGreaterThanOrEqual(8);
      expect(postings.segmentCount(id)).toBe(outcome.segments);
      expectPinnedRanker(postings.open(id, ids, { inMemoryLimit: 0 })!);
      expectPinnedRanker(postings.open(id, ids)!);
      service.store.db.transaction(() => postings.compact(id, 50))();
      expect(postings.segmentCount(id)).toBe(1);
      expect(postings.stats(id)!.postings).toBe(outcome.postings);
      expectPinnedRanker(postings.open(id, ids, { inMemoryLimit: 0 })!);
      expectPinnedRanker(postings.open(id, ids)!);
    } finally {
      await service.close();
    }
  });

  it('migrate the JSON postings of an older database on first search, with the same scores', async () => {
    const dbPath = join(work, 'legacy.db');
    const service = SaegimService.open({ dbPath, modelDir: null, bundledDataDir: null });
    try {
      await service.importDataset({ path: DEMO, name: 'demo-ko', format: 'beir' });
      const store = service.store;
      const id = store.collection('demo-ko').id;
      // What an older Saegim wrote: no rows, one JSON blob.
      const legacy = Bm25Index.build(store.passages(id).map((p) => ({ id: p.id, text: indexedText(p) }))).toPostings();
      new Bm25PostingsStore(store.db).drop(id);
      store.saveBm25(id, ANALYZER_NAME, Buffer.from(JSON.stringify(legacy), 'utf8'));
    } finally {
      await service.close();
    }
    const reopened = SaegimService.open({ dbPath, modelDir: null, bundledDataDir: null });
    try {
      await expectPinnedScores(reopened, 'demo-ko');
      const id = reopened.store.collection('demo-ko').id;
      expect(reopened.store.loadBm25(id)).toBeNull();
      expect(new Bm25PostingsStore(reopened.store.db).stats(id)).toMatchObject({ analyzer: ANALYZER_NAME, docs: 300 });
    } finally {
      await reopened.close();
    }
  });

  it('rebuild postings of another analyzer from the passages', async () => {
    const dbPath = join(work, 'old-analyzer.db');
    const service = SaegimService.open({ dbPath, modelDir: null, bundledDataDir: null });
    try {
      await service.importDataset({ path: DEMO, name: 'demo-ko', format: 'beir' });
      const id = service.store.collection('demo-ko').id;
      service.store.db.prepare(`UPDATE bm25_stats SET analyzer = 'ko-bigram-v1' WHERE collection_id = ?`).run(id);
    } finally {
      await service.close();
    }
    const reopened = SaegimService.open({ dbPath, modelDir: null, bundledDataDir: null });
    try {
      await expectPinnedScores(reopened, 'demo-ko');
    } finally {
      await reopened.close();
    }
  });

  it('add and remove passages incrementally, ranking as a fresh build of what is left', () => {
    const { passages, queryTexts } = syntheticKoreanCorpus(1200, 200, 3);
    const store = SaegimStore.open(join(work, 'incremental.db'));
    try {
      const db = store.db;
      const { lastInsertRowid } = db.prepare(`INSERT INTO collections (name, format, source, created_at) VALUES ('inc', 'jsonl', '-', '')`).run();
      const id = Number(lastInsertRowid);
      const insert = db.prepare(`INSERT INTO documents (collection_id, ord, doc_id, text) VALUES (?, ?, ?, ?)`);
      passages.forEach((p, ord) => insert.run(id, ord, p.id, p.text));
      const postings = new Bm25PostingsStore(db);
      const ids = documentIds(db, id);
      postings.addDocuments(id, passages.slice(0, 800).map((p, ord) => ({ ord, text: p.text })));
      postings.addDocuments(id, passages.slice(800).map((p, i) => ({ ord: 800 + i, text: p.text })));
      expect(postings.segmentCount(id)).toBe(2);
      const removed = new Set([3, 17, 404, 799, 800, 1000, 1199]);
      postings.removeDocuments(id, [...removed].map((ord) => ({ ord, text: passages[ord]!.text })));
      const fresh = Bm25Index.build(passages.filter((_, ord) => !removed.has(ord)));
      expect(postings.stats(id)).toMatchObject({ docs: 1200 - removed.size, postings: fresh.postingCount });
      expectSameRanking(postings.open(id, ids, { inMemoryLimit: 0 })!, fresh, queryTexts, 20);
      expectSameRanking(postings.open(id, ids)!, fresh, queryTexts, 20);
      db.transaction(() => postings.compact(id))();
      expectSameRanking(postings.open(id, ids, { inMemoryLimit: 0 })!, fresh, queryTexts, 20);
    } finally {
      store.close();
    }
  });

  it('encode postings losslessly, large gaps and term frequencies included', () => {
    const docs = [0, 1, 2, 130, 131, 20_000, 2_000_000, 2_000_001];
    const tfs = [1, 2, 1, 300, 1, 1, 70_000, 1];
    const blob = encodePostings(docs, tfs);
    const back: Array<[number, number]> = [];
    expect(decodePostings(blob, (d, tf) => back.push([d, tf]))).toBe(docs.length);
    expect(back).toEqual(docs.map((d, i) => [d, tfs[i]]));
    expect(() => encodePostings([3, 3], [1, 1])).toThrow(/order/);
  });
});
