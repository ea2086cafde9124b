import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatingApi } from '../../main/rpc/dispatch.js';
import { SaegimService } from '../../main/service.js';

let work: string;
let dbPath: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'saegim-saved-'));
  dbPath = join(work, 'saved.db');
  const service = SaegimService.open({ dbPath });
  await service.bootstrap();
  await service.close();
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('saved evaluations, the query browser and per-split counts', () => {
  it('keeps every finished evaluation across a restart, reopens it whole and deletes it', async () => {
    let service = SaegimService.open({ dbPath, bundledDataDir: null });
    const report = await service.evaluate({ collection: 'demo-ko', split: 'lexical', methods: ['bm25', 'mvr'] });
    expect(report.id).toBeGreaterThan(0);
    await service.close();

    service = SaegimService.open({ dbPath, bundledDataDir: null });
    try {
      const listed = await service.listEvaluations({ collection: 'demo-ko' });
      expect(listed[0]).toMatchObject({ id: report.id, collection: 'demo-ko', split: 'lexical', k: 10, queries: report.queries, methods: ['bm25', 'mvr'] });
      const reopened = await service.getEvaluation(report.id!);
      expect(reopened).toEqual(report);
      expect(await service.deleteEvaluation(report.id!)).toEqual({ deleted: true });
      expect(await service.deleteEvaluation(report.id!)).toEqual({ deleted: false });
      await expect(service.getEvaluation(report.id!)).rejects.toMatchObject({ code: 'not-found' });
      expect(await service.listEvaluations()).toEqual([]);
    } finally {
      await service.close();
    }
  });

  it('lists a split\'s queries with their relevant passages, and counts queries and qrels per split', async () => {
    const service = SaegimService.open({ dbPath, bundledDataDir: null });
    const api = validatingApi(service);
    try {
      const [demo] = await api.listCollections();
      // demo-ko judges all 150 queries in test, and splits them 70 lexical / 80 paraphrase.
      expect(demo!.splitCounts.test!.queries).toBe(150);
      expect(demo!.splitCounts.lexical!.queries + demo!.splitCounts.paraphrase!.queries).toBe(150);
      expect(demo!.splitCounts.test!.qrels).toBeGreaterThanOrEqual(150);
      const lexical = await api.listQueries({ collection: 'demo-ko', split: 'lexical' });
      expect(lexical).toHaveLength(demo!.splitCounts.lexical!.queries);
      for (const q of lexical) expect(q.relevant.lexical!.length, q.id).toBeGreaterThan(0);
      const some = await api.listQueries({ collection: 'demo-ko', limit: 3 });
      expect(some).toHaveLength(3);
      await expect(api.listQueries({ collection: 'demo-ko', limit: 0 })).rejects.toMatchObject({ code: 'bad-input' });
    } finally {
      await service.close();
    }
  });
});
