import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SEARCH_METHODS } from '../../main/contract/types.js';
import { registeredRetrievers, retrieverFor } from '../../main/retrievers/retriever.js';
import '../../main/retrievers/plan.js';
import { Bm25Index } from '../../main/search/bm25.js';
import { reciprocalRankFusion, weightedSumFusion } from '../../main/search/hybrid.js';
import { MaxSimIndex } from '../../main/search/maxsim.js';
import { PooledVectorIndex } from '../../main/search/svr.js';
import { bundledModelDir } from '../../main/paths.js';
import { SaegimService } from '../../main/service.js';

let work: string;
let service: SaegimService;
const QUERY = '한글을 만든 왕은 누구인가요?';

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'saegim-plan-'));
  // The bundled model and the bundled demo corpus, as a first run sets them up.
  service = SaegimService.open({ dbPath: join(work, 'plan.db') });
  await service.bootstrap();
  expect((await service.info()).bootstrap?.state).toBe('done');
}, 120_000);

afterAll(async () => {
  await service.close();
  rmSync(work, { recursive: true, force: true });
});

/** Counts calls of each scorer's one entry point over `fn`. */
async function countKernelCalls<T>(fn: () => Promise<T>): Promise<{ result: T; maxsim: number; bm25: number; svr: number }> {
  const maxsim = vi.spyOn(MaxSimIndex.prototype, 'scoreAll');
  const bm25 = vi.spyOn(Bm25Index.prototype, 'rank');
  const svr = vi.spyOn(PooledVectorIndex.prototype, 'topK');
  try {
    const result = await fn();
    return { result, maxsim: maxsim.mock.calls.length, bm25: bm25.mock.calls.length, svr: svr.mock.calls.length };
  } finally {
    maxsim.mockRestore();
    bm25.mockRestore();
    svr.mockRestore();
  }
}

describe('retrievers and the search plan', () => {
  it('registers one retriever per method of the contract, and nothing else', () => {
    expect(new Set(registeredRetrievers().map((r) => r.method))).toEqual(new Set(SEARCH_METHODS));
    for (const method of SEARCH_METHODS) expect(retrieverFor(method).method).toBe(method);
  });

  it('runs each scorer once for a search with all four methods', async () => {
    await service.search({ collection: 'demo-ko', query: '워밍업' });
    const counted = await countKernelCalls(() => service.search({ collection: 'demo-ko', query: QUERY, methods: ['mvr', 'bm25', 'svr', 'hybrid'], k: 10 }));
    expect({ maxsim: counted.maxsim, bm25: counted.bm25, svr: counted.svr }).toEqual({ maxsim: 1, bm25: 1, svr: 1 });
    const lists = Object.fromEntries(counted.result.results.map((r) => [r.method, r.hits]));
    for (const method of SEARCH_METHODS) expect(lists[method]!.length, method).toBe(10);
    // Hybrid is the fusion of the very lists the same request computed, cut at depth 100.
    const deep = await service.search({ collection: 'demo-ko', query: QUERY, methods: ['mvr', 'bm25'], k: 100 });
    const [mvr, bm25] = deep.results.map((r) => r.hits);
    // The bundled model records a weighted sum (encoder.json "fusion"), which hybrid runs by default.
    const hybrid = counted.result.results.find((r) => r.method === 'hybrid')!;
    const recorded = (JSON.parse(readFileSync(join(bundledModelDir(), 'encoder.json'), 'utf8')) as { fusion: { weights: { mvr: number; bm25: number } } }).fusion.weights;
    expect(hybrid.fusion).toMatchObject({ method: 'wsum', weights: recorded, depth: 100, source: 'model' });
    const fused = weightedSumFusion([mvr!, bm25!], { weights: [recorded.mvr, recorded.bm25], topK: 10 });
    expect(lists.hybrid!.map((h) => h.docId)).toEqual(fused.map((h) => h.docId));
    expect(lists.hybrid!.map((h) => h.score)).toEqual(fused.map((h) => h.score));
    // Reciprocal-rank fusion stays available, over the same lists.
    const rrf = await service.search({ collection: 'demo-ko', query: QUERY, methods: ['hybrid'], k: 10, fusion: 'rrf' });
    expect(rrf.results[0]!.fusion).toEqual({ method: 'rrf', k: 60, depth: 100 });
    expect(rrf.results[0]!.hits.map((h) => h.docId)).toEqual(reciprocalRankFusion([mvr!, bm25!], { topK: 10 }).map((h) => h.docId));
  });

  it('answers a method asked twice once, and BM25 alone without touching vectors', async () => {
    const counted = await countKernelCalls(() => service.search({ collection: 'demo-ko', query: QUERY, methods: ['bm25', 'bm25'] }));
    expect(counted.result.results.map((r) => r.method)).toEqual(['bm25']);
    expect({ maxsim: counted.maxsim, bm25: counted.bm25, svr: counted.svr }).toEqual({ maxsim: 0, bm25: 1, svr: 0 });
  });

  it('explains without a scan when the rank is passed in, and with exactly one when it is not', async () => {
    const hit = (await service.search({ collection: 'demo-ko', query: QUERY, methods: ['mvr'], k: 5 })).results[0]!.hits[2]!;
    const given = await countKernelCalls(() => service.explain({ collection: 'demo-ko', query: QUERY, docId: hit.docId, rank: hit.rank }));
    expect(given.maxsim).toBe(0);
    expect(given.result.rank).toBe(hit.rank);
    expect(given.result.score).toBeCloseTo(hit.score, 3);
    const computed = await countKernelCalls(() => service.explain({ collection: 'demo-ko', query: QUERY, docId: hit.docId }));
    expect(computed.maxsim).toBe(1);
    expect(computed.result.rank).toBe(hit.rank);
  });

  it('ablates with one scan when the original rank is passed in', async () => {
    const hit = (await service.search({ collection: 'demo-ko', query: QUERY, methods: ['mvr'], k: 1 })).results[0]!.hits[0]!;
    const counted = await countKernelCalls(() =>
      service.ablate({ collection: 'demo-ko', query: QUERY, docId: hit.docId, rank: hit.rank, dropQueryTokens: [0, 1] }),
    );
    expect(counted.maxsim).toBe(1);
    expect(counted.result.originalRank).toBe(1);
    expect(counted.result.score).toBeLessThan(counted.result.originalScore);
  });

  it('evaluates every method with one scan per query for MaxSim', async () => {
    const counted = await countKernelCalls(() => service.evaluate({ collection: 'demo-ko', split: 'lexical' }));
    const queries = counted.result.queries;
    expect(queries).toBeGreaterThan(0);
    expect({ maxsim: counted.maxsim, bm25: counted.bm25, svr: counted.svr }).toEqual({ maxsim: queries, bm25: queries, svr: queries });
  });
});
