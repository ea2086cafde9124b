import { spawn } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { SaegimError } from '../contract/errors.js';
import type { TokenVectors } from '../contract/types.js';
import { TokenEncoder } from '../encoders/onnx-encoder.js';
import { mulberry32 } from '../eval/significance.js';
import { bundledDatasetDir, bundledModelDir } from '../paths.js';
import { buildCompressedIndex, CompressedIndex, searchDefaults, type CompressedIndexInfo, type CompressedSearchOptions } from '../search/compressed/index.js';
import { MatMul } from '../search/compressed/ort-ops.js';
import { gaussian, orthonormalizeColumns, type ProjectionOptions } from '../search/compressed/projection.js';
import { writeAtomic } from '../search/compressed/format.js';
import { floatsToHalvesInto } from '../search/compressed/spool.js';
import { MaxSimIndex } from '../search/maxsim.js';
import { topK } from '../search/top-k.js';

export interface ScaleBenchOptions {
  passages: number;
  docTokens: number;
  dim: number;
  /** Timed queries, after one warm-up (default 20). */
  queries?: number;
  nbits?: 1 | 2 | 4;
  centroids?: number;
  nprobe?: number;
  centroidThreshold?: number;
  candidates?: number;
  /** Per-token Gaussian noise norm added to the real vectors before renormalising (default 0.3). */
  noise?: number;
  seed?: number;
  threads?: number;
  /**
   * Also measure MUVERA's fixed-dimensional encodings as the candidate generator (R repetitions of
   * 2^bits SimHash buckets, each bucket's vectors summed for queries, averaged for passages and projected to
   * `projection` dims by a ±1 sketch): recall@10 of exact MaxSim over the top-N passages by FDE score.
   */
  muvera?: { repetitions: number; simhashBits: number; projection: number };
  /** Build the compressed index on projected vectors (queries projected inside search; exact stays at `dim`). */
  projection?: ProjectionOptions;
  /** Passages held by the exact scan at once (default 200,000); larger collections are scanned in chunks. */
  exactChunk?: number;
  /**
   * Keep the compressed index, the exact fp16 vectors and the exact results in this directory (default: a
   * temporary one, removed afterwards). A later run over the same synthetic corpus reuses them, so search
   * parameters can be swept without rebuilding; build flags that differ from the kept index are refused.
   */
  dir?: string;
  onProgress?: (line: string) => void;
}

export interface ScaleBenchResult {
  passages: number;
  tokens: number;
  dim: number;
  /** Width the compressed index stores (dim unless projected). */
  index_dim: number;
  doc_tokens: number;
  queries: number;
  query_tokens: number;
  threads: number;
  nbits: number;
  centroids: number;
  nprobe: number;
  centroid_threshold: number;
  candidates: number;
  build_s: number;
  index_bytes: number;
  bytes_per_token: number;
  /** What the exact index stores per token in the SQLite store: fp16 vector + offsets + token id. */
  exact_fp16_bytes_per_token: number;
  /** Resident set of a process that only opened the index and ran the queries. */
  rss_mb: number;
  rss_measured_in: 'child process' | 'this process';
  /** After prefetch(): lists, codes and residuals read into the page cache, as a warm index serves. */
  p50_ms: number;
  p95_ms: number;
  /** The same queries before prefetch(), with whatever the build left in the page cache. */
  unwarmed_p50_ms: number;
  unwarmed_p95_ms: number;
  prefetch_s: number;
  prefetch_bytes: number;
  exact_p50_ms: number;
  exact_p95_ms: number;
  /** exact_p50_ms / p95_ms: the target is ≥ 10. */
  speedup_p95_vs_exact_p50: number;
  /** Overlap of the compressed top-10 (decompressed rerank) with the exact top-10. */
  recall_at_10: number;
  /**
   * The same survivors reranked by exact MaxSim, their fp16 vectors read from a flat file — what the app
   * gets with the store as exact scorer: what candidate generation alone loses.
   */
  recall_at_10_exact_rerank: number;
  exact_rerank_p50_ms: number;
  exact_rerank_p95_ms: number;
  /** Mean documents per stage and mean milliseconds per stage of the timed compressed searches. */
  stages: { touched: number; candidates: number; survivors: number; ms: Record<string, number> };
  exact_pack_s: number;
  /** The exact scan ran over this many chunks of at most `exactChunk` passages (times summed). */
  exact_chunks: number;
  /** Whether the index and the exact results came from an earlier run kept in `dir`. */
  reused_index: boolean;
  reused_exact: boolean;
  muvera?: MuveraResult;
}

export interface MuveraResult {
  dims: number;
  /** FDE storage per token at fp16, on top of whatever the rerank needs. */
  bytes_per_token: number;
  /** recall@10 after exact MaxSim on the top N passages by FDE score, by N. */
  recall_at_10_by_reranked: Record<string, number>;
  /** One query: FDE, then a brute-force scan of every passage's FDE (onnxruntime MatMul). */
  scan_p50_ms: number;
}

const DEFAULT_EXACT_CHUNK = 200_000;

/** Token vectors of the bundled demo corpus and queries, encoded by the bundled model. */
export interface RealVectors {
  passages: TokenVectors[];
  queries: TokenVectors[];
}

function readTexts(file: string, withTitle: boolean): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const row = JSON.parse(line) as { title?: string; text: string };
      return withTitle && row.title ? `${row.title}\n${row.text}` : row.text;
    });
}

export async function encodeRealVectors(threads?: number): Promise<RealVectors> {
  const dataset = bundledDatasetDir();
  const model = bundledModelDir();
  if (!existsSync(model)) throw new SaegimError('model-missing', `no bundled model at ${model}`);
  const encoder = await TokenEncoder.load(model, { threads });
  try {
    const passages = await encoder.encodeDocuments(readTexts(join(dataset, 'corpus.jsonl'), true));
    const queries = await encoder.encodeQueries(readTexts(join(dataset, 'queries.jsonl'), false));
    return { passages: passages.map((e) => e.vectors), queries: queries.map((e) => e.vectors) };
  } finally {
    await encoder.close();
  }
}

/** A fixed seeded projection from the model's width to `dim` (orthonormal columns when dim ≤ width). */
function widthProjection(from: number, dim: number, seed: number): Float32Array {
  const next = gaussian(mulberry32(seed));
  const m = new Float64Array(from * dim);
  for (let i = 0; i < m.length; i++) m[i] = next();
  if (dim <= from) orthonormalizeColumns(m, from, dim);
  return Float32Array.from(m);
}

function projectVectors(v: TokenVectors, matrix: Float32Array | null, dim: number): TokenVectors {
  if (!matrix) return v;
  const out = new Float32Array(v.length * dim);
  for (let t = 0; t < v.length; t++) {
    for (let i = 0; i < v.dim; i++) {
      const x = v.data[t * v.dim + i]!;
      for (let j = 0; j < dim; j++) out[t * dim + j]! += x * matrix[i * dim + j]!;
    }
  }
  normalizeInPlace(out, v.length, dim);
  return { length: v.length, dim, data: out };
}

function normalizeInPlace(data: Float32Array, rows: number, dim: number): void {
  for (let r = 0; r < rows; r++) {
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += data[r * dim + d]! * data[r * dim + d]!;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let d = 0; d < dim; d++) data[r * dim + d]! *= scale;
  }
}

/**
 * Synthetic passages with the structure of real ones: passage `slot` takes a contiguous span of 30–70 % of
 * its length from one real "topic" passage and fills the rest with 8–24-token spans of other real passages,
 * every token a real token vector of the bundled model plus Gaussian noise, renormalised. Queries are real
 * query vectors with the same noise. Everything is a pure function of (seed, slot), so the corpus can be
 * streamed twice — once into the compressed index, once into the exact one — without being held.
 */
export class SyntheticCorpus {
  readonly dim: number;
  private readonly passages: TokenVectors[];
  private readonly queries: TokenVectors[];
  /** 2^16 standard normal draws, indexed by random bits: Box–Muller per value would dominate generation. */
  private readonly normals: Float32Array;

  constructor(
    real: RealVectors,
    dim: number,
    readonly docTokens: number,
    readonly noise: number,
    readonly seed: number,
  ) {
    const width = real.passages[0]?.dim ?? dim;
    const matrix = dim === width ? null : widthProjection(width, dim, seed ^ 0x51a7);
    this.dim = dim;
    this.passages = real.passages.filter((p) => p.length > 0).map((p) => projectVectors(p, matrix, dim));
    this.queries = real.queries.filter((q) => q.length > 0).map((q) => projectVectors(q, matrix, dim));
    const next = gaussian(mulberry32(seed ^ 0x9a55));
    this.normals = Float32Array.from({ length: 65536 }, next);
    if (this.passages.length === 0) throw new SaegimError('internal', 'no real passages to sample from');
  }

  passage(slot: number): Float32Array {
    const random = mulberry32(Math.imul(slot + 1, 0x9e3779b1) ^ this.seed);
    const { dim, docTokens } = this;
    const out = new Float32Array(docTokens * dim);
    let filled = 0;
    const copySpan = (source: TokenVectors, want: number): void => {
      const n = Math.min(want, source.length, docTokens - filled);
      const start = Math.floor(random() * (source.length - n + 1));
      out.set(source.data.subarray(start * dim, (start + n) * dim), filled * dim);
      filled += n;
    };
    const topic = this.passages[Math.floor(random() * this.passages.length)]!;
    copySpan(topic, Math.round(docTokens * (0.3 + 0.4 * random())));
    while (filled < docTokens) copySpan(this.passages[Math.floor(random() * this.passages.length)]!, 8 + Math.floor(random() * 17));
    this.perturb(out, docTokens, random);
    return out;
  }

  query(i: number): TokenVectors {
    const source = this.queries[i % this.queries.length]!;
    const random = mulberry32(Math.imul(i + 1, 0x85ebca6b) ^ this.seed ^ 0x7f4a7c15);
    const data = Float32Array.from(source.data.subarray(0, source.length * this.dim));
    this.perturb(data, source.length, random);
    return { length: source.length, dim: this.dim, data };
  }

  private perturb(data: Float32Array, rows: number, random: () => number): void {
    const { dim, normals } = this;
    const scale = this.noise / Math.sqrt(dim);
    for (let i = 0; i < rows * dim; i += 2) {
      const bits = (random() * 4294967296) >>> 0;
      data[i]! += scale * normals[bits & 0xffff]!;
      if (i + 1 < rows * dim) data[i + 1]! += scale * normals[bits >>> 16]!;
    }
    normalizeInPlace(data, rows, dim);
  }
}

/** fp16 token vectors of fixed-length documents in one flat file, read back one document at a time. */
class FlatVectorStore {
  private readonly fd: number;
  private readonly buffer: Uint16Array;
  private count = 0;
  private closed = false;

  constructor(
    readonly path: string,
    readonly values: number,
    mode: 'write' | 'read' = 'write',
  ) {
    this.fd = openSync(path, mode === 'write' ? 'w+' : 'r');
    this.buffer = new Uint16Array(values);
  }

  append(halves: Uint16Array): void {
    writeSync(this.fd, halves, 0, halves.byteLength, this.count++ * halves.byteLength);
  }

  finish(): void {
    fsyncSync(this.fd);
  }

  read(slot: number): Uint16Array {
    const bytes = this.values * 2;
    readSync(this.fd, new Uint8Array(this.buffer.buffer), 0, bytes, slot * bytes);
    return this.buffer.slice();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

interface EncodedQuery {
  length: number;
  dim: number;
  data: string;
}

interface ChildRequest {
  dir: string;
  threads: number;
  search: CompressedSearchOptions;
  warmup: EncodedQuery;
  queries: EncodedQuery[];
}

interface ChildReply {
  times: number[];
  tops: number[][];
  rssMb: number;
  stages: ScaleBenchResult['stages'];
  unwarmedTimes: number[];
  prefetchSeconds: number;
  prefetchBytes: number;
}

/** Opens the index, runs one warm-up and then every query, and reports latency, results and RSS. */
async function timeCompressedSearch(request: ChildRequest): Promise<ChildReply> {
  const index = CompressedIndex.open(request.dir, { threads: request.threads });
  try {
    const decode = (q: EncodedQuery): TokenVectors => ({ length: q.length, dim: q.dim, data: new Float32Array(new Uint8Array(Buffer.from(q.data, 'base64')).buffer) });
    const queries = request.queries.map(decode);
    await index.search(decode(request.warmup), request.search);
    // First the index as the build left it in the page cache, then after prefetch() as the app reads it.
    const unwarmedTimes: number[] = [];
    for (const q of queries) {
      const started = performance.now();
      await index.search(q, request.search);
      unwarmedTimes.push(performance.now() - started);
    }
    const prefetchStarted = performance.now();
    const prefetchBytes = await index.prefetch({ residuals: true });
    const prefetchSeconds = (performance.now() - prefetchStarted) / 1000;
    await index.search(decode(request.warmup), request.search);
    const times: number[] = [];
    const tops: number[][] = [];
    let rss = 0;
    const stages = { touched: 0, candidates: 0, survivors: 0, ms: { centroids: 0, lists: 0, codes: 0, rerank: 0 } as Record<string, number> };
    for (const q of queries) {
      const started = performance.now();
      const top = await index.search(q, request.search);
      times.push(performance.now() - started);
      tops.push(top.map((r) => r.index));
      rss = Math.max(rss, process.memoryUsage().rss);
      const s = index.lastSearchStats()!;
      stages.touched += s.touched / queries.length;
      stages.candidates += s.candidates / queries.length;
      stages.survivors += s.survivors / queries.length;
      for (const [key, ms] of Object.entries(s.ms)) stages.ms[key]! += ms / queries.length;
    }
    return { times, tops, rssMb: rss / 2 ** 20, stages, unwarmedTimes, prefetchSeconds, prefetchBytes };
  } finally {
    index.close();
  }
}

/**
 * The search side runs in a child process of its own when this module runs as JavaScript, so that its RSS
 * is that of an app that opened the index — not of the benchmark that just built it and will hold the
 * exact index. Under a TypeScript loader (tests) it runs here and says so.
 */
async function searchInChild(request: ChildRequest, work: string): Promise<ChildReply & { where: 'child process' | 'this process' }> {
  const self = fileURLToPath(import.meta.url);
  if (!self.endsWith('.js')) return { ...(await timeCompressedSearch(request)), where: 'this process' };
  const requestFile = join(work, 'search-request.json');
  writeFileSync(requestFile, JSON.stringify(request));
  const child = spawn(process.execPath, [self], { env: { ...process.env, SAEGIM_SCALE_SEARCH_CHILD: requestFile }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const code = await new Promise<number>((resolveExit) => child.on('close', (c) => resolveExit(c ?? 1)));
  if (code !== 0) throw new SaegimError('internal', `search child exited with ${code}`);
  return { ...(JSON.parse(out) as ChildReply), where: 'child process' };
}

function encodeQuery(q: TokenVectors): EncodedQuery {
  return { length: q.length, dim: q.dim, data: Buffer.from(q.data.buffer, q.data.byteOffset, q.data.byteLength).toString('base64') };
}

/** What a kept directory was made from: a later run must synthesise exactly the same passages to reuse it. */
interface CorpusKey {
  passages: number;
  doc_tokens: number;
  dim: number;
  noise: number;
  seed: number;
  /** CRC-32 of the real token vectors the passages are drawn from (changes with the bundled model). */
  real_crc: number;
}

interface KeptRun {
  corpus: CorpusKey;
  build: { nbits: number; centroids: number; projection: string | null; build_s: number };
}

interface KeptExact {
  queries: number;
  tops: number[][];
  times: number[];
  pack_s: number;
  chunks: number;
}

const KEPT_RUN = 'bench-scale.json';
const KEPT_EXACT = 'exact.json';
const KEPT_VECTORS = 'exact.f16';

function realVectorsCrc(real: RealVectors): number {
  let crc = 0;
  for (const v of [...real.passages, ...real.queries]) crc = crc32(new Uint8Array(v.data.buffer, v.data.byteOffset, v.length * v.dim * 4), crc);
  return crc;
}

function readKept<T>(file: string): T | null {
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (err) {
    throw new SaegimError('bad-input', `${file}: not valid JSON (${(err as Error).message}); remove the directory to start over`);
  }
}

/** How a projection is named in the kept run and on the command line: "pca:128"; null for none. */
function projectionSpec(kind: string | null | undefined, dim: number): string | null {
  return kind ? `${kind}:${dim}` : null;
}

/** Refuses a kept directory made from another corpus, or a build flag that asks for another index. */
function checkKept(kept: KeptRun, corpus: CorpusKey, opts: ScaleBenchOptions, file: string): void {
  for (const key of Object.keys(corpus) as Array<keyof CorpusKey>) {
    if (kept.corpus[key] !== corpus[key]) {
      throw new SaegimError('bad-input', `${file}: kept for ${key} = ${kept.corpus[key]}, this run has ${corpus[key]}; use another --index-dir or remove this one`);
    }
  }
  const projection = opts.projection ? projectionSpec(opts.projection.kind, opts.projection.dim) : null;
  const asked: Array<[string, unknown, unknown]> = [
    ['nbits', opts.nbits, kept.build.nbits],
    ['centroids', opts.centroids, kept.build.centroids],
    ['projection', projection, kept.build.projection],
  ];
  for (const [flag, want, have] of asked) {
    if (want !== undefined && want !== have) {
      throw new SaegimError('bad-input', `${file}: the kept index has ${flag} ${have ?? 'none'}, this run asks for ${want ?? 'none'}; use another --index-dir or remove this one`);
    }
  }
}

/**
 * Compressed index against the exact MaxSim scan on one synthetic collection: build time, size, search
 * latency and recall of the compressed top-10 against the exact top-10 computed in the same run.
 */
export async function benchScale(opts: ScaleBenchOptions): Promise<ScaleBenchResult> {
  const log = opts.onProgress ?? (() => undefined);
  const seed = opts.seed ?? 11;
  const queryCount = Math.max(1, opts.queries ?? 20);
  const real = await encodeRealVectors(opts.threads);
  const corpus = new SyntheticCorpus(real, opts.dim, opts.docTokens, opts.noise ?? 0.3, seed);
  const work = mkdtempSync(join(tmpdir(), 'saegim-scale-'));
  const keptDir = opts.dir ? resolve(opts.dir) : null;
  const base = keptDir ?? work;
  const dir = join(base, 'index');
  const runFile = join(base, KEPT_RUN);
  const corpusKey: CorpusKey = { passages: opts.passages, doc_tokens: opts.docTokens, dim: opts.dim, noise: opts.noise ?? 0.3, seed, real_crc: realVectorsCrc(real) };
  let store: FlatVectorStore | null = null;
  try {
    // ── compressed: build (or reuse the kept build), then search in a fresh process ───────────────────
    let kept: KeptRun | null = null;
    if (keptDir) {
      mkdirSync(keptDir, { recursive: true });
      kept = readKept<KeptRun>(runFile);
      if (kept) checkKept(kept, corpusKey, opts, runFile);
      else if (existsSync(dir)) throw new SaegimError('bad-input', `${dir} exists but ${runFile} does not: not a directory kept by bench scale`);
    }
    let info: CompressedIndexInfo;
    let buildSeconds: number;
    if (kept) {
      log(`reusing the index kept in ${dir}`);
      const index = CompressedIndex.open(dir, { threads: opts.threads });
      try {
        info = index.info();
      } finally {
        index.close();
      }
      if (info.docs !== opts.passages) throw new SaegimError('bad-input', `${dir}: holds ${info.docs} passages, ${runFile} says ${opts.passages}; remove the directory to start over`);
      buildSeconds = kept.build.build_s;
    } else {
      if (keptDir) rmSync(join(base, KEPT_EXACT), { force: true });
      function* stream(): Generator<{ vectors: Float32Array; nTokens: number }> {
        for (let slot = 0; slot < opts.passages; slot++) yield { vectors: corpus.passage(slot), nTokens: opts.docTokens };
      }
      const buildStarted = performance.now();
      let lastLog = 0;
      info = await buildCompressedIndex(stream(), opts.dim, dir, {
        nbits: opts.nbits,
        centroids: opts.centroids,
        projection: opts.projection,
        seed,
        threads: opts.threads,
        totalDocs: opts.passages,
        onProgress: (p) => {
          const now = performance.now();
          if (now - lastLog < 5000 && p.done < p.total) return;
          lastLog = now;
          log(`build: ${p.phase} ${p.done}/${p.total} (${((now - buildStarted) / 1000).toFixed(0)} s)`);
        },
      });
      buildSeconds = (performance.now() - buildStarted) / 1000;
      if (keptDir) {
        const build = { nbits: info.nbits, centroids: info.centroids, projection: projectionSpec(info.projection, info.dim), build_s: buildSeconds };
        writeAtomic(runFile, JSON.stringify({ corpus: corpusKey, build } satisfies KeptRun));
      }
    }
    const queries = Array.from({ length: queryCount + 1 }, (_, i) => corpus.query(i));
    const search: CompressedSearchOptions = { k: 10, nprobe: opts.nprobe, centroidThreshold: opts.centroidThreshold, candidates: opts.candidates };
    log('compressed search');
    const threads = opts.threads && opts.threads > 0 ? opts.threads : availableParallelism();
    // queries[0] warms up both sides (sessions, page cache of the centroids); the rest are timed.
    const reply = await searchInChild({ dir, threads, search, warmup: encodeQuery(queries[0]!), queries: queries.slice(1).map(encodeQuery) }, work);

    // ── exact: pack fp16, time scoreAll; the same halves go to a flat file for the exact rerank ─────
    // Past `exactChunk` passages the exact index would not fit in memory (1M × 100 × 128 fp16 is 25.6 GB):
    // it is built, scored and released a chunk at a time, and a query's exact time is the sum over chunks.
    const chunk = Math.max(1, opts.exactChunk ?? DEFAULT_EXACT_CHUNK);
    const exactFile = join(base, KEPT_EXACT);
    const keptExact = keptDir && !opts.muvera ? readKept<KeptExact>(exactFile) : null;
    const reuseExact = keptExact !== null && keptExact.queries === queryCount;
    // MUVERA needs every passage's exact score, which the kept results do not hold.
    const exactScores = reuseExact ? [] : queries.slice(1).map(() => new Float32Array(opts.passages));
    const exactTimes = reuseExact ? keptExact.times : queries.slice(1).map(() => 0);
    let packSeconds = reuseExact ? keptExact.pack_s : 0;
    const vectorsFile = join(base, KEPT_VECTORS);
    if (reuseExact) log('reusing the kept exact results');
    else log('exact index');
    store = new FlatVectorStore(vectorsFile, opts.docTokens * opts.dim, reuseExact ? 'read' : 'write');
    const halves = new Uint16Array(opts.docTokens * opts.dim);
    for (let first = 0; first < opts.passages && !reuseExact; first += chunk) {
      const last = Math.min(opts.passages, first + chunk);
      const exact = new MaxSimIndex({ dim: opts.dim, threads: opts.threads });
      try {
        for (let slot = first; slot < last; slot++) {
          floatsToHalvesInto(corpus.passage(slot), halves.length, halves);
          exact.add(halves.slice(), opts.docTokens);
          store.append(halves);
        }
        const packStarted = performance.now();
        exact.pack();
        packSeconds += (performance.now() - packStarted) / 1000;
        await exact.scoreAll(queries[0]!);
        for (let i = 1; i < queries.length; i++) {
          const started = performance.now();
          const scores = await exact.scoreAll(queries[i]!);
          exactTimes[i - 1]! += performance.now() - started;
          exactScores[i - 1]!.set(scores, first);
        }
      } finally {
        await exact.release();
      }
      if (last < opts.passages) log(`exact: ${last}/${opts.passages}`);
    }
    const exactTops = reuseExact ? keptExact.tops : exactScores.map((s) => topK(s, 10).map((r) => r.index));
    if (!reuseExact) {
      store.finish();
      if (keptDir) writeAtomic(exactFile, JSON.stringify({ queries: queryCount, tops: exactTops, times: exactTimes, pack_s: packSeconds, chunks: Math.ceil(opts.passages / chunk) } satisfies KeptExact));
    }
    const overlap = (got: number[][]): number =>
      got.reduce((sum, top, i) => sum + top.filter((slot) => exactTops[i]!.includes(slot)).length, 0) / (10 * got.length);

    // ── the same survivors reranked exactly, reading their fp16 vectors from disk as the app would ──
    log('exact rerank');
    const index = CompressedIndex.open(dir, { threads: opts.threads });
    // As the app opens a compressed collection: lists and codes prefetched, the vectors read from the store.
    await index.prefetch();
    const anchor = new MaxSimIndex({ dim: opts.dim, threads: opts.threads });
    const exactRerankTops: number[][] = [];
    const exactRerankTimes: number[] = [];
    try {
      // One long-lived user keeps the shared MaxSim session warm between the per-query indexes below.
      anchor.add(new Uint16Array(opts.dim), 1);
      await anchor.scoreAll(queries[0]!);
      for (let i = 0; i <= queryCount; i++) {
        const query = queries[i]!;
        const scorer = async (slots: Int32Array): Promise<Float32Array> => {
          const scratch = new MaxSimIndex({ dim: opts.dim, threads: opts.threads });
          try {
            for (const slot of slots) scratch.add(store!.read(slot), opts.docTokens);
            return await scratch.scoreAll(query);
          } finally {
            await scratch.release();
          }
        };
        const started = performance.now();
        const top = await index.search(query, { ...search, rerank: 'exact' }, scorer);
        if (i === 0) continue;
        exactRerankTimes.push(performance.now() - started);
        exactRerankTops.push(top.map((r) => r.index));
      }
    } finally {
      index.close();
      await anchor.release();
    }
    const defaults = searchDefaults(10);
    const p95 = percentile(reply.times, 0.95);
    const exactP50 = percentile(exactTimes, 0.5);
    return {
      passages: opts.passages,
      tokens: info.tokens,
      dim: opts.dim,
      index_dim: info.dim,
      doc_tokens: opts.docTokens,
      queries: queryCount,
      query_tokens: queries.slice(1).reduce((n, q) => n + q.length, 0) / queryCount,
      threads,
      nbits: info.nbits,
      centroids: info.centroids,
      nprobe: opts.nprobe ?? defaults.nprobe,
      centroid_threshold: opts.centroidThreshold ?? defaults.centroidThreshold,
      candidates: opts.candidates ?? defaults.candidates,
      build_s: buildSeconds,
      index_bytes: info.bytes,
      bytes_per_token: info.bytesPerToken,
      exact_fp16_bytes_per_token: opts.dim * 2 + 12,
      rss_mb: reply.rssMb,
      rss_measured_in: reply.where,
      p50_ms: percentile(reply.times, 0.5),
      p95_ms: p95,
      unwarmed_p50_ms: percentile(reply.unwarmedTimes, 0.5),
      unwarmed_p95_ms: percentile(reply.unwarmedTimes, 0.95),
      prefetch_s: reply.prefetchSeconds,
      prefetch_bytes: reply.prefetchBytes,
      exact_p50_ms: exactP50,
      exact_p95_ms: percentile(exactTimes, 0.95),
      speedup_p95_vs_exact_p50: exactP50 / p95,
      recall_at_10: overlap(reply.tops),
      recall_at_10_exact_rerank: overlap(exactRerankTops),
      exact_rerank_p50_ms: percentile(exactRerankTimes, 0.5),
      exact_rerank_p95_ms: percentile(exactRerankTimes, 0.95),
      stages: reply.stages,
      exact_pack_s: packSeconds,
      exact_chunks: reuseExact ? keptExact.chunks : Math.ceil(opts.passages / chunk),
      reused_index: kept !== null,
      reused_exact: reuseExact,
      ...(opts.muvera ? { muvera: await benchMuvera(corpus, opts, queries.slice(1), exactTops, exactScores) } : {}),
    };
  } finally {
    store?.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * MUVERA (Dhulipala et al., 2024) as a candidate generator, for comparison with the compressed index's: each
 * passage becomes one fixed-dimensional encoding whose dot product with the query's approximates MaxSim,
 * every passage is scanned by that one product, and the best N are reranked by exact MaxSim.
 */
async function benchMuvera(
  corpus: SyntheticCorpus,
  opts: ScaleBenchOptions,
  queries: TokenVectors[],
  exactTops: number[][],
  exactScores: Float32Array[],
): Promise<MuveraResult> {
  const { repetitions: R, simhashBits: bits, projection: P } = opts.muvera!;
  const dim = opts.dim;
  const buckets = 1 << bits;
  const dims = R * buckets * P;
  const normal = gaussian(mulberry32(0x6d75));
  const hyperplanes = Float32Array.from({ length: dim * R * bits }, normal);
  const signs = mulberry32(0x7665);
  const sketch = Float32Array.from({ length: dim * R * P }, () => (signs() < 0.5 ? -1 : 1));
  const matmul = await MatMul.create(opts.threads && opts.threads > 0 ? opts.threads : availableParallelism());
  const encode = async (rows: Float32Array, count: number, isQuery: boolean): Promise<Float32Array> => {
    const h = await matmul.run(rows, count, dim, hyperplanes, R * bits);
    const p = await matmul.run(rows, count, dim, sketch, R * P);
    const out = new Float32Array(dims);
    const filled = new Int32Array(R * buckets);
    const codes = new Int32Array(count * R);
    for (let t = 0; t < count; t++) {
      for (let r = 0; r < R; r++) {
        let b = 0;
        for (let k = 0; k < bits; k++) if (h[t * R * bits + r * bits + k]! > 0) b |= 1 << k;
        codes[t * R + r] = b;
        filled[r * buckets + b]!++;
        const o = (r * buckets + b) * P;
        for (let j = 0; j < P; j++) out[o + j]! += p[t * R * P + r * P + j]!;
      }
    }
    if (isQuery) return out;
    for (let r = 0; r < R; r++) {
      for (let b = 0; b < buckets; b++) {
        const o = (r * buckets + b) * P;
        const n = filled[r * buckets + b]!;
        if (n > 0) {
          for (let j = 0; j < P; j++) out[o + j]! /= n;
          continue;
        }
        // An empty bucket takes the token whose SimHash is nearest in Hamming distance, as MUVERA fills them.
        let best = 0;
        let bestDistance = bits + 1;
        for (let t = 0; t < count; t++) {
          let x = codes[t * R + r]! ^ b;
          let distance = 0;
          for (; x; x &= x - 1) distance++;
          if (distance < bestDistance) {
            bestDistance = distance;
            best = t;
          }
        }
        for (let j = 0; j < P; j++) out[o + j] = p[best * R * P + r * P + j]!;
      }
    }
    return out;
  };
  try {
    const encodings = new Float32Array(opts.passages * dims);
    for (let slot = 0; slot < opts.passages; slot++) encodings.set(await encode(corpus.passage(slot), opts.docTokens, false), slot * dims);
    const depths = [128, 256, 512, 1024];
    const hits = depths.map(() => 0);
    const times: number[] = [];
    for (let i = 0; i < queries.length; i++) {
      const q = queries[i]!;
      const started = performance.now();
      const scores = await matmul.run(encodings, opts.passages, dims, await encode(q.data, q.length, true), 1);
      times.push(performance.now() - started);
      const ranked = topK(scores, depths[depths.length - 1]!).map((r) => r.index);
      const want = new Set(exactTops[i]!);
      depths.forEach((depth, j) => {
        const pool = ranked.slice(0, depth);
        const exact = exactScores[i]!;
        const top = topK(Float32Array.from(pool, (slot) => exact[slot]!), 10).map((r) => pool[r.index]!);
        hits[j]! += top.filter((slot) => want.has(slot)).length;
      });
    }
    return {
      dims,
      bytes_per_token: (dims * 2) / opts.docTokens,
      recall_at_10_by_reranked: Object.fromEntries(depths.map((depth, j) => [String(depth), hits[j]! / (10 * queries.length)])),
      scan_p50_ms: percentile(times, 0.5),
    };
  } finally {
    await matmul.release();
  }
}

if (process.env.SAEGIM_SCALE_SEARCH_CHILD && process.argv[1] === fileURLToPath(import.meta.url)) {
  const request = JSON.parse(readFileSync(process.env.SAEGIM_SCALE_SEARCH_CHILD, 'utf8')) as ChildRequest;
  timeCompressedSearch(request).then(
    (reply) => process.stdout.write(JSON.stringify(reply)),
    (err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
