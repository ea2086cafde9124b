import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { resolve } from 'node:path';
import type {
  AblationRequest,
  AblationResult,
  BootstrapState,
  CollectionSummary,
  CompressedIndexSummary,
  EngineInfo,
  EvaluateRequest,
  EvaluationReport,
  EvaluationSummary,
  ExplainRequest,
  Explanation,
  ImportReport,
  ImportRequest,
  IndexReport,
  IndexRequest,
  ListEvaluationsRequest,
  ListQueriesRequest,
  MethodResult,
  ModelValidation,
  OperationControl,
  QueryEntry,
  SearchRequest,
  SearchResponse,
  Settings,
  SettingsPatch,
} from './contract/api.js';
import { SaegimError, throwIfAborted } from './contract/errors.js';
import type { SaegimApi } from './contract/methods.js';
import { SEARCH_METHODS, type EncodedText, type ExecutionProvider, type SearchMethod, type TokenVectors } from './contract/types.js';
import { inferenceLayout, modelBytes } from './encoders/inference-pool.js';
import { TokenEncoder } from './encoders/onnx-encoder.js';
import { availableExecutionProviders } from './encoders/providers.js';
import { evaluateCollection } from './eval/runner.js';
import { alignTokens } from './explain/alignment.js';
import { lexicalMatches } from './explain/lexical.js';
import { importStreaming } from './indexing/import.js';
import { compressedSummary, deleteSideFiles, updateCompressedIndex } from './indexing/compressed-index.js';
import { indexPassages, modelSummary } from './indexing/indexer.js';
import { bundledDatasetDir, bundledModelDir, packageVersion } from './paths.js';
import { CollectionIndex } from './retrievers/collection-index.js';
import { IndexCache } from './retrievers/index-cache.js';
import { runSearchPlan } from './retrievers/plan.js';
import { resolveFusion, type FusionChoice } from './retrievers/hybrid.js';
import { queryWeights, scoringQuery, weightedRows, type QueryScoring } from './retrievers/query-scoring.js';
import { retrieverFor, type RetrievalOptions, type TokenIndexKind } from './retrievers/retriever.js';
import { DEFAULT_SNIPPET_CHARS, indexedText, punctuationMask, snippet } from './search/passage-text.js';
import { halvesToFloats } from './store/half.js';
import { EvaluationArchive } from './store/evaluations.js';
import { listQueries, splitCounts } from './store/query-browser.js';
import { SaegimStore, type CollectionRow } from './store/store.js';

export interface ServiceOptions {
  dbPath: string;
  /** Overrides the configured model folder for this process (CLI `--model`). */
  modelDir?: string | null;
  /** Where the first-run demo dataset lives; null disables the first-run import. */
  bundledDataDir?: string | null;
  /** Overrides the configured execution provider for this process (CLI `--provider`). */
  executionProvider?: ExecutionProvider;
  /** How long a write waits for another process's write lock before failing with `busy`. */
  busyTimeoutMs?: number;
}

/** How often a waiting indexer looks again, and a running one renews its lock. */
const INDEX_LOCK_POLL_MS = 250;
const INDEX_LOCK_HEARTBEAT_MS = 10_000;
/** In-memory indexes kept by default: about 16 million tokens at dim 128 in fp16 (docs/scaling.md, Exact index memory). */
const DEFAULT_CACHE_BUDGET_MB = 4096;

export const DEMO_COLLECTION = 'demo-ko';

/** The model a collection's queries must be encoded with, or why there is none (BM25 still runs). */
interface BoundEncoder {
  encoder: TokenEncoder | null;
  problem: string | null;
}

/**
 * The one implementation of the API (contract/methods.ts): the CLI, the HTTP server, Electron IPC and the
 * tests all drive the engine through this class. Arguments arrive already parsed by the host's dispatch
 * (rpc/dispatch.ts); each request reads the settings once. It owns the store, loaded encoders and one
 * CollectionIndex per collection, dropped whenever the collection's generation moves and released, least
 * recently used first, past the `cacheBudgetMb` setting.
 */
export class SaegimService implements SaegimApi {
  private readonly indexes = new IndexCache<CollectionIndex>(() => this.cacheBudgetMb() * 2 ** 20);
  private readonly encoders = new Map<string, Promise<TokenEncoder>>();
  private bootstrapState: BootstrapState | null = null;
  private readonly evaluations: EvaluationArchive;

  private constructor(
    readonly store: SaegimStore,
    private readonly opts: ServiceOptions,
  ) {
    this.evaluations = new EvaluationArchive(store.db);
  }

  static open(opts: ServiceOptions): SaegimService {
    return new SaegimService(SaegimStore.open(opts.dbPath, { busyTimeoutMs: opts.busyTimeoutMs }), opts);
  }

  async close(): Promise<void> {
    await this.indexes.clear();
    for (const e of this.encoders.values()) await (await e.catch(() => null))?.close();
    this.store.close();
  }

  // ── settings and models ────────────────────────────────────────────────────────────────────────────

  async getSettings(): Promise<Settings> {
    return this.settings();
  }

  private settings(): Settings {
    const get = (key: string) => this.store.setting(key);
    return {
      modelDir: this.opts.modelDir ?? get('modelDir') ?? (existsSync(bundledModelDir()) ? bundledModelDir() : null),
      executionProvider: this.opts.executionProvider ?? (get('executionProvider') as Settings['executionProvider'] | null) ?? 'cpu',
      threads: Number(get('threads') ?? 0),
      precision: (get('precision') as Settings['precision'] | null) ?? 'fp16',
      cacheBudgetMb: this.cacheBudgetMb(),
    };
  }

  private cacheBudgetMb(): number {
    return Number(this.store.setting('cacheBudgetMb') ?? DEFAULT_CACHE_BUDGET_MB);
  }

  async updateSettings(patch: SettingsPatch): Promise<Settings> {
    if (patch.modelDir) {
      const check = await this.validateModel(patch.modelDir);
      if (!check.ok) throw new SaegimError('model-invalid', check.error ?? 'invalid model folder');
    }
    if (patch.executionProvider === 'cuda' && !availableExecutionProviders().includes('cuda')) {
      throw new SaegimError('bad-input', 'CUDA execution provider is not installed: run `npm run cuda` on a machine with an NVIDIA GPU');
    }
    if (patch.modelDir !== undefined) this.store.setSetting('modelDir', patch.modelDir === null ? null : resolve(patch.modelDir));
    if (patch.executionProvider) this.store.setSetting('executionProvider', patch.executionProvider);
    if (patch.threads !== undefined) this.store.setSetting('threads', String(patch.threads));
    if (patch.precision) this.store.setSetting('precision', patch.precision);
    if (patch.cacheBudgetMb !== undefined) {
      this.store.setSetting('cacheBudgetMb', String(patch.cacheBudgetMb));
      await this.indexes.trim();
    }
    if (patch.executionProvider || patch.threads !== undefined) await this.dropEncoders();
    return this.settings();
  }

  async validateModel(dir: string): Promise<ModelValidation> {
    const folder = resolve(dir);
    try {
      const encoder = await this.encoder(folder, this.settings());
      return { ok: true, dir: folder, model: modelSummary(encoder) };
    } catch (err) {
      return { ok: false, dir: folder, error: (err as Error).message };
    }
  }

  private encoder(dir: string, settings: Settings): Promise<TokenEncoder> {
    const folder = resolve(dir);
    const key = `${folder}|${settings.executionProvider}|${settings.threads}`;
    let pending = this.encoders.get(key);
    if (!pending) {
      // The model runs in worker threads, so a long indexing run leaves this thread free to write and answer.
      pending = TokenEncoder.load(folder, {
        executionProvider: settings.executionProvider,
        ...inferenceLayout(existsSync(folder) ? modelBytes(folder) : 0, { cores: availableParallelism(), provider: settings.executionProvider, threads: settings.threads }),
      });
      this.encoders.set(key, pending);
      pending.catch(() => this.encoders.delete(key));
    }
    return pending;
  }

  private async dropEncoders(): Promise<void> {
    const loaded = [...this.encoders.values()];
    this.encoders.clear();
    for (const e of loaded) await (await e.catch(() => null))?.close();
  }

  /** The configured model, or the reason there is none (so BM25 still runs and MVR/SVR say why not). */
  private async configuredModel(settings: Settings): Promise<BoundEncoder> {
    if (!settings.modelDir) return { encoder: null, problem: `no model configured and no bundled model at ${bundledModelDir()}` };
    try {
      return { encoder: await this.encoder(settings.modelDir, settings), problem: null };
    } catch (err) {
      return { encoder: null, problem: (err as Error).message };
    }
  }

  /** The encoder that made a collection's vectors: queries must be encoded by the same model. */
  private async collectionEncoder(collectionId: number, settings: Settings): Promise<BoundEncoder> {
    const bound = this.store.vectorIndex(collectionId);
    if (!bound) return { encoder: null, problem: 'collection is not indexed yet (run saegim index or Build index)' };
    const configured = await this.configuredModel(settings);
    if (configured.encoder?.fingerprint === bound.fingerprint) return configured;
    try {
      const encoder = await this.encoder(bound.model.dir, settings);
      if (encoder.fingerprint !== bound.fingerprint) {
        return { encoder: null, problem: `the model folder ${bound.model.dir} has changed since the collection was indexed; rebuild the index` };
      }
      return { encoder, problem: null };
    } catch (err) {
      return { encoder: null, problem: `collection was indexed with ${bound.model.dir}, which cannot be loaded: ${(err as Error).message}` };
    }
  }

  async info(): Promise<EngineInfo> {
    const settings = this.settings();
    const { encoder, problem } = await this.configuredModel(settings);
    return {
      version: packageVersion(),
      dbPath: this.store.path,
      settings,
      model: encoder ? modelSummary(encoder) : null,
      modelProblem: problem,
      executionProviders: availableExecutionProviders(),
      activeExecutionProvider: encoder?.executionProvider ?? 'cpu',
      bootstrap: this.bootstrapState,
    };
  }

  // ── collections ────────────────────────────────────────────────────────────────────────────────────

  async listCollections(): Promise<CollectionSummary[]> {
    return this.store.collections().map((c) => {
      const counts = this.store.counts(c.id);
      const index = this.store.vectorIndex(c.id);
      return {
        name: c.name,
        format: c.format,
        source: c.source,
        createdAt: c.createdAt,
        passages: counts.passages,
        queries: counts.queries,
        qrels: counts.qrels,
        splits: counts.splits,
        splitCounts: splitCounts(this.store.db, c.id),
        compressed: compressedSummary(this.store, c, counts.indexed),
        indexed: counts.indexed,
        model: index?.model ?? null,
        indexBytes: counts.indexBytes,
        precision: index?.precision ?? null,
      };
    });
  }

  async importDataset(r: ImportRequest, ctl?: OperationControl): Promise<ImportReport> {
    return (await importStreaming(this.store, r, ctl)).report;
  }

  async deleteCollection(name: string): Promise<void> {
    const row = this.store.collection(name);
    await this.forget(row.id);
    this.store.deleteCollection(row.name);
    deleteSideFiles(this.store, row.id, row.createdAt);
  }

  async indexCollection(r: IndexRequest, ctl?: OperationControl): Promise<IndexReport> {
    const row = this.store.collection(r.collection);
    const settings = this.settings();
    const modelDir = r.model ?? this.store.vectorIndex(row.id)?.model.dir ?? settings.modelDir;
    if (!modelDir) throw new SaegimError('model-missing', `no model to index with: pass --model DIR (no bundled model at ${bundledModelDir()})`);
    const encoder = await this.encoder(modelDir, settings);
    const owner = randomUUID();
    await this.lockIndexing(row, owner, ctl);
    const heartbeat = setInterval(() => this.store.heartbeatIndexing(row.id, owner), INDEX_LOCK_HEARTBEAT_MS);
    heartbeat.unref();
    let outcome: Awaited<ReturnType<typeof indexPassages>>;
    let compressed: CompressedIndexSummary | undefined;
    try {
      if (r.rebuild) this.store.dropVectors(row.id);
      await this.forget(row.id);
      outcome = await indexPassages(this.store, row.id, encoder, {
        precision: r.precision ?? settings.precision,
        chunkSize: r.batchSize,
        onProgress: ctl?.onProgress,
        signal: ctl?.signal,
        lockOwner: owner,
      });
      // A compressed index, once built, is kept up to date by every indexing run (appends, no re-clustering).
      if (r.index === 'compressed' || compressedSummary(this.store, row, outcome.totalIndexed)) {
        compressed = await updateCompressedIndex(this.store, row, {
          rebuild: r.rebuild,
          projection: r.projection,
          signal: ctl?.signal,
          onProgress: ctl?.onProgress,
          threads: settings.threads || availableParallelism(),
        });
      }
    } finally {
      clearInterval(heartbeat);
      this.store.unlockIndexing(row.id, owner);
      await this.forget(row.id);
    }
    return {
      collection: row.name,
      model: modelSummary(encoder),
      encoded: outcome.encoded,
      alreadyIndexed: outcome.alreadyIndexed,
      totalIndexed: outcome.totalIndexed,
      seconds: outcome.seconds,
      tokensPerSecond: outcome.seconds > 0 ? outcome.tokens / outcome.seconds : 0,
      executionProvider: encoder.executionProvider,
      ...(compressed ? { compressed } : {}),
    };
  }

  /** A request's scoring choices resolved against the collection and its model. */
  private retrievalOptions(
    row: CollectionRow,
    encoder: TokenEncoder | null,
    r: { skipPunctuation?: boolean; queryScoring?: QueryScoring; fusion?: FusionChoice },
  ): RetrievalOptions {
    return {
      skipPunctuation: r.skipPunctuation ?? false,
      queryScoring: r.queryScoring ?? 'model',
      fusion: resolveFusion(r.fusion ?? 'auto', encoder?.manifest.fusion),
      pooling: this.store.vectorIndex(row.id)?.pooling ?? 'mean',
    };
  }

  /** The token index MVR ranks with: the one asked for, else the compressed one when it is up to date, else exact. */
  private tokenIndexFor(row: CollectionRow, index: CollectionIndex, asked: TokenIndexKind | undefined): TokenIndexKind {
    if (asked === 'compressed' && !index.compressedIndex()) {
      throw new SaegimError('bad-input', `collection "${row.name}" has no compressed index (saegim index "${row.name}" --index compressed)`);
    }
    if (asked) return asked;
    return index.compressedIsCurrent() ? 'compressed' : 'exact';
  }

  /**
   * Waits until no other indexer (another process, or another job here) works on the collection, then
   * holds its lock: two indexers would encode the same passages and collide on their rows. Says once, as
   * progress, who it is waiting for.
   */
  private async lockIndexing(row: CollectionRow, owner: string, ctl?: OperationControl): Promise<void> {
    let told = false;
    for (;;) {
      throwIfAborted(ctl?.signal, 'indexing');
      const holder = this.store.tryLockIndexing(row.id, owner);
      if (!holder) return;
      if (!told) {
        told = true;
        const who = holder.here ? 'another operation in this process' : `another process (pid ${holder.pid}${holder.host === hostname() ? '' : ` on ${holder.host}`})`;
        const counts = this.store.counts(row.id);
        ctl?.onProgress?.({ phase: 'waiting', done: counts.indexed, total: counts.passages, message: `collection "${row.name}" is being indexed by ${who}; waiting…` });
      }
      await new Promise((r) => setTimeout(r, INDEX_LOCK_POLL_MS));
      if (this.store.generation(row.id) === null) throw new SaegimError('not-found', `collection "${row.name}" was deleted while waiting to index it`);
    }
  }

  /** The collection's in-memory index, rebuilt when its generation moved (a write here or in another process). */
  private async collectionIndex(row: CollectionRow): Promise<CollectionIndex> {
    const generation = this.store.generation(row.id);
    if (generation === null) throw new SaegimError('not-found', `no collection named "${row.name}" (see \`saegim list\`)`);
    return this.indexes.get(row.id, generation, () => new CollectionIndex(this.store, row, generation, availableParallelism(), () => void this.indexes.trim()));
  }

  private async forget(collectionId: number): Promise<void> {
    await this.indexes.delete(collectionId);
  }

  // ── search and explain ─────────────────────────────────────────────────────────────────────────────

  async search(r: SearchRequest): Promise<SearchResponse> {
    const row = this.store.collection(r.collection);
    const index = await this.collectionIndex(row);
    const methods = [...new Set(r.methods ?? SEARCH_METHODS)];
    const k = r.k ?? 10;
    const snippetChars = r.snippetChars ?? DEFAULT_SNIPPET_CHARS;
    const needsVectors = methods.some((m) => retrieverFor(m).needs === 'vectors');
    const { encoder, problem } = needsVectors ? await this.collectionEncoder(row.id, this.settings()) : { encoder: null, problem: null };
    const encoded = encoder ? await encoder.encodeQuery(r.query) : null;
    const tokenIndex = needsVectors ? this.tokenIndexFor(row, index, r.index) : 'exact';
    const options = this.retrievalOptions(row, encoder, r);
    const lists = await runSearchPlan(index, { text: r.query, encoded, ...options }, methods, k, tokenIndex);
    const results: MethodResult[] = methods.map((method) => {
      const list = lists.get(method);
      if (!list) return { method, hits: [], unavailable: problem ?? 'no model', millis: 0 };
      const hits = list.hits.map((h) => {
        const p = index.passage(h.docId);
        const cut = snippet(p.text, snippetChars);
        return { docId: h.docId, rank: h.rank, score: h.score, title: p.title, text: cut.text, textLength: p.text.length, ...(cut.truncated ? { truncated: true } : {}) };
      });
      const usesTokens = method === 'mvr' || (retrieverFor(method).fuses ?? []).includes('mvr');
      return {
        method,
        hits,
        millis: list.millis,
        ...(usesTokens && tokenIndex === 'compressed' ? { tokenIndex } : {}),
        ...(method === 'hybrid' ? { fusion: options.fusion } : {}),
        ...(method === 'svr' ? { pooling: options.pooling } : {}),
      };
    });
    return { collection: row.name, query: r.query, results };
  }

  async explain(r: ExplainRequest): Promise<Explanation> {
    const skip = r.skipPunctuation ?? false;
    const scoring = r.queryScoring ?? 'model';
    const ctx = await this.alignmentContext(r.collection, r.query, r.docId, skip);
    const weights = queryWeights(ctx.query, scoring);
    const alignment = alignTokens(ctx.query.vectors, ctx.doc, ctx.keep, undefined, weights);
    const rank = r.rank !== undefined ? r.rank : await ctx.index.maxSimRank(scoringQuery(ctx.query, scoring).weighted, r.docId, skip);
    return {
      collection: ctx.collection,
      docId: r.docId,
      query: r.query,
      queryText: r.query,
      docText: ctx.docText,
      docTitle: ctx.passage.title,
      queryTokens: ctx.query.tokens.map((text, i) => {
        const role = ctx.query.roles?.[i];
        const weight = weights?.[i];
        return {
          text,
          start: ctx.query.offsets[i]![0],
          end: ctx.query.offsets[i]![1],
          ...(role && role !== 'text' ? { role } : {}),
          ...(weight !== undefined ? { weight } : {}),
          ...(weight === 0 ? { skipped: true } : {}),
        };
      }),
      docTokens: ctx.docTokens,
      similarity: alignment.similarity,
      best: alignment.best,
      contributions: alignment.contributions,
      score: alignment.score,
      rank,
      queryScoring: weights ? 'model' : 'plain',
      lexicalMatches: lexicalMatches(r.query, ctx.docText),
    };
  }

  async ablate(r: AblationRequest): Promise<AblationResult> {
    const skip = r.skipPunctuation ?? false;
    const scoring = r.queryScoring ?? 'model';
    const ctx = await this.alignmentContext(r.collection, r.query, r.docId, skip);
    const weights = queryWeights(ctx.query, scoring);
    const original = alignTokens(ctx.query.vectors, ctx.doc, ctx.keep, undefined, weights);
    const dropped = new Set(r.dropQueryTokens);
    const ablated = alignTokens(ctx.query.vectors, ctx.doc, ctx.keep, dropped, weights);
    // The ablated query is the same weighted sum with the dropped tokens' weights set to 0.
    const kept = weightedRows(
      ctx.query.vectors,
      Array.from({ length: ctx.query.vectors.length }, (_, i) => (dropped.has(i) ? 0 : (weights?.[i] ?? 1))),
    ).weighted;
    return {
      docId: r.docId,
      score: ablated.score,
      rank: kept.length > 0 ? await ctx.index.maxSimRank(kept, r.docId, skip) : null,
      originalScore: original.score,
      originalRank: r.rank !== undefined ? r.rank : await ctx.index.maxSimRank(scoringQuery(ctx.query, scoring).weighted, r.docId, skip),
    };
  }

  private async alignmentContext(collection: string, query: string, docId: string, skipPunctuation: boolean) {
    const row = this.store.collection(collection);
    const index = await this.collectionIndex(row);
    const passage = index.passage(docId);
    const { encoder, problem } = await this.collectionEncoder(row.id, this.settings());
    if (!encoder) throw new SaegimError('model-missing', problem ?? 'no model');
    const stored = this.store.docVectorsFor(row.id, passage.ord);
    if (!stored) throw new SaegimError('not-found', `passage "${docId}" has no vectors yet (indexing is incomplete)`);
    const bound = this.store.vectorIndex(row.id)!;
    const docText = indexedText(passage);
    const doc: TokenVectors = {
      length: stored.nTokens,
      dim: bound.dim,
      data: stored.vectors instanceof Uint16Array ? halvesToFloats(stored.vectors) : stored.vectors,
    };
    const keep = skipPunctuation ? punctuationMask(docText, stored.offsets, stored.nTokens) : undefined;
    const docTokens = Array.from({ length: stored.nTokens }, (_, j) => {
      const start = stored.offsets[2 * j]!;
      const end = stored.offsets[2 * j + 1]!;
      return { text: docText.slice(start, end), start, end, ...(keep && !keep[j] ? { skipped: true } : {}) };
    });
    const encoded: EncodedText = await encoder.encodeQuery(query);
    return { collection: row.name, index, passage, query: encoded, doc, keep, docText, docTokens };
  }

  // ── evaluation ─────────────────────────────────────────────────────────────────────────────────────

  async evaluate(r: EvaluateRequest, ctl?: OperationControl): Promise<EvaluationReport> {
    const row = this.store.collection(r.collection);
    const methods: SearchMethod[] = [...new Set(r.methods ?? SEARCH_METHODS)];
    const needsVectors = methods.some((m) => retrieverFor(m).needs === 'vectors');
    const { encoder, problem } = needsVectors ? await this.collectionEncoder(row.id, this.settings()) : { encoder: null, problem: null };
    const counts = this.store.counts(row.id);
    const split = r.split ?? (counts.splits.includes('test') ? 'test' : counts.splits[0]);
    if (!split) throw new SaegimError('bad-input', `collection "${row.name}" has no qrels to evaluate against`);
    if (!counts.splits.includes(split)) throw new SaegimError('bad-input', `collection "${row.name}" has no qrels split "${split}" (has: ${counts.splits.join(', ')})`);
    if (encoder && counts.indexed < counts.passages) {
      throw new SaegimError('bad-input', `collection "${row.name}" is only partly indexed (${counts.indexed}/${counts.passages}); finish indexing first`);
    }
    const index = await this.collectionIndex(row);
    const report = await evaluateCollection({
      collection: row.name,
      split,
      queries: this.store.queries(row.id),
      qrels: this.store.qrels(row.id, split),
      methods,
      k: r.k ?? 10,
      baseline: r.baseline ?? 'bm25',
      encoder,
      unavailableReason: problem,
      index,
      tokenIndex: needsVectors ? this.tokenIndexFor(row, index, r.index) : 'exact',
      options: this.retrievalOptions(row, encoder, r),
      ctl,
    });
    // Every finished run is kept: a long evaluation must survive a reload of the page that started it.
    return { ...report, id: this.evaluations.save(row.id, report) };
  }

  async listEvaluations(r?: ListEvaluationsRequest): Promise<EvaluationSummary[]> {
    return this.evaluations.list(r?.collection ? this.store.collection(r.collection).id : null);
  }

  async getEvaluation(id: number): Promise<EvaluationReport> {
    return this.evaluations.get(id);
  }

  async deleteEvaluation(id: number): Promise<{ deleted: boolean }> {
    return { deleted: this.evaluations.delete(id) };
  }

  async listQueries(r: ListQueriesRequest): Promise<QueryEntry[]> {
    return listQueries(this.store.db, this.store.collection(r.collection).id, { split: r.split, limit: r.limit });
  }

  // ── first run ──────────────────────────────────────────────────────────────────────────────────────

  /**
   * Imports and indexes the bundled demo corpus once, so a new user can type a query right away. Runs in
   * the background; `info().bootstrap` reports its progress. A user who deletes the demo does not get it back.
   */
  bootstrap(): Promise<void> {
    const dir = this.opts.bundledDataDir === undefined ? bundledDatasetDir() : this.opts.bundledDataDir;
    if (!dir || !existsSync(dir) || this.store.setting('demoImported') === 'yes') return Promise.resolve();
    const state: BootstrapState = { state: 'running', collection: DEMO_COLLECTION, progress: null };
    this.bootstrapState = state;
    const onProgress = (p: BootstrapState['progress']) => (state.progress = p);
    return (async () => {
      try {
        if (!this.store.findCollection(DEMO_COLLECTION)) await this.importDataset({ path: dir, name: DEMO_COLLECTION, format: 'beir' }, { onProgress });
        this.store.setSetting('demoImported', 'yes');
        const { encoder } = await this.configuredModel(this.settings());
        if (encoder) await this.indexCollection({ collection: DEMO_COLLECTION }, { onProgress });
        state.state = 'done';
      } catch (err) {
        state.state = 'failed';
        state.error = (err as Error).message;
      }
    })();
  }
}

