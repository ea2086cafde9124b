import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenEncoder } from '../../main/encoders/onnx-encoder.js';
import { bundledModelDir } from '../../main/paths.js';
import { SaegimService } from '../../main/service.js';
import { SaegimStore } from '../../main/store/store.js';

/**
 * The bundled model's scoring contract (tools/train/README.md, "Scoring contract") as the engine runs it:
 * learned query token weights, the pooled output for SVR and the recorded weighted-sum fusion — and the
 * query skiplist, through a copy of the bundled folder whose encoder.json chooses it instead.
 */
const QUERY = '한글을 만든 왕은 누구인가요?';
// Vocabulary pieces, as the tokenizer writes them: particles attach to the word before ("##을").
const SKIPLIST = ['##을', '##은', '##는', '##이', '##가', '##를', '##의', '##에', '?', '.'];
let work: string;
let service: SaegimService;
let encoder: TokenEncoder;
let skiplistService: SaegimService;
let skiplistEncoder: TokenEncoder;

const recorded = () => JSON.parse(readFileSync(join(bundledModelDir(), 'encoder.json'), 'utf8')) as { fusion: { weights: { mvr: number; bm25: number } } };

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'saegim-scoring-'));
  service = SaegimService.open({ dbPath: join(work, 'scoring.db') });
  await service.bootstrap();
  expect((await service.info()).bootstrap?.state).toBe('done');
  encoder = await TokenEncoder.load(bundledModelDir());
  const folder = join(work, 'skiplist-model');
  cpSync(bundledModelDir(), folder, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(folder, 'encoder.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(folder, 'encoder.json'), JSON.stringify({ ...manifest, querySkiplist: SKIPLIST, scoring: { queryTokenWeights: null, eojeolPooling: false } }));
  skiplistEncoder = await TokenEncoder.load(folder);
  skiplistService = SaegimService.open({ dbPath: join(work, 'skiplist.db'), modelDir: folder });
  await skiplistService.importDataset({ path: join(process.cwd(), 'assets/datasets/demo-ko'), name: 'demo-ko' });
  await skiplistService.indexCollection({ collection: 'demo-ko' });
}, 240_000);

afterAll(async () => {
  await encoder.close();
  await skiplistEncoder.close();
  await service.close();
  await skiplistService.close();
  rmSync(work, { recursive: true, force: true });
});

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

/** Search, explain and ablate agree on Σ w_i max_j, and a weighted token shows its weight. */
async function checkWeightedSum(svc: SaegimService): Promise<void> {
  const model = (await svc.search({ collection: 'demo-ko', query: QUERY, methods: ['mvr'], k: 5 })).results[0]!;
  const plain = (await svc.search({ collection: 'demo-ko', query: QUERY, methods: ['mvr'], k: 5, queryScoring: 'plain' })).results[0]!;
  expect(model.hits[0]!.score).toBeLessThan(plain.hits[0]!.score);
  const top = model.hits[0]!;
  const ex = await svc.explain({ collection: 'demo-ko', query: QUERY, docId: top.docId });
  expect(ex.queryScoring).toBe('model');
  expect(ex.score).toBeCloseTo(top.score, 3);
  expect(ex.contributions.reduce((a, b) => a + b, 0)).toBeCloseTo(ex.score, 5);
  expect(ex.rank).toBe(1);
  ex.queryTokens.forEach((t, i) => {
    expect(t.weight, t.text).toBeGreaterThanOrEqual(0);
    expect(t.weight, t.text).toBeLessThanOrEqual(1);
    if (t.weight === 0) {
      expect(t.skipped, t.text).toBe(true);
      expect(ex.contributions[i], t.text).toBe(0);
      // The similarity is still shown: the token is discounted, not hidden.
      expect(ex.similarity[i]!.length).toBe(ex.docTokens.length);
    } else {
      expect(ex.contributions[i]).toBeCloseTo(t.weight! * ex.similarity[i]![ex.best[i]!]!, 5);
    }
  });
  const plainEx = await svc.explain({ collection: 'demo-ko', query: QUERY, docId: top.docId, queryScoring: 'plain' });
  expect(plainEx.queryScoring).toBe('plain');
  expect(plainEx.queryTokens.every((t) => t.weight === undefined)).toBe(true);
  expect(plainEx.score).toBeGreaterThan(ex.score);
}

describe("the bundled model's learned query token weights", () => {
  it('weigh particles and punctuation below the content words, and passages not at all', async () => {
    const q = await encoder.encodeQuery(QUERY);
    const weightOf = Object.fromEntries(q.tokens.map((t, i) => [t, q.weights![i]!]));
    for (const particle of ['을', '은', '?']) {
      for (const content of ['한글', '만든', '왕']) expect(weightOf[particle]!, `${particle} < ${content}`).toBeLessThan(weightOf[content]!);
    }
    expect(q.weights!.every((w) => w > 0 && w < 1)).toBe(true);
    const [d] = await encoder.encodeDocuments([QUERY]);
    expect(d!.weights).toBeUndefined();
  });

  it('rank by Σ w_i max_j, show each weight, and the contributions still sum to the score', async () => {
    await checkWeightedSum(service);
  });
});

describe('query skiplist', () => {
  it('keeps every query token but weighs particles and punctuation 0', async () => {
    const q = await skiplistEncoder.encodeQuery(QUERY);
    const weightOf = Object.fromEntries(q.tokens.map((t, i) => [t, q.weights![i]]));
    for (const t of ['을', '은', '?']) expect(weightOf[t], t).toBe(0);
    for (const t of ['한글', '만든', '왕']) expect(weightOf[t], t).toBe(1);
    const [d] = await skiplistEncoder.encodeDocuments([QUERY]);
    expect(d!.weights).toBeUndefined();
  });

  it('ranks by Σ w_i max_j, shows the discount, and the contributions still sum to the score', async () => {
    await checkWeightedSum(skiplistService);
    const ex = await skiplistService.explain({ collection: 'demo-ko', query: QUERY, docId: (await skiplistService.search({ collection: 'demo-ko', query: QUERY, methods: ['mvr'], k: 1 })).results[0]!.hits[0]!.docId });
    expect(ex.queryTokens.filter((t) => t.skipped).map((t) => t.text).sort()).toEqual(['?', '은', '을']);
  });

  it('ablates the weighted sum', async () => {
    const top = (await skiplistService.search({ collection: 'demo-ko', query: QUERY, methods: ['mvr'], k: 1 })).results[0]!.hits[0]!;
    const ex = await skiplistService.explain({ collection: 'demo-ko', query: QUERY, docId: top.docId });
    const skipped = ex.queryTokens.flatMap((t, i) => (t.weight === 0 ? [i] : []));
    expect(skipped.length).toBeGreaterThan(0);
    // Dropping tokens that already weigh 0 changes nothing.
    const same = await skiplistService.ablate({ collection: 'demo-ko', query: QUERY, docId: top.docId, dropQueryTokens: skipped });
    expect(same.score).toBeCloseTo(same.originalScore, 6);
    expect(same.rank).toBe(same.originalRank);
  });
});

describe("SVR on the model's pooled output", () => {
  it('stores the pooled output at index time and scores the query with the same output', async () => {
    const svr = (await service.search({ collection: 'demo-ko', query: QUERY, methods: ['svr'], k: 3 })).results[0]!;
    expect(svr.pooling).toBe('model');
    const store = SaegimStore.open(join(work, 'scoring.db'));
    try {
      const id = store.collection('demo-ko').id;
      expect(store.vectorIndex(id)!.pooling).toBe('model');
      const passage = store.passage(id, svr.hits[0]!.docId);
      const stored = store.docVectorsFor(id, passage.ord)!;
      const [fresh] = await encoder.encodeDocuments([passage.title ? `${passage.title}\n${passage.text}` : passage.text]);
      expect(dot(stored.pooled, fresh!.pooled!)).toBeCloseTo(1, 4);
      const q = await encoder.encodeQuery(QUERY);
      expect(svr.hits[0]!.score).toBeCloseTo(dot(q.pooled!, stored.pooled), 4);
    } finally {
      store.close();
    }
  });

  it('keeps mean pooling for a collection whose vectors were written before the model had a pooled output', async () => {
    const db = join(work, 'old.db');
    const old = SaegimService.open({ dbPath: db });
    await old.importDataset({ path: join(process.cwd(), 'assets/datasets/demo-ko'), name: 'old' });
    await old.close();
    // A database of the previous schema: vector_indexes without the pooling column.
    const raw = new Database(db);
    raw.exec(`DROP TABLE vector_indexes; CREATE TABLE vector_indexes (collection_id INTEGER PRIMARY KEY REFERENCES collections(id) ON DELETE CASCADE,
      model_fingerprint TEXT NOT NULL REFERENCES models(fingerprint), dim INTEGER NOT NULL, precision TEXT NOT NULL CHECK (precision IN ('fp16', 'fp32')))`);
    raw.prepare(`UPDATE meta SET value = '2' WHERE key = 'schema_version'`).run();
    raw.close();
    const reopened = SaegimStore.open(db);
    const id = reopened.collection('old').id;
    reopened.bindModel(id, { name: encoder.name, dir: encoder.dir, fingerprint: encoder.fingerprint, dim: encoder.dim, maxLength: 256 }, 'fp16');
    expect(reopened.vectorIndex(id)!.pooling).toBe('mean');
    reopened.close();
    const s = SaegimService.open({ dbPath: db });
    try {
      await s.indexCollection({ collection: 'old' });
      const svr = (await s.search({ collection: 'old', query: QUERY, methods: ['svr'], k: 3 })).results[0]!;
      expect(svr.pooling).toBe('mean');
      expect(svr.hits).toHaveLength(3);
    } finally {
      await s.close();
    }
  }, 120_000);
});

describe('fusion recorded with the model', () => {
  it('evaluates hybrid with the weighted sum and says so in the report', async () => {
    const report = await service.evaluate({ collection: 'demo-ko', split: 'lexical', methods: ['mvr', 'bm25', 'hybrid', 'svr'] });
    expect(report.fusion).toMatchObject({ method: 'wsum', norm: 'min-max', weights: recorded().fusion.weights, source: 'model' });
    expect(report.queryScoring).toBe('model');
    expect(report.pooling).toBe('model');
    const rrf = await service.evaluate({ collection: 'demo-ko', split: 'lexical', methods: ['hybrid'], fusion: 'rrf' });
    expect(rrf.fusion).toEqual({ method: 'rrf', k: 60, depth: 100 });
  }, 120_000);
});
