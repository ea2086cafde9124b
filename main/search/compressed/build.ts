import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { SaegimError, throwIfAborted } from '../../contract/errors.js';
import { mulberry32 } from '../../eval/significance.js';
import { allUnitLength, keptRows, RowBatcher, type CompressedDocSource } from './documents.js';
import { BufferedFile, fileCrc, FILES, FORMAT_NAME, FORMAT_VERSION, ivfFiles, writeAtomic, writeManifest, type Manifest } from './format.js';
import { ListBuilder } from './inverted-lists.js';
import { defaultCentroids, kmeans } from './kmeans.js';
import { MatMul, Nearest } from './ort-ops.js';
import { pcaProjection, projectRows, randomProjection, type ProjectionOptions } from './projection.js';
import { trainBuckets, type ResidualBits, type ResidualBuckets } from './residual-codec.js';
import { Spool } from './spool.js';
import { TokenCodec } from './token-codec.js';
import type { CompressedIndexInfo } from './info.js';
import { CompressedIndex } from './compressed-index.js';

export interface CompressedIndexOptions {
  /** Bits per residual component (default 2, ColBERTv2's and PLAID's choice). */
  nbits?: ResidualBits;
  /** Number of k-means centroids (default: see defaultCentroids; at most 65,536, codes are uint16). */
  centroids?: number;
  /** Lloyd iterations (default 8). */
  kmeansIterations?: number;
  /** Token rows sampled (reservoir, over the whole stream) to train centroids and buckets. */
  sample?: number;
  seed?: number;
  /** onnxruntime threads (default: every core). */
  threads?: number;
  /** Reduce the width before compression; queries are projected with the same matrix. */
  projection?: ProjectionOptions;
}

export interface BuildProgress {
  phase: 'reading' | 'projection' | 'clustering' | 'encoding' | 'writing';
  done: number;
  total: number;
}

export interface BuildControl {
  onProgress?: (p: BuildProgress) => void;
  signal?: AbortSignal;
  /** Documents the stream will yield, for progress totals. */
  totalDocs?: number;
}

export const DEFAULT_NBITS: ResidualBits = 2;
export const DEFAULT_KMEANS_ITERATIONS = 8;
/** Memory for the k-means sample when `sample` is not given: 256 MiB of float32 rows, at most 2^19 rows. */
const SAMPLE_BYTES = 256 << 20;
const MAX_SAMPLE_ROWS = 1 << 19;
/** Fewer sample points per centroid than this and k-means mostly memorises the sample. */
const MIN_POINTS_PER_CENTROID = 32;
/**
 * k-means trains on at most this many points per centroid (faiss warns past 256): each iteration costs
 * points × K × dim multiply-adds, and past a few dozen points per cell the centroids barely move.
 */
const TRAIN_POINTS_PER_CENTROID = 64;
const PCA_SAMPLE = 16384;
/** Token rows per projection / assignment batch. */
const BATCH_ROWS = 8192;

export function defaultSample(dim: number): number {
  return Math.max(1024, Math.min(MAX_SAMPLE_ROWS, Math.floor(SAMPLE_BYTES / (4 * dim))));
}

/** Uniform sample of a stream of rows of unknown length (Algorithm R), seeded. */
class Reservoir {
  readonly rows: Float32Array;
  seen = 0;
  private readonly random: () => number;

  constructor(
    readonly capacity: number,
    readonly dim: number,
    seed: number,
  ) {
    this.rows = new Float32Array(capacity * dim);
    this.random = mulberry32(seed);
  }

  offer(data: Float32Array, count: number): void {
    const dim = this.dim;
    for (let r = 0; r < count; r++) {
      let slot = this.seen;
      if (slot >= this.capacity) slot = Math.floor(this.random() * (this.seen + 1));
      if (slot < this.capacity) this.rows.set(data.subarray(r * dim, (r + 1) * dim), slot * dim);
      this.seen++;
    }
  }

  get size(): number {
    return Math.min(this.seen, this.capacity);
  }
}

function validateOptions(inputDim: number, opts: CompressedIndexOptions): void {
  if (!Number.isInteger(inputDim) || inputDim <= 0) throw new SaegimError('bad-input', `vector width must be a positive integer, got ${inputDim}`);
  if (opts.nbits !== undefined && ![1, 2, 4].includes(opts.nbits)) throw new SaegimError('bad-input', `nbits must be 1, 2 or 4, got ${opts.nbits}`);
  if (opts.centroids !== undefined && (!Number.isInteger(opts.centroids) || opts.centroids < 1 || opts.centroids > 65536)) {
    throw new SaegimError('bad-input', `centroids must be an integer from 1 to 65536, got ${opts.centroids}`);
  }
  if (opts.kmeansIterations !== undefined && (!Number.isInteger(opts.kmeansIterations) || opts.kmeansIterations < 0)) {
    throw new SaegimError('bad-input', `kmeansIterations must be a non-negative integer, got ${opts.kmeansIterations}`);
  }
  if (opts.sample !== undefined && (!Number.isInteger(opts.sample) || opts.sample < 1)) throw new SaegimError('bad-input', `sample must be a positive integer, got ${opts.sample}`);
  const p = opts.projection;
  if (p) {
    if (p.kind !== 'pca' && p.kind !== 'random') throw new SaegimError('bad-input', `projection kind must be "pca" or "random", got ${String(p.kind)}`);
    if (!Number.isInteger(p.dim) || p.dim < 1 || p.dim > inputDim) throw new SaegimError('bad-input', `projection width must be 1..${inputDim}, got ${p.dim}`);
  }
}

/**
 * Builds a compressed index of a stream of documents (slot i = the i-th document) in a fresh directory
 * next to `dir` and renames it into place at the end, replacing any index already there. Cancelling
 * (`signal`) or any error removes the partial directory: `dir` is either the old index or the new one.
 *
 * Two passes. The first reads the stream once — projecting if asked, spooling rows as fp16 and keeping a
 * uniform reservoir sample; centroids and residual buckets are trained on the sample; the second pass
 * encodes the spooled rows and collects the inverted lists.
 */
export async function buildCompressedIndex(
  docs: CompressedDocSource,
  dim: number,
  dir: string,
  opts: CompressedIndexOptions & BuildControl = {},
): Promise<CompressedIndexInfo> {
  validateOptions(dim, opts);
  const started = performance.now();
  const target = resolve(dir);
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const work = join(parent, `.${basename(target)}.building-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(work);
  const threads = opts.threads && opts.threads > 0 ? Math.floor(opts.threads) : availableParallelism();
  const matmul = await MatMul.create(threads);
  const storedDim = opts.projection?.dim ?? dim;
  const nearest = await Nearest.create(storedDim, threads);
  let spool: Spool | null = null;
  try {
    const seed = opts.seed ?? 1;
    const nbits = opts.nbits ?? DEFAULT_NBITS;
    const iterations = opts.kmeansIterations ?? DEFAULT_KMEANS_ITERATIONS;
    const signal = opts.signal;
    const progress = opts.onProgress;
    spool = new Spool(join(work, 'spool.f16'), storedDim);
    const reservoir = new Reservoir(opts.sample ?? defaultSample(storedDim), storedDim, seed ^ 0x5eed);
    const doclens: number[] = [];

    // ── pass 1: read, project, spool, sample ────────────────────────────────────────────────────────
    let projection: Float32Array | null = opts.projection?.kind === 'random' ? randomProjection(dim, storedDim, seed) : null;
    let normalized: boolean | null = null;
    const pcaRows = opts.projection?.kind === 'pca' ? Math.max(storedDim, opts.projection.sample ?? PCA_SAMPLE) : 0;
    const pcaBuffer = new RowBatcher(dim, pcaRows);
    const batcher = new RowBatcher(dim, BATCH_ROWS);
    const flush = async (): Promise<void> => {
      const { data, rows, lengths } = batcher.take();
      for (const n of lengths) doclens.push(n);
      if (rows === 0) return;
      let stored = data;
      if (projection) stored = await projectRows(matmul, data, rows, dim, projection, storedDim, normalized!);
      reservoir.offer(stored, rows);
      spool!.append(stored, rows);
    };
    let slot = 0;
    const total = opts.totalDocs ?? 0;
    for await (const doc of docs) {
      if ((slot & 63) === 0) {
        throwIfAborted(signal, 'index build');
        progress?.({ phase: 'reading', done: slot, total: Math.max(total, slot) });
      }
      const { rows, count } = keptRows(doc, dim, slot);
      slot++;
      if (normalized === null && count > 0) normalized = allUnitLength(rows, count, dim);
      if (pcaRows > 0 && !projection) {
        pcaBuffer.push(rows, count);
        if (pcaBuffer.full) {
          projection = await fitPca(pcaBuffer, batcher, dim, storedDim, seed, matmul, progress);
          if (batcher.full) await flush();
        }
        continue;
      }
      batcher.push(rows, count);
      if (batcher.full) await flush();
    }
    if (pcaRows > 0 && !projection) projection = await fitPca(pcaBuffer, batcher, dim, storedDim, seed, matmul, progress);
    if (batcher.pendingDocs > 0) await flush();
    throwIfAborted(signal, 'index build');
    progress?.({ phase: 'reading', done: slot, total: slot });
    const tokens = spool.rows;
    if (tokens === 0) throw new SaegimError('bad-input', 'cannot build a compressed index from documents without a single kept token');
    normalized ??= true;
    spool.finish();

    // ── centroids and buckets from the sample ───────────────────────────────────────────────────────
    const sampleRows = reservoir.size;
    const wanted = opts.centroids ?? Math.min(defaultCentroids(tokens), Math.max(1, Math.floor(sampleRows / MIN_POINTS_PER_CENTROID)));
    const k = Math.min(wanted, sampleRows);
    const trainRows = Math.min(sampleRows, Math.max(k, TRAIN_POINTS_PER_CENTROID * k));
    const train = subsample(reservoir.rows, sampleRows, trainRows, storedDim, seed ^ 0x7a1e);
    progress?.({ phase: 'clustering', done: 0, total: iterations });
    const { centroids, assignment } = await kmeans(train, trainRows, storedDim, {
      k,
      iterations,
      seed,
      spherical: normalized,
      nearest,
      signal,
      onIteration: (done, all) => progress?.({ phase: 'clustering', done, total: all }),
    });
    const residuals = new Float32Array(trainRows * storedDim);
    for (let r = 0; r < trainRows; r++) {
      const c = assignment[r]!;
      for (let d = 0; d < storedDim; d++) residuals[r * storedDim + d] = train[r * storedDim + d]! - centroids[c * storedDim + d]!;
    }
    const buckets = trainBuckets(residuals, trainRows, storedDim, nbits);

    // ── pass 2: encode every spooled row, collect lists ─────────────────────────────────────────────
    const codec = new TokenCodec(nearest, centroids, buckets);
    const codesFile = new BufferedFile(join(work, FILES.codes));
    const residualFile = new BufferedFile(join(work, FILES.residuals));
    const lists = new ListBuilder(k);
    let normSum = 0;
    let row = 0;
    for (let first = 0; first < doclens.length; ) {
      throwIfAborted(signal, 'index build');
      let last = first;
      let rows = 0;
      while (last < doclens.length && (rows < BATCH_ROWS || last === first)) rows += doclens[last++]!;
      const encoded = await codec.encode(spool.read(row, rows), rows);
      codesFile.write(encoded.codes);
      residualFile.write(encoded.residuals);
      normSum += encoded.residualNormSum;
      let at = 0;
      for (let s = first; s < last; s++) {
        lists.addDoc(s, encoded.codes.subarray(at, at + doclens[s]!));
        at += doclens[s]!;
      }
      row += rows;
      first = last;
      progress?.({ phase: 'encoding', done: row, total: tokens });
    }
    codesFile.close();
    residualFile.close();
    spool.remove();
    spool = null;

    // ── the rest of the side files, then the manifest, then the rename ─────────────────────────────
    progress?.({ phase: 'writing', done: 0, total: 1 });
    const ivf = lists.finish();
    const names = ivfFiles(0);
    const doclenArray = Uint32Array.from(doclens);
    const bucketData = bucketFile(buckets);
    writeAtomic(join(work, FILES.centroids), centroids);
    writeAtomic(join(work, FILES.buckets), bucketData);
    writeAtomic(join(work, FILES.doclens), doclenArray);
    writeAtomic(join(work, names.offsets), ivf.offsets);
    writeAtomic(join(work, names.ids), ivf.ids);
    writeAtomic(join(work, FILES.delta), new Uint32Array(0));
    const crc: Record<string, number> = {
      [FILES.centroids]: fileCrc(centroids),
      [FILES.buckets]: fileCrc(bucketData),
      [FILES.doclens]: fileCrc(doclenArray),
      [names.offsets]: fileCrc(ivf.offsets),
    };
    if (projection && opts.projection) {
      writeAtomic(join(work, FILES.projection), projection);
      crc[FILES.projection] = fileCrc(projection);
    }
    const manifest: Manifest = {
      format: FORMAT_NAME,
      version: FORMAT_VERSION,
      dim: storedDim,
      inputDim: dim,
      projection: opts.projection?.kind ?? null,
      nbits,
      centroids: k,
      normalized,
      docs: doclens.length,
      tokens,
      builtDocs: doclens.length,
      builtTokens: tokens,
      ivfGeneration: 0,
      ivfEntries: ivf.ids.length,
      deltaEntries: 0,
      residualNorm: { built: normSum / tokens, appendedSum: 0, appendedTokens: 0 },
      seed,
      kmeansIterations: iterations,
      sample: trainRows,
      buildSeconds: (performance.now() - started) / 1000,
      crc,
    };
    writeManifest(work, manifest);
    throwIfAborted(signal, 'index build');
    commitDirectory(work, target);
    progress?.({ phase: 'writing', done: 1, total: 1 });
  } catch (err) {
    spool?.remove();
    rmSync(work, { recursive: true, force: true });
    throw err;
  } finally {
    await matmul.release();
    await nearest.release();
  }
  const index = CompressedIndex.open(target, { threads });
  try {
    return index.info();
  } finally {
    index.close();
  }
}

/** Fits PCA on the buffered leading rows, then sends those documents on to the batcher. */
/**
 * `count` rows drawn without replacement from the reservoir's `size`, seeded. Not simply its first rows:
 * while the stream is at most a few times the reservoir, the leading slots still hold mostly the first
 * documents, and the first documents of a sorted collection are one topic.
 */
function subsample(rows: Float32Array, size: number, count: number, dim: number, seed: number): Float32Array {
  if (count >= size) return rows.subarray(0, size * dim);
  const random = mulberry32(seed);
  const order = Int32Array.from({ length: size }, (_, i) => i);
  const out = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (size - i));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
    out.set(rows.subarray(order[i]! * dim, order[i]! * dim + dim), i * dim);
  }
  return out;
}

async function fitPca(
  buffer: RowBatcher,
  batcher: RowBatcher,
  dim: number,
  storedDim: number,
  seed: number,
  matmul: MatMul,
  progress: BuildControl['onProgress'],
): Promise<Float32Array> {
  progress?.({ phase: 'projection', done: 0, total: 1 });
  const { data, rows, lengths } = buffer.take();
  const matrix = await pcaProjection(data, rows, dim, storedDim, seed, matmul);
  let at = 0;
  for (const n of lengths) {
    batcher.push(data.subarray(at * dim, (at + n) * dim), n);
    at += n;
  }
  progress?.({ phase: 'projection', done: 1, total: 1 });
  return matrix;
}

export function bucketFile(buckets: ResidualBuckets): Float32Array {
  const out = new Float32Array(buckets.cutoffs.length + buckets.weights.length);
  out.set(buckets.cutoffs, 0);
  out.set(buckets.weights, buckets.cutoffs.length);
  return out;
}

/** Moves the finished build into place; an index already at `target` is moved aside first, then removed. */
function commitDirectory(work: string, target: string): void {
  if (!existsSync(target)) {
    renameSync(work, target);
    return;
  }
  const aside = join(dirname(target), `.${basename(target)}.replaced-${process.pid}-${randomBytes(4).toString('hex')}`);
  renameSync(target, aside);
  try {
    renameSync(work, target);
  } catch (err) {
    renameSync(aside, target);
    throw err;
  }
  rmSync(aside, { recursive: true, force: true });
}
