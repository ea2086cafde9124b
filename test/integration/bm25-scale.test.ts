import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
