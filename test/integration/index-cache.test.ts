import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TokenEncoder } from '../../main/encoders/onnx-encoder.js';
import { CollectionIndex } from '../../main/retrievers/collection-index.js';
import { MaxSimIndex } from '../../main/search/maxsim.js';
import { indexedText, punctuationMask } from '../../main/search/passage-text.js';
import { SaegimService } from '../../main/service.js';
import type { SearchResponse } from '../../main/contract/api.js';
import { writeTinyModel } from '../fixtures/tiny-model.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/mini-beir', import.meta.url));
const QUERY = '대한민국의 수도는 어디인가?';

let work: string;
let modelDir: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'saegim-index-cache-'));
  modelDir = join(work, 'tiny');
  await writeTinyModel(modelDir, { hiddenSize: 32, seed: 1 });
});

afterAll(() => rmSync(work, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

async function indexedService(name: string, collections: string[]): Promise<SaegimService> {
  const service = SaegimService.open({ dbPath: join(work, `${name}.db`), modelDir, bundledDataDir: null });
  for (const collection of collections) {
    await service.importDataset({ path: FIXTURE, name: collection });
    await service.indexCollection({ collection });
  }
  return service;
}

const hitsOf = (response: SearchResponse) => response.results.map((r) => ({ method: r.method, hits: r.hits.map((h) => [h.docId, h.score]) }));

describe('one MaxSim packing for both punctuation settings', () => {
  it('packs the vectors once whichever setting the searches ask for', async () => {
    const service = await indexedService('once', ['mini']);
    try {
      const added = vi.spyOn(MaxSimIndex.prototype, 'add');
      const skipping = await service.search({ collection: 'mini', query: QUERY, methods: ['mvr'], k: 8, skipPunctuation: true });
      const all = await service.search({ collection: 'mini', query: QUERY, methods: ['mvr'], k: 8, skipPunctuation: false });
      expect(hitsOf(await service.search({ collection: 'mini', query: QUERY, methods: ['mvr'], k: 8, skipPunctuation: true }))).toEqual(hitsOf(skipping));
      expect(added).toHaveBeenCalledTimes(8);
      expect(hitsOf(skipping)).not.toEqual(hitsOf(all));
    } finally {
      await service.close();
    }
  });

  it('scores as a packing per setting did: punctuation rows dropped, or every row', async () => {
    const service = await indexedService('per-setting', ['mini']);
    const encoder = await TokenEncoder.load(modelDir);
    const row = service.store.collection('mini');
    const index = new CollectionIndex(service.store, row, service.store.generation(row.id)!, 1);
    const old = { dropped: new MaxSimIndex({ dim: 32, threads: 1 }), whole: new MaxSimIndex({ dim: 32, threads: 1 }) };
    try {
      const query = (await encoder.encodeQuery(QUERY)).vectors;
      let masked = 0;
      for (const doc of service.store.docVectorsWithPassages(row.id)) {
        const mask = punctuationMask(indexedText(doc), doc.offsets, doc.nTokens);
        const kept = [...mask.keys()].filter((j) => mask[j]);
        masked += doc.nTokens - kept.length;
        const rows = new Uint16Array(kept.length * 32);
        kept.forEach((j, r) => rows.set((doc.vectors as Uint16Array).subarray(j * 32, (j + 1) * 32), r * 32));
        old.dropped.add(rows, kept.length);
        old.whole.add(doc.vectors, doc.nTokens);
      }
      expect(masked).toBeGreaterThan(0);
      const both = index.maxSimIndex();
      for (const [skipMasked, reference] of [[true, old.dropped], [false, old.whole]] as const) {
        const scores = await both.scoreAll(query, { skipMasked });
        const expected = await reference.scoreAll(query);
        scores.forEach((s, slot) => expect(Math.abs(s - expected[slot]!)).toBeLessThan(1e-5));
      }
      // One resident copy: the masks add a byte or a few a token, a second packing would add the whole again.
      expect(both.residentBytes()).toBeLessThan(old.whole.residentBytes() * 1.1);
      expect(index.residentBytes()).toBeGreaterThan(both.residentBytes());
    } finally {
      await Promise.all([index.release(), old.dropped.release(), old.whole.release(), encoder.close()]);
      await service.close();
    }
  });
});

describe('memory budget for cached collections', () => {
  it('releases the least recently used collection past the budget, and reloads it with the same results', async () => {
    const service = await indexedService('budget', ['first', 'second']);
    try {
      expect((await service.getSettings()).cacheBudgetMb).toBe(4096);
      expect((await service.updateSettings({ cacheBudgetMb: 0 })).cacheBudgetMb).toBe(0);
      const released = vi.spyOn(CollectionIndex.prototype, 'release');
      const releasedIds = () => released.mock.contexts.map((c) => (c as CollectionIndex).collectionId);
      const ids = { first: service.store.collection('first').id, second: service.store.collection('second').id };
      const search = (collection: string) => service.search({ collection, query: QUERY, methods: ['mvr', 'bm25', 'svr', 'hybrid'], k: 5, skipPunctuation: true });

      const before = await search('first');
      expect(released).not.toHaveBeenCalled();
      const firstIndex = () => released.mock.contexts.find((c) => (c as CollectionIndex).collectionId === ids.first) as CollectionIndex | undefined;

      await search('second');
      expect(releasedIds()).toEqual([ids.first]);
      expect(firstIndex()!.residentBytes()).toBe(0);

      const added = vi.spyOn(MaxSimIndex.prototype, 'add');
      const again = await search('first');
      expect(added).toHaveBeenCalledTimes(8);
      expect(hitsOf(again)).toEqual(hitsOf(before));
      // The collection in use stays, however far past the budget; the other one goes.
      expect(firstIndex()!.residentBytes()).toBeGreaterThan(0);
      expect(releasedIds()).toEqual([ids.first, ids.second]);
    } finally {
      await service.close();
    }
  });

  it('keeps both collections within the default budget', async () => {
    const service = await indexedService('roomy', ['first', 'second']);
    try {
      const released = vi.spyOn(CollectionIndex.prototype, 'release');
      await service.search({ collection: 'first', query: QUERY, methods: ['mvr'], k: 5 });
      await service.search({ collection: 'second', query: QUERY, methods: ['mvr'], k: 5 });
      await service.search({ collection: 'first', query: QUERY, methods: ['mvr'], k: 5 });
      expect(released).not.toHaveBeenCalled();
    } finally {
      await service.close();
    }
  });
});
