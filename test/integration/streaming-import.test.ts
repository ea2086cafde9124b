import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Progress } from '../../main/contract/api.js';
import { ImportError } from '../../main/contract/errors.js';
import { readDataset } from '../../main/datasets/index.js';
import { StagedImport } from '../../main/store/staging.js';
import { SaegimService } from '../../main/service.js';

const DEMO = fileURLToPath(new URL('../../assets/datasets/demo-ko', import.meta.url));
const SQUAD = fileURLToPath(new URL('../fixtures/datasets/squad/korquad-mini.json', import.meta.url));

let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'saegim-streaming-import-'));
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

function open(name: string): SaegimService {
  return SaegimService.open({ dbPath: join(work, `${name}.db`), modelDir: null, bundledDataDir: null });
}

function rowCounts(service: SaegimService): Record<string, number> {
  const count = (table: string) => (service.store.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  return Object.fromEntries(['collections', 'collection_imports', 'documents', 'queries', 'qrels', 'bm25_terms', 'bm25_stats'].map((t) => [t, count(t)]));
}

describe('streaming import', () => {
  it('stores what readDataset reads, in the same order, for BEIR and SQuAD', async () => {
    const service = open('same');
    try {
      for (const [path, name] of [
        [DEMO, 'demo'],
        [SQUAD, 'squad'],
      ] as const) {
        const expected = await readDataset(path);
        const report = await service.importDataset({ path, name });
        expect(report).toMatchObject({
          passages: expected.passages.length,
          queries: expected.queries.length,
          qrels: expected.qrels.length,
          format: expected.format,
          duplicatePassagesMerged: expected.stats.duplicatePassagesMerged,
        });
        const row = service.store.collection(name);
        expect(row.format).toBe(expected.format);
        expect(service.store.passages(row.id)).toEqual(expected.passages.map((p, ord) => ({ ord, ...p })));
        expect(service.store.queries(row.id)).toEqual(expected.queries);
        const split = expected.qrels[0]!.split;
        expect(Object.values(service.store.qrels(row.id, split)).reduce((n, q) => n + Object.keys(q).length, 0)).toBe(
          expected.qrels.filter((q) => q.split === split).length,
        );
      }
    } finally {
      await service.close();
    }
  });

  it('reports reading progress in bytes of the files, then analysis and writing', async () => {
    const service = open('progress');
    try {
      const lines = Array.from({ length: 12_000 }, (_, i) => JSON.stringify({ id: `p${i}`, text: `부산 해운대 ${i}번째 문단은 바다를 설명한다.` }));
      const file = join(work, 'progress.jsonl');
      writeFileSync(file, `${lines.join('\n')}\n`);
      const events: Progress[] = [];
      await service.importDataset({ path: file }, { onProgress: (p) => events.push({ ...p }) });
      const reading = events.filter((e) => e.phase === 'reading');
      expect(reading.every((e) => e.total === statSync(file).size)).toBe(true);
      expect(reading.some((e) => e.done > 0 && e.done < e.total && /passages, line/.test(e.message ?? ''))).toBe(true);
      expect(reading.map((e) => e.done)).toEqual([...reading.map((e) => e.done)].sort((a, b) => a - b));
      expect(events.some((e) => e.phase === 'analysing')).toBe(true);
      expect(events.at(-1)).toMatchObject({ phase: 'writing', done: 12_000, total: 12_000 });
    } finally {
      await service.close();
    }
  });

  it('leaves nothing behind when a strict import fails or is cancelled partway', async () => {
    const service = open('fail');
    try {
      const before = rowCounts(service);
      // Good lines past the first batch, then a bad one: the batches written before it must go too.
      const lines = Array.from({ length: 2500 }, (_, i) => JSON.stringify({ id: `p${i}`, text: `문단 ${i}` }));
      lines.push('{"id": "broken", "text": ');
      const bad = join(work, 'bad.jsonl');
      writeFileSync(bad, `${lines.join('\n')}\n`);
      const err = await service.importDataset({ path: bad }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImportError);
      expect((err as Error).message).toContain(`${bad}:2501`);
      expect(rowCounts(service)).toEqual(before);

      const controller = new AbortController();
      const cancelled = await service
        .importDataset({ path: DEMO, name: 'cancelled' }, { signal: controller.signal, onProgress: (p) => p.phase === 'analysing' && controller.abort() })
        .catch((e: unknown) => e);
      expect((cancelled as { code?: string }).code).toBe('cancelled');
      expect(rowCounts(service)).toEqual(before);
      expect(await service.listCollections()).toEqual([]);

      // --skip-bad keeps the good lines and says which line was left out.
      const skipped = await service.importDataset({ path: bad, skipBad: true });
      expect(skipped.passages).toBe(2500);
      expect(skipped.skipped).toHaveLength(1);
      expect(skipped.skipped[0]).toMatchObject({ file: bad, line: 2501 });
    } finally {
      await service.close();
    }
  });

  it('refuses a duplicate id with the line of the first, and a taken name, as before', async () => {
    const service = open('duplicates');
    try {
      const file = join(work, 'dup.jsonl');
      writeFileSync(file, ['{"id": "a", "text": "가"}', '{"id": "b", "text": "나"}', '{"id": "a", "text": "다"}', ''].join('\n'));
      await expect(service.importDataset({ path: file })).rejects.toThrow(`${file}:3: duplicate passage id "a" (first on line 1)`);
      await service.importDataset({ path: DEMO, name: 'demo' });
      await expect(service.importDataset({ path: DEMO, name: 'demo' })).rejects.toThrow('collection "demo" already exists');
    } finally {
      await service.close();
    }
  });

  it('hides a staged import until it is published, and removes one whose process died', async () => {
    const service = open('staged');
    try {
      const staged = StagedImport.begin(service.store.db, 'half', 'jsonl', '/nowhere');
      for (let i = 0; i < 1500; i++) staged.add({ id: `d${i}`, text: `본문 ${i}` });
      staged.flush();
      expect(await service.listCollections()).toEqual([]);
      expect(service.store.findCollection('half')).toBeNull();
      staged.publish();
      expect((await service.listCollections()).map((c) => c.name)).toEqual(['half']);
      expect((await service.listCollections())[0]!.passages).toBe(1500);

      const orphan = StagedImport.begin(service.store.db, 'orphan', 'jsonl', '/nowhere');
      for (let i = 0; i < 1200; i++) orphan.add({ id: `d${i}`, text: `본문 ${i}` });
      orphan.flush();
      // As if its process had been killed: a pid that no longer runs.
      const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
      service.store.db.prepare(`UPDATE collection_imports SET pid = ? WHERE collection_id = ?`).run(gone, orphan.collectionId);
      await service.importDataset({ path: DEMO, name: 'next' });
      expect(rowCounts(service).collection_imports).toBe(0);
      // SQLite may give the new collection the orphan's id: count what is left instead.
      expect(rowCounts(service).documents).toBe(1500 + 300);
      expect((await service.listCollections()).map((c) => c.name)).toEqual(['half', 'next']);
    } finally {
      await service.close();
    }
  });
});
