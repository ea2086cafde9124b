import { basename } from 'node:path';
import type {
  AblationRequest,
  AblationResult,
  BootstrapState,
  CollectionSummary,
  EngineInfo,
  EvaluateRequest,
  EvaluationReport,
  ExplainRequest,
  Explanation,
  ImportReport,
  ImportRequest,
  IndexReport,
  IndexRequest,
  MethodResult,
  ModelSummary,
  ModelValidation,
  OperationControl,
  PerQueryMetrics,
  SaegimApi,
  SearchRequest,
  SearchResponse,
  Settings,
  SignificanceResult,
  TokenInfo,
} from '../../main/contract/api.js';
import { CancelledError, ImportError, SaegimError } from '../../main/contract/errors.js';
import type { DatasetFormat, ExecutionProvider, MetricValues, Passage, Qrel, Query, SearchMethod } from '../../main/contract/types.js';
import { FAKE_PASSAGES, FAKE_QRELS, FAKE_QUERIES } from './fake-corpus.js';

/**
 * An in-memory SaegimApi with the real one's shapes and behaviours: subword tokens with offsets, token
 * vectors whose dot products give MaxSim, BM25 over Hangul bigrams, SVR, reciprocal-rank fusion, metrics,
 * jobs with progress and cancellation. It stands in for the engine in server and browser tests.
 */
export interface FakeApiOptions {
  /** Milliseconds between progress steps of long operations. */
  stepMs?: number;
  bootstrap?: BootstrapState | null;
  executionProviders?: ExecutionProvider[];
}

const DIM = 48;
const SEARCH_METHODS: SearchMethod[] = ['mvr', 'bm25', 'svr', 'hybrid'];

export const FAKE_MODEL: ModelSummary = {
  name: 'saegim-dlm-mini-ko',
  dir: '/opt/saegim/assets/models/saegim-dlm-mini-ko',
  fingerprint: 'sha256:3f9a1c0e7b5d',
  dim: DIM,
  maxLength: 512,
  architecture: 'decoder',
};

// Particles (josa) and endings split off as their own subwords, as a Korean subword vocabulary tends to.
const SUFFIXES = ['에서는', '에서', '으로', '에게', '까지', '부터', '이라는', '라는', '이다', '하여', '하고', '은', '는', '이', '가', '을', '를', '의', '에', '로', '와', '과', '도', '만'];

interface Piece {
  /** Tokenizer string: continuation pieces carry `##` as WordPiece vocabularies do. */
  token: string;
  start: number;
  end: number;
}

export function fakeTokenize(text: string): Piece[] {
  const pieces: Piece[] = [];
  for (const m of text.matchAll(/[가-힣A-Za-z0-9]+|[^\s가-힣A-Za-z0-9]/g)) {
    const word = m[0];
    const at = m.index;
    if (!/[가-힣A-Za-z0-9]/.test(word)) {
      pieces.push({ token: word, start: at, end: at + word.length });
      continue;
    }
    const suffix = SUFFIXES.find((s) => word.length > s.length + 1 && word.endsWith(s));
    const stem = suffix ? word.slice(0, word.length - suffix.length) : word;
    const parts: string[] = [];
    for (let i = 0; i < stem.length; i += 2) parts.push(stem.slice(i, i + 2));
    if (suffix) parts.push(suffix);
    let offset = at;
    parts.forEach((p, k) => {
      pieces.push({ token: k === 0 ? p : `##${p}`, start: offset, end: offset + p.length });
      offset += p.length;
    });
  }
  return pieces;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

function randomVector(seed: string): Float32Array {
  let state = hash(seed) || 1;
  const v = new Float32Array(DIM);
  for (let i = 0; i < DIM; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    v[i] = state / 4294967296 - 0.5;
  }
  return v;
}

function pieceVector(raw: string): Float32Array {
  const v = new Float32Array(DIM);
  const add = (u: Float32Array, w: number) => u.forEach((x, i) => (v[i] += w * x));
  for (const c of raw) add(randomVector(`c:${c}`), 1);
  for (let i = 0; i + 1 < raw.length; i++) add(randomVector(`b:${raw.slice(i, i + 2)}`), 1.5);
  if (SUFFIXES.includes(raw)) add(randomVector('function-word'), 2.5);
  if (/^[^가-힣A-Za-z0-9]$/.test(raw)) add(randomVector('punctuation'), 3);
  add(randomVector(`p:${raw}`), 0.5);
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

interface Encoded {
  tokens: TokenInfo[];
  rawTokens: string[];
  vectors: Float32Array[];
}

/** How much of the whole text's meaning each token vector carries, as a bidirectional encoder's tokens do. */
const CONTEXT_WEIGHT = 0.8;

function encode(text: string): Encoded {
  const pieces = fakeTokenize(text);
  const own = pieces.map((p) => pieceVector(text.slice(p.start, p.end)));
  const context = new Float32Array(DIM);
  for (const v of own) v.forEach((x, i) => (context[i] += x / own.length));
  return {
    tokens: pieces.map((p) => ({ text: text.slice(p.start, p.end), start: p.start, end: p.end })),
    rawTokens: pieces.map((p) => p.token),
    vectors: own.map((v) => {
      const mixed = v.map((x, i) => x + CONTEXT_WEIGHT * context[i]!);
      const norm = Math.hypot(...mixed) || 1;
      return mixed.map((x) => x / norm);
    }),
  };
}

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

function similarityMatrix(q: Encoded, d: Encoded): number[][] {
  return q.vectors.map((qv) => d.vectors.map((dv) => dot(qv, dv)));
}

function maxSim(q: Encoded, d: Encoded, drop: ReadonlySet<number> = new Set()): number {
  let score = 0;
  q.vectors.forEach((qv, i) => {
    if (drop.has(i)) return;
    let best = -Infinity;
    for (const dv of d.vectors) best = Math.max(best, dot(qv, dv));
    score += best;
  });
  return score;
}

function meanVector(e: Encoded): Float32Array {
  const v = new Float32Array(DIM);
  for (const u of e.vectors) u.forEach((x, i) => (v[i] += x));
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

function bigrams(text: string): string[] {
  const out: string[] = [];
  for (const word of text.split(/[^가-힣A-Za-z0-9]+/)) {
    if (word.length === 1) out.push(word);
    for (let i = 0; i + 1 < word.length; i++) out.push(word.slice(i, i + 2));
  }
  return out;
}

interface FakeCollection {
  name: string;
  format: DatasetFormat;
  source: string;
  createdAt: string;
  passages: Passage[];
  queries: Query[];
  qrels: Qrel[];
  indexed: number;
  encoded: Map<string, Encoded>;
  pooled: Map<string, Float32Array>;
}

interface Ranked {
  docId: string;
  score: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class FakeSaegimApi implements SaegimApi {
  readonly calls: Array<{ method: string; args: unknown[] }> = [];
  private readonly collections = new Map<string, FakeCollection>();
  private settings: Settings = { modelDir: FAKE_MODEL.dir, executionProvider: 'cpu', threads: 0, precision: 'fp16' };
  private readonly stepMs: number;
  bootstrapState: BootstrapState | null;
  private readonly providers: ExecutionProvider[];

  constructor(opts: FakeApiOptions = {}) {
    this.stepMs = opts.stepMs ?? 40;
    this.bootstrapState = opts.bootstrap ?? null;
    this.providers = opts.executionProviders ?? ['cpu'];
    this.addCollection('demo-ko', 'beir', '/opt/saegim/assets/datasets/demo-ko', FAKE_PASSAGES, FAKE_QUERIES, FAKE_QRELS, FAKE_PASSAGES.length);
    this.addCollection('위키-문단-표본', 'jsonl', '/home/researcher/data/wiki-sample.jsonl', FAKE_PASSAGES.slice(0, 10), [], [], 4);
  }

  private record(method: string, args: unknown[]): void {
    this.calls.push({ method, args });
  }

  private addCollection(name: string, format: DatasetFormat, source: string, passages: Passage[], queries: Query[], qrels: Qrel[], indexed: number) {
    const c: FakeCollection = {
      name,
      format,
      source,
      createdAt: '2026-11-20T09:30:00.000Z',
      passages,
      queries,
      qrels,
      indexed: 0,
      encoded: new Map(),
      pooled: new Map(),
    };
    this.collections.set(name, c);
    for (let i = 0; i < indexed; i++) this.encodePassage(c, i);
    return c;
  }

  private encodePassage(c: FakeCollection, i: number): void {
    const p = c.passages[i]!;
    const e = encode(p.text);
    c.encoded.set(p.id, e);
    c.pooled.set(p.id, meanVector(e));
    c.indexed = Math.max(c.indexed, i + 1);
  }

  private collection(name: unknown): FakeCollection {
    if (typeof name !== 'string' || name === '') throw new SaegimError('bad-input', 'collection: expected a name');
    const c = this.collections.get(name);
    if (!c) throw new SaegimError('not-found', `no collection named "${name}"`);
    return c;
  }

  async info(): Promise<EngineInfo> {
    this.record('info', []);
    return {
      version: '0.1.0',
      dbPath: '/home/researcher/.local/share/saegim/saegim.db',
      settings: { ...this.settings },
      model: this.settings.modelDir ? FAKE_MODEL : null,
      modelProblem: this.settings.modelDir ? null : 'no model configured',
      executionProviders: [...this.providers],
      activeExecutionProvider: this.settings.executionProvider,
      bootstrap: this.bootstrapState ? { ...this.bootstrapState } : null,
    };
  }

  async listCollections(): Promise<CollectionSummary[]> {
    this.record('listCollections', []);
    return [...this.collections.values()].map((c) => ({
      name: c.name,
      format: c.format,
      source: c.source,
      createdAt: c.createdAt,
      passages: c.passages.length,
      queries: c.queries.length,
      qrels: c.qrels.length,
      splits: [...new Set(c.qrels.map((q) => q.split))],
      indexed: c.indexed,
      model: c.indexed > 0 ? FAKE_MODEL : null,
      indexBytes: [...c.encoded.values()].reduce((s, e) => s + e.vectors.length * DIM * 2 + e.vectors.length * 8, 0),
      precision: c.indexed > 0 ? 'fp16' : null,
    }));
  }

  async importDataset(req: ImportRequest, ctl?: OperationControl): Promise<ImportReport> {
    this.record('importDataset', [req]);
    if (!req || typeof req.path !== 'string' || req.path === '') throw new SaegimError('bad-input', 'import: field "path" is required');
    ctl?.onProgress?.({ phase: 'reading', done: 0, total: 1, message: req.path });
    await sleep(this.stepMs);
    if (ctl?.signal?.aborted) throw new CancelledError('import');
    if (req.path.includes('bad')) {
      throw new ImportError([
        { file: `${req.path}/corpus.jsonl`, line: 7, field: 'text', reason: 'expected a string, got null' },
        { file: `${req.path}/qrels/test.tsv`, line: 12, field: 'score', reason: 'score "관련" is not a number' },
      ]);
    }
    if (req.path.includes('missing')) throw new SaegimError('not-found', `${req.path}: no such file or directory`);
    const name = req.name ?? basename(req.path).replace(/\.[^.]+$/, '');
    if (this.collections.has(name)) throw new SaegimError('duplicate', `collection "${name}" already exists (choose another name or delete it)`);
    const passages = FAKE_PASSAGES.slice(0, 8);
    ctl?.onProgress?.({ phase: 'writing', done: passages.length, total: passages.length });
    this.addCollection(name, 'jsonl', req.path, passages, [], [], 0);
    return {
      collection: name,
      format: 'jsonl',
      passages: passages.length,
      queries: 0,
      qrels: 0,
      skipped: [],
      emptyPassages: 0,
      qrelsWithUnknownQuery: 0,
      qrelsWithUnknownPassage: 0,
      duplicatePassagesMerged: 0,
    };
  }

  async deleteCollection(name: string): Promise<void> {
    this.record('deleteCollection', [name]);
    const c = this.collection(name);
    this.collections.delete(c.name);
  }

  async indexCollection(req: IndexRequest, ctl?: OperationControl): Promise<IndexReport> {
    this.record('indexCollection', [req]);
    const c = this.collection(req?.collection);
    if (!this.settings.modelDir) throw new SaegimError('model-missing', 'no model to index with');
    if (req.rebuild) {
      c.encoded.clear();
      c.pooled.clear();
      c.indexed = 0;
    }
    const already = c.indexed;
    const started = Date.now();
    for (let i = already; i < c.passages.length; i++) {
      if (ctl?.signal?.aborted) throw new CancelledError('indexing');
      ctl?.onProgress?.({ phase: 'encoding', done: i, total: c.passages.length });
      await sleep(this.stepMs);
      this.encodePassage(c, i);
    }
    ctl?.onProgress?.({ phase: 'encoding', done: c.passages.length, total: c.passages.length });
    const seconds = (Date.now() - started) / 1000;
    return {
      collection: c.name,
      model: FAKE_MODEL,
      encoded: c.passages.length - already,
      alreadyIndexed: already,
      totalIndexed: c.indexed,
      seconds,
      tokensPerSecond: seconds > 0 ? 800 / seconds : 0,
      executionProvider: this.settings.executionProvider,
    };
  }

  private unavailableReason(c: FakeCollection): string | null {
    if (!this.settings.modelDir) return 'no model configured: choose a model folder in Settings';
    if (c.indexed === 0) return 'collection is not indexed yet (run saegim index or Build index)';
    return null;
  }

  private rankAll(c: FakeCollection, method: SearchMethod, query: Encoded, queryText: string, drop?: ReadonlySet<number>): Ranked[] {
    const docs = c.passages.filter((p) => method === 'bm25' || c.encoded.has(p.id));
    let scored: Ranked[];
    if (method === 'mvr') scored = docs.map((p) => ({ docId: p.id, score: maxSim(query, c.encoded.get(p.id)!, drop) }));
    else if (method === 'svr') {
      const qv = meanVector(query);
      scored = docs.map((p) => ({ docId: p.id, score: dot(qv, c.pooled.get(p.id)!) }));
    } else if (method === 'bm25') scored = this.bm25(c, queryText);
    else {
      const fused = new Map<string, number>();
      for (const m of ['mvr', 'bm25'] as const) {
        this.rankAll(c, m, query, queryText).forEach((r, i) => fused.set(r.docId, (fused.get(r.docId) ?? 0) + 1 / (60 + i + 1)));
      }
      scored = [...fused].map(([docId, score]) => ({ docId, score }));
    }
    return scored.filter((r) => method !== 'bm25' || r.score > 0).sort((a, b) => b.score - a.score || a.docId.localeCompare(b.docId));
  }

  private bm25(c: FakeCollection, queryText: string): Ranked[] {
    const docs = c.passages.map((p) => bigrams(`${p.title ?? ''} ${p.text}`));
    const avg = docs.reduce((s, d) => s + d.length, 0) / Math.max(1, docs.length);
    const terms = [...new Set(bigrams(queryText))];
    return c.passages.map((p, i) => {
      const d = docs[i]!;
      let score = 0;
      for (const t of terms) {
        const tf = d.filter((x) => x === t).length;
        if (tf === 0) continue;
        const df = docs.filter((x) => x.includes(t)).length;
        const idf = Math.log(1 + (docs.length - df + 0.5) / (df + 0.5));
        score += (idf * tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * d.length) / avg));
      }
      return { docId: p.id, score };
    });
  }

  async search(req: SearchRequest): Promise<SearchResponse> {
    this.record('search', [req]);
    const c = this.collection(req?.collection);
    const query = typeof req.query === 'string' ? req.query.trim() : '';
    if (!query) throw new SaegimError('bad-input', 'search: field "query" the query is empty');
    const k = req.k ?? 10;
    const encoded = encode(query);
    const problem = this.unavailableReason(c);
    const results: MethodResult[] = (req.methods ?? SEARCH_METHODS).map((method) => {
      if (method !== 'bm25' && problem) return { method, hits: [], unavailable: problem, millis: 0 };
      const started = performance.now();
      const ranked = this.rankAll(c, method, encoded, query).slice(0, k);
      return {
        method,
        hits: ranked.map((r, i) => {
          const p = c.passages.find((x) => x.id === r.docId)!;
          return { docId: r.docId, rank: i + 1, score: r.score, title: p.title, text: p.text };
        }),
        millis: performance.now() - started + 0.4,
      };
    });
    return { collection: c.name, query, results };
  }

  private alignmentInputs(req: ExplainRequest) {
    const c = this.collection(req?.collection);
    const problem = this.unavailableReason(c);
    if (problem) throw new SaegimError('model-missing', problem);
    const passage = c.passages.find((p) => p.id === req.docId);
    if (!passage) throw new SaegimError('not-found', `no passage "${String(req.docId)}" in ${c.name}`);
    const doc = c.encoded.get(passage.id);
    if (!doc) throw new SaegimError('not-found', `passage "${passage.id}" has no vectors yet (indexing is incomplete)`);
    const query = String(req.query ?? '').trim();
    if (!query) throw new SaegimError('bad-input', 'explain: the query is empty');
    return { c, passage, doc, query, encoded: encode(query) };
  }

  private rankOf(c: FakeCollection, q: Encoded, queryText: string, docId: string, drop?: ReadonlySet<number>): number | null {
    const i = this.rankAll(c, 'mvr', q, queryText, drop).findIndex((r) => r.docId === docId);
    return i < 0 ? null : i + 1;
  }

  async explain(req: ExplainRequest): Promise<Explanation> {
    this.record('explain', [req]);
    const { c, passage, doc, query, encoded } = this.alignmentInputs(req);
    const similarity = similarityMatrix(encoded, doc);
    const best = similarity.map((row) => row.indexOf(Math.max(...row)));
    const contributions = similarity.map((row, i) => row[best[i]!]!);
    return {
      collection: c.name,
      docId: passage.id,
      query,
      queryText: query,
      docText: passage.text,
      docTitle: passage.title,
      queryTokens: encoded.tokens.map((t, i) => ({ ...t, text: encoded.rawTokens[i]! })),
      docTokens: doc.tokens,
      similarity,
      best,
      contributions,
      score: contributions.reduce((s, x) => s + x, 0),
      rank: this.rankOf(c, encoded, query, passage.id),
    };
  }

  async ablate(req: AblationRequest): Promise<AblationResult> {
    this.record('ablate', [req]);
    const { c, passage, doc, query, encoded } = this.alignmentInputs(req);
    const drop = new Set(req.dropQueryTokens ?? []);
    return {
      docId: passage.id,
      score: maxSim(encoded, doc, drop),
      rank: drop.size >= encoded.vectors.length ? null : this.rankOf(c, encoded, query, passage.id, drop),
      originalScore: maxSim(encoded, doc),
      originalRank: this.rankOf(c, encoded, query, passage.id),
    };
  }

  async evaluate(req: EvaluateRequest, ctl?: OperationControl): Promise<EvaluationReport> {
    this.record('evaluate', [req]);
    const c = this.collection(req?.collection);
    const k = req.k ?? 10;
    const split = req.split ?? 'test';
    const qrels = c.qrels.filter((q) => q.split === split);
    if (qrels.length === 0) throw new SaegimError('bad-input', `collection "${c.name}" has no qrels split "${split}"`);
    const baseline = req.baseline ?? 'bm25';
    const problem = this.unavailableReason(c);
    const methods = (req.methods ?? SEARCH_METHODS).filter((m) => m === 'bm25' || !problem);
    const unavailable: EvaluationReport['unavailable'] = {};
    for (const m of req.methods ?? SEARCH_METHODS) if (!methods.includes(m)) unavailable[m] = problem ?? '';
    const judged = c.queries.filter((q) => qrels.some((r) => r.queryId === q.id));
    const perQuery: PerQueryMetrics[] = judged.map((q) => ({ queryId: q.id, query: q.text, values: {} }));
    const runs: EvaluationReport['runs'] = {};
    const started = Date.now();
    const total = judged.length * methods.length;
    let done = 0;
    for (const method of methods) {
      const lines: string[] = [];
      for (const [qi, q] of judged.entries()) {
        if (ctl?.signal?.aborted) throw new CancelledError('evaluation');
        ctl?.onProgress?.({ phase: 'scoring', done, total, message: method });
        await sleep(this.stepMs / 10);
        const ranked = this.rankAll(c, method, encode(q.text), q.text).slice(0, k);
        ranked.forEach((r, i) => lines.push(`${q.id} Q0 ${r.docId} ${i + 1} ${r.score.toFixed(6)} saegim-${method}`));
        const rel = new Map(qrels.filter((r) => r.queryId === q.id).map((r) => [r.docId, r.relevance]));
        perQuery[qi]!.values[method] = metricsFor(ranked.map((r) => r.docId), rel, k);
        done++;
      }
      runs[method] = `${lines.join('\n')}\n`;
    }
    ctl?.onProgress?.({ phase: 'scoring', done: total, total });
    const names = ['hit', 'ndcg', 'mrr', 'recall'].map((m) => `${m}@${k}`);
    const aggregate: EvaluationReport['methods'] = {};
    for (const method of methods) {
      aggregate[method] = Object.fromEntries(names.map((n) => [n, perQuery.reduce((s, q) => s + q.values[method]![n]!, 0) / perQuery.length]));
    }
    const significance: SignificanceResult[] = [];
    if (methods.includes(baseline)) {
      for (const method of methods) {
        if (method === baseline) continue;
        for (const metric of names) {
          const diffs = perQuery.map((q) => q.values[method]![metric]! - q.values[baseline]![metric]!);
          significance.push({ method, baseline, metric, meanDifference: mean(diffs), pValue: randomizationTest(diffs) });
        }
      }
    }
    return {
      collection: c.name,
      split,
      k,
      queries: judged.length,
      methods: aggregate,
      unavailable,
      perQuery,
      significance,
      runs,
      seconds: (Date.now() - started) / 1000,
    };
  }

  async getSettings(): Promise<Settings> {
    this.record('getSettings', []);
    return { ...this.settings };
  }

  async updateSettings(patch: Partial<Settings>): Promise<Settings> {
    this.record('updateSettings', [patch]);
    if (patch.modelDir) {
      const check = await this.validateModel(patch.modelDir);
      if (!check.ok) throw new SaegimError('model-invalid', check.error ?? 'invalid model folder');
    }
    if (patch.executionProvider && !this.providers.includes(patch.executionProvider)) {
      throw new SaegimError('bad-input', `${patch.executionProvider} execution provider is not installed`);
    }
    this.settings = { ...this.settings, ...patch };
    return { ...this.settings };
  }

  async validateModel(dir: string): Promise<ModelValidation> {
    this.record('validateModel', [dir]);
    if (typeof dir !== 'string' || dir === '' || dir.includes('bad') || !dir.includes('model')) {
      return { ok: false, dir: String(dir), error: `${String(dir)}/encoder.json: no such file (a model folder holds model.onnx, tokenizer.json and encoder.json)` };
    }
    return { ok: true, dir, model: { ...FAKE_MODEL, dir } };
  }
}

function metricsFor(ranked: string[], rel: Map<string, number>, k: number): MetricValues {
  const relevant = [...rel.values()].filter((r) => r > 0).length;
  let dcg = 0;
  let firstHit = 0;
  let found = 0;
  ranked.slice(0, k).forEach((id, i) => {
    const r = rel.get(id) ?? 0;
    if (r <= 0) return;
    dcg += (2 ** r - 1) / Math.log2(i + 2);
    if (!firstHit) firstHit = i + 1;
    found++;
  });
  const ideal = [...rel.values()]
    .filter((r) => r > 0)
    .sort((a, b) => b - a)
    .slice(0, k)
    .reduce((s, r, i) => s + (2 ** r - 1) / Math.log2(i + 2), 0);
  return {
    [`hit@${k}`]: firstHit ? 1 : 0,
    [`ndcg@${k}`]: ideal > 0 ? dcg / ideal : 0,
    [`mrr@${k}`]: firstHit ? 1 / firstHit : 0,
    [`recall@${k}`]: relevant > 0 ? found / relevant : 0,
  };
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);

/** Paired sign-flip randomization test with a fixed seed, so the tests see the same p-values every run. */
function randomizationTest(diffs: number[], trials = 2000): number {
  const observed = Math.abs(mean(diffs));
  let state = 12345;
  let extreme = 0;
  for (let t = 0; t < trials; t++) {
    let s = 0;
    for (const d of diffs) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      s += state & 1 ? d : -d;
    }
    if (Math.abs(s / diffs.length) >= observed - 1e-12) extreme++;
  }
  return (extreme + 1) / (trials + 1);
}

export function createFakeApi(opts?: FakeApiOptions): FakeSaegimApi {
  return new FakeSaegimApi(opts);
}
