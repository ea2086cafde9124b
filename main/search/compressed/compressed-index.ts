import { existsSync, ftruncateSync, openSync, closeSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { availableParallelism, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import * as ort from 'onnxruntime-node';
import { SaegimError, throwIfAborted } from '../../contract/errors.js';
import type { TokenVectors } from '../../contract/types.js';
import { topK } from '../top-k.js';
import { centroidInteraction, probeList } from './candidates.js';
import { DecompressedScorer, type DecodedDocs } from './decompressed-scorer.js';
import { keptRows, RowBatcher, type CompressedDocSource } from './documents.js';
import {
  BufferedFile,
  checkSize,
  corruptFile,
  fileCrc,
  FILES,
  ivfFiles,
  readManifest,
  readWhole,
  writeAtomic,
  writeManifest,
  type Manifest,
} from './format.js';
import type { CompressedIndexInfo } from './info.js';
import { distinctPairs, listsFromPairs, mergeLists, type InvertedLists } from './inverted-lists.js';
import { MatMul, Nearest } from './ort-ops.js';
import { projectRows } from './projection.js';
import { decodeTable, residualBytes, type ResidualBuckets } from './residual-codec.js';
import { SliceReader } from './slice-reader.js';
import { TokenCodec } from './token-codec.js';

export interface CompressedSearchOptions {
  k: number;
  /** Cells (centroids) probed per query token: PLAID's ncells. */
  nprobe?: number;
  /** Cells scoring below this against a query token are not probed for it (the best one always is). */
  centroidThreshold?: number;
  /** Documents kept after the inverted-list pass: PLAID's ndocs. A quarter of them reach the final rerank. */
  candidates?: number;
  /** Final scores from decompressed vectors (default), or from `exactScorer` on the same survivors. */
  rerank?: 'decompressed' | 'exact';
}

/** Exact MaxSim of the query with the documents at `slots` (in that order), e.g. from the fp16 store. */
export type ExactScorer = (slots: Int32Array) => Promise<Float32Array>;

/** Where one search spent its time and how many documents each stage kept. */
export interface SearchStats {
  touched: number;
  candidates: number;
  survivors: number;
  ms: { centroids: number; lists: number; codes: number; rerank: number };
}

export interface CompressedOpenOptions {
  /** onnxruntime threads (default: every core). */
  threads?: number;
}

export interface AppendControl {
  signal?: AbortSignal;
  onProgress?: (p: { phase: 'encoding'; done: number; total: number }) => void;
}

/**
 * Search defaults by k. PLAID's are 1 cell, threshold 0.5 and 256 docs at k = 10 (2, 0.45, 1,024 at
 * k = 100; 4, 0.4, 4,096 at k = 1,000). The cells here are coarser (see defaultCentroids), so each query
 * token probes more of them. Measured on the scale benchmark (recall@10 of the survivors against the exact
 * top-10, i.e. with exact rerank): at 200,000 passages and 8,192 centroids, 12 cells and 1,024 candidates
 * kept all of the exact top-10 (1.0), 8 cells 0.98, 4 cells 0.90; at 50,000 passages 4 cells already
 * reached 1.0. More cells or candidates than that did not raise decompressed recall (0.92), which the 2-bit
 * residuals bound, and cost time. Larger k scale cells and candidates up without measurements behind them.
 */
export function searchDefaults(k: number): Required<Omit<CompressedSearchOptions, 'k' | 'rerank'>> {
  if (k <= 10) return { nprobe: 12, centroidThreshold: 0.45, candidates: 1024 };
  if (k <= 100) return { nprobe: 16, centroidThreshold: 0.45, candidates: Math.max(2048, 8 * k) };
  return { nprobe: 24, centroidThreshold: 0.4, candidates: Math.max(4096, 4 * k) };
}

const PREFETCH_CHUNK = 4 << 20;

/** Appended list entries are merged into a new list generation once they pass a quarter of the main lists. */
const COMPACT_FRACTION = 0.25;
const APPEND_BATCH_ROWS = 8192;

/**
 * A compressed multi-vector index opened from its directory (see format.ts for the files). Resident: the
 * centroids, residual decoding table, projection, per-document lengths and token offsets, list offsets and
 * the appended-list delta — about 12 bytes per document plus K × dim floats. Codes, residuals and the
 * inverted lists themselves are read per query, in slices, into scratch buffers that are reused, so memory
 * is bounded by the search parameters (candidates × longest document), not by the collection or the
 * number of searches.
 *
 * Search (PLAID's stages on ColBERTv2's compression):
 *   1. S = C·Qᵀ, every centroid against every query token (one sgemm).
 *   2. For each query token, walk the inverted lists of its best `nprobe` cells, best first: the first
 *      time a document is met for that token, the cell's score is its approximate term. Documents are
 *      ranked by the sum over tokens, tokens never met imputed (see probeList); the best `candidates` go on.
 *   3. Their codes are read and scored by full centroid interaction, Σ_i max_j S[code_j, i]; the best
 *      quarter go on.
 *   4. Those are decompressed and scored by exact MaxSim on the reconstructions — or handed to
 *      `exactScorer` — and the best k returned.
 *
 * Calls are serialised: a search waits for an append in progress and the other way round.
 */
export class CompressedIndex {
  readonly dir: string;
  readonly threads: number;
  private manifest: Manifest;
  private readonly centroids: Float32Array;
  private readonly buckets: ResidualBuckets;
  private readonly table: Float32Array;
  private readonly projection: Float32Array | null;
  private doclens: Uint32Array;
  private tokenStarts: Float64Array;
  private removed: Uint8Array;
  private removedCount: number;
  private ivfOffsets: Float64Array;
  private ivfIds: SliceReader;
  private maxList: number;
  private deltaPairs: Uint32Array;
  private delta: InvertedLists;
  private readonly codes: SliceReader;
  private readonly residuals: SliceReader;
  private readonly scorer: DecompressedScorer;
  private matmul: Promise<MatMul> | null = null;
  private nearest: Promise<Nearest> | null = null;
  private codec: TokenCodec | null = null;
  // Search scratch, reused: per-slot accumulators are reset for exactly the slots a search touched.
  private acc: Float32Array;
  private stamp: Int32Array;
  private touched: Int32Array;
  private listBuffer: Uint32Array;
  private codeBuffer = new Uint16Array(0);
  private residualBuffer = new Uint8Array(0);
  private probeBuffer = new Int32Array(64);
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private stats: SearchStats | null = null;

  private constructor(dir: string, manifest: Manifest, threads: number) {
    this.dir = dir;
    this.threads = threads;
    this.manifest = manifest;
    const m = manifest;
    const { dim, centroids: k, nbits } = m;
    this.centroids = new Float32Array(readWhole(dir, FILES.centroids, k * dim * 4, true, m.crc[FILES.centroids]).buffer);
    const levels = 1 << nbits;
    const bucketFloats = dim * (levels - 1) + dim * levels;
    const bucketData = new Float32Array(readWhole(dir, FILES.buckets, bucketFloats * 4, true, m.crc[FILES.buckets]).buffer);
    this.buckets = { dim, nbits, cutoffs: bucketData.slice(0, dim * (levels - 1)), weights: bucketData.slice(dim * (levels - 1)) };
    this.table = decodeTable(this.buckets);
    this.projection = m.projection
      ? new Float32Array(readWhole(dir, FILES.projection, m.inputDim * dim * 4, true, m.crc[FILES.projection]).buffer)
      : null;
    this.doclens = new Uint32Array(readWhole(dir, FILES.doclens, m.docs * 4, false, m.crc[FILES.doclens]).buffer);
    this.tokenStarts = new Float64Array(m.docs + 1);
    for (let s = 0; s < m.docs; s++) this.tokenStarts[s + 1] = this.tokenStarts[s]! + this.doclens[s]!;
    if (this.tokenStarts[m.docs] !== m.tokens) {
      throw corruptFile(dir, FILES.doclens, `document lengths add up to ${this.tokenStarts[m.docs]} tokens, the manifest says ${m.tokens}`);
    }
    checkSize(dir, FILES.codes, m.tokens * 2, false);
    checkSize(dir, FILES.residuals, m.tokens * residualBytes(dim, nbits), false);
    const ivf = ivfFiles(m.ivfGeneration);
    this.ivfOffsets = new Float64Array(readWhole(dir, ivf.offsets, (k + 1) * 8, true, m.crc[ivf.offsets]).buffer);
    this.maxList = checkOffsets(dir, ivf.offsets, this.ivfOffsets, m.ivfEntries);
    checkSize(dir, ivf.ids, m.ivfEntries * 4, true);
    this.deltaPairs = new Uint32Array(readWhole(dir, FILES.delta, m.deltaEntries * 8, false).buffer);
    for (let i = 0; i < this.deltaPairs.length; i += 2) {
      if (this.deltaPairs[i]! >= k || this.deltaPairs[i + 1]! >= m.docs) throw corruptFile(dir, FILES.delta, `entry ${i / 2} points outside the index`);
    }
    this.delta = listsFromPairs(this.deltaPairs, k);
    this.removed = new Uint8Array(m.docs);
    if (existsSync(join(dir, FILES.removed))) {
      const size = Math.min(statSync(join(dir, FILES.removed)).size, m.docs);
      this.removed.set(readWhole(dir, FILES.removed, size, false));
    }
    this.removedCount = this.removed.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0);
    this.codes = new SliceReader(dir, FILES.codes);
    this.residuals = new SliceReader(dir, FILES.residuals);
    this.ivfIds = new SliceReader(dir, ivf.ids);
    this.listBuffer = new Uint32Array(Math.max(1, this.maxList));
    this.acc = new Float32Array(m.docs);
    this.stamp = new Int32Array(m.docs);
    this.touched = new Int32Array(m.docs);
    this.scorer = new DecompressedScorer(dim, nbits, m.normalized, threads, this.centroids, this.table);
  }

  static open(dir: string, opts: CompressedOpenOptions = {}): CompressedIndex {
    const path = resolve(dir);
    const threads = opts.threads && opts.threads > 0 ? Math.floor(opts.threads) : availableParallelism();
    return new CompressedIndex(path, readManifest(path), threads);
  }

  /** Stage sizes and timings of the last search (null before the first). */
  lastSearchStats(): SearchStats | null {
    return this.stats;
  }

  /** Number of slots (removed ones included): the next appended document gets this slot. */
  get size(): number {
    return this.manifest.docs;
  }

  search(query: TokenVectors, opts: CompressedSearchOptions, exactScorer?: ExactScorer): Promise<Array<{ index: number; score: number }>> {
    return this.serial(() => this.searchNow(query, opts, exactScorer));
  }

  /** Adds documents (slots continue from `size`) against the existing centroids, without re-clustering. */
  append(docs: CompressedDocSource, ctl: AppendControl = {}): Promise<void> {
    return this.serial(() => this.appendNow(docs, ctl));
  }

  /** Tombstones: removed slots are never returned again; their bytes stay until the index is rebuilt. */
  remove(slots: number[]): void {
    this.assertOpen();
    const n = this.manifest.docs;
    for (const s of slots) if (!Number.isInteger(s) || s < 0 || s >= n) throw new SaegimError('bad-input', `slot ${s} is not in the index (0..${n - 1})`);
    for (const s of slots) {
      if (this.removed[s] === 0) this.removedCount++;
      this.removed[s] = 1;
    }
    writeAtomic(join(this.dir, FILES.removed), this.removed.subarray(0, n));
  }

  /**
   * How much worse appended tokens fit the centroids than the tokens they were trained on: mean residual
   * norm of appended tokens over that of built tokens, minus 1 (0 with nothing appended). Past about 0.2
   * the appended documents come from somewhere the centroids never saw, and a rebuild is due.
   */
  drift(): number {
    const r = this.manifest.residualNorm;
    if (r.appendedTokens === 0 || r.built <= 0) return 0;
    return r.appendedSum / r.appendedTokens / r.built - 1;
  }

  info(): CompressedIndexInfo {
    const m = this.manifest;
    const ivf = ivfFiles(m.ivfGeneration);
    const bpt = residualBytes(m.dim, m.nbits);
    // Committed sizes, not file sizes: an uncommitted append tail is not part of the index.
    const files: Record<string, number> = {
      [FILES.manifest]: statSync(join(this.dir, FILES.manifest)).size,
      [FILES.centroids]: m.centroids * m.dim * 4,
      [FILES.buckets]: (this.buckets.cutoffs.length + this.buckets.weights.length) * 4,
      [FILES.doclens]: m.docs * 4,
      [FILES.codes]: m.tokens * 2,
      [FILES.residuals]: m.tokens * bpt,
      [ivf.offsets]: (m.centroids + 1) * 8,
      [ivf.ids]: m.ivfEntries * 4,
      [FILES.delta]: m.deltaEntries * 8,
    };
    if (this.projection) files[FILES.projection] = this.projection.length * 4;
    if (existsSync(join(this.dir, FILES.removed))) files[FILES.removed] = statSync(join(this.dir, FILES.removed)).size;
    const bytes = Object.values(files).reduce((a, b) => a + b, 0);
    return {
      dir: this.dir,
      format: m.format,
      version: m.version,
      dim: m.dim,
      inputDim: m.inputDim,
      projection: m.projection,
      nbits: m.nbits,
      centroids: m.centroids,
      normalized: m.normalized,
      docs: m.docs,
      liveDocs: m.docs - this.removedCount,
      removedDocs: this.removedCount,
      tokens: m.tokens,
      appendedDocs: m.docs - m.builtDocs,
      files,
      bytes,
      bytesPerToken: m.tokens > 0 ? bytes / m.tokens : 0,
      drift: this.drift(),
      buildSeconds: m.buildSeconds,
    };
  }

  /**
   * Reads the files searches page through — the inverted lists and the codes, and the residuals with
   * `residuals` — once from start to end, so that the page cache holds them before searches need them. A
   * search of a cold index waits on the disk for each list and each candidate's codes: at 1,000,000 passages
   * p95 was 409 ms cold and 146 ms once the files were read (3.8 GB in 4 s). Files that would take more than
   * `budgetBytes` in all (default half the machine's memory) are left out, smallest first kept, since
   * reading more than the page cache can hold only evicts what was read before. Runs in the background in
   * 4 MiB reads beside searches; close() or `signal` stops it. Returns the bytes read.
   */
  async prefetch(opts: { residuals?: boolean; budgetBytes?: number; signal?: AbortSignal } = {}): Promise<number> {
    this.assertOpen();
    // Committed sizes (info()), so that an uncommitted append tail is not read.
    const { files } = this.info();
    const wanted = [ivfFiles(this.manifest.ivfGeneration).ids, FILES.codes, ...(opts.residuals ? [FILES.residuals] : [])]
      .map((file) => ({ file, bytes: files[file] ?? 0 }))
      .sort((a, b) => a.bytes - b.bytes);
    let budget = opts.budgetBytes ?? totalmem() / 2;
    const buffer = Buffer.allocUnsafe(PREFETCH_CHUNK);
    let read = 0;
    for (const { file, bytes } of wanted) {
      if (bytes > budget) break;
      budget -= bytes;
      const handle = await open(join(this.dir, file), 'r');
      try {
        for (let at = 0; at < bytes; ) {
          if (this.closed || opts.signal?.aborted) return read;
          const { bytesRead } = await handle.read(buffer, 0, Math.min(PREFETCH_CHUNK, bytes - at), at);
          if (bytesRead === 0) break;
          at += bytesRead;
          read += bytesRead;
        }
      } finally {
        await handle.close();
      }
    }
    return read;
  }

  /** Closes the files; onnxruntime sessions are released in the background. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.codes.close();
    this.residuals.close();
    this.ivfIds.close();
    const release = async (): Promise<void> => {
      await this.scorer.release();
      if (this.matmul) await (await this.matmul).release();
      if (this.nearest) await (await this.nearest).release();
    };
    this.queue = this.queue.then(release, release).catch(() => undefined);
  }

  // ── search ─────────────────────────────────────────────────────────────────────────────────────────

  private async searchNow(query: TokenVectors, opts: CompressedSearchOptions, exactScorer?: ExactScorer): Promise<Array<{ index: number; score: number }>> {
    this.assertOpen();
    const m = this.manifest;
    if (query.dim !== m.inputDim) throw new SaegimError('bad-input', `query vectors are ${query.dim} wide, the index takes ${m.inputDim}`);
    if (!Number.isFinite(opts.k) || opts.k < 0) throw new SaegimError('bad-input', `k must be a non-negative number, got ${opts.k}`);
    const k = Math.floor(opts.k);
    const defaults = searchDefaults(k);
    const nprobe = Math.max(1, Math.floor(opts.nprobe ?? defaults.nprobe));
    const threshold = opts.centroidThreshold ?? defaults.centroidThreshold;
    const candidates = Math.max(k, Math.floor(opts.candidates ?? defaults.candidates));
    const rerank = opts.rerank ?? 'decompressed';
    if (rerank === 'exact' && !exactScorer) throw new SaegimError('bad-input', 'rerank "exact" needs an exact scorer');
    const nq = query.length;
    if (k === 0 || nq === 0 || m.docs - this.removedCount === 0) return [];

    const t0 = performance.now();
    const q = await this.queryRows(query);
    const dim = m.dim;
    const kc = m.centroids;
    const queryT = new Float32Array(dim * nq);
    for (let i = 0; i < nq; i++) for (let d = 0; d < dim; d++) queryT[d * nq + i] = q[i * dim + d]!;
    const matmul = await this.matMul();
    const scores = await matmul.run(this.centroids, kc, dim, queryT, nq);

    const t1 = performance.now();
    // Stage 2: inverted lists, best cell first per token.
    let touchedCount = 0;
    const { stamp, acc, touched } = this;
    let stage2: Int32Array;
    try {
      for (let i = 0; i < nq; i++) {
        if (this.probeBuffer.length < Math.min(nprobe + 1, kc)) this.probeBuffer = new Int32Array(Math.min(nprobe + 1, kc));
        const probe = probeList(scores, kc, nq, i, nprobe, threshold, this.probeBuffer);
        const mark = i + 1;
        for (let r = 0; r < probe.count; r++) {
          const c = probe.centroids[r]!;
          const gain = scores[c * nq + i]! - probe.impute;
          const mainCount = this.readMainList(c);
          touchedCount = this.accumulate(this.listBuffer, 0, mainCount, mark, gain, touchedCount);
          touchedCount = this.accumulate(this.delta.ids, this.delta.offsets[c]!, this.delta.offsets[c + 1]!, mark, gain, touchedCount);
        }
      }
      stage2 = Int32Array.from(topK(acc, candidates, touched, touchedCount), (r) => r.index);
    } finally {
      for (let j = 0; j < touchedCount; j++) {
        stamp[touched[j]!] = 0;
        acc[touched[j]!] = 0;
      }
    }
    if (stage2.length === 0) return [];
    stage2.sort();

    const t2 = performance.now();
    // Stage 3: full centroid interaction from the codes.
    const docs = this.readCodes(stage2);
    const keep = Math.max(k, Math.ceil(candidates / 4));
    let survivors = Int32Array.from({ length: stage2.length }, (_, j) => j);
    if (stage2.length > keep) {
      const best = new Float32Array(nq);
      const approx = new Float32Array(stage2.length);
      for (let j = 0; j < stage2.length; j++) {
        approx[j] = centroidInteraction(scores, nq, docs.codes, docs.codeStart[j]!, docs.codeStart[j]! + docs.lengths[j]!, best);
      }
      survivors = Int32Array.from(topK(approx, keep), (r) => r.index).sort();
    }

    const t3 = performance.now();
    // Stage 4: rerank the survivors.
    const slots = Int32Array.from(survivors, (j) => stage2[j]!);
    let final: Float32Array;
    if (rerank === 'exact') {
      final = await exactScorer!(slots);
      if (final.length !== slots.length) throw new SaegimError('internal', `exact scorer returned ${final.length} scores for ${slots.length} documents`);
    } else {
      final = await this.scorer.score(this.readResiduals(slots, survivors, docs), new ort.Tensor('float32', queryT, [dim, nq]));
    }
    const t4 = performance.now();
    this.stats = {
      touched: touchedCount,
      candidates: stage2.length,
      survivors: slots.length,
      ms: { centroids: t1 - t0, lists: t2 - t1, codes: t3 - t2, rerank: t4 - t3 },
    };
    return topK(final, k).map((r) => ({ index: slots[r.index]!, score: r.score }));
  }

  /** Reads centroid c's main list into the list buffer; returns its length. */
  private readMainList(c: number): number {
    const start = this.ivfOffsets[c]!;
    const count = this.ivfOffsets[c + 1]! - start;
    if (count > 0) this.ivfIds.read(start * 4, count * 4, new Uint8Array(this.listBuffer.buffer), 0);
    return count;
  }

  /**
   * Credits `gain` to every live document in ids[from, to) not yet met for query token `mark`; a
   * document's first meeting for a token is with its best cell, because cells are walked best first.
   */
  private accumulate(ids: Uint32Array, from: number, to: number, mark: number, gain: number, touchedCount: number): number {
    const { stamp, acc, touched, removed } = this;
    const n = this.manifest.docs;
    let count = touchedCount;
    for (let j = from; j < to; j++) {
      const p = ids[j]!;
      if (p >= n) throw corruptFile(this.dir, ivfFiles(this.manifest.ivfGeneration).ids, `slot ${p} is past the last document`);
      if (removed[p] !== 0) continue;
      const seen = stamp[p]!;
      if (seen === mark) continue;
      if (seen === 0) touched[count++] = p;
      stamp[p] = mark;
      acc[p]! += gain;
    }
    return count;
  }

  private async queryRows(query: TokenVectors): Promise<Float32Array> {
    const m = this.manifest;
    const data = query.data.subarray(0, query.length * query.dim);
    if (!this.projection) return data;
    return projectRows(await this.matMul(), data, query.length, m.inputDim, this.projection, m.dim, m.normalized);
  }

  /** Codes of the documents at `slots` (ascending), packed back to back. */
  private readCodes(slots: Int32Array): DecodedDocs {
    const count = slots.length;
    const lengths = new Uint32Array(count);
    const starts = new Float64Array(count);
    const codeStart = new Uint32Array(count);
    let total = 0;
    for (let j = 0; j < count; j++) {
      const s = slots[j]!;
      lengths[j] = this.doclens[s]!;
      starts[j] = this.tokenStarts[s]!;
      codeStart[j] = total;
      total += lengths[j]!;
    }
    if (this.codeBuffer.length < total) this.codeBuffer = new Uint16Array(Math.ceil(total * 1.25));
    this.codes.readMany(starts, lengths, count, 2, new Uint8Array(this.codeBuffer.buffer));
    const kc = this.manifest.centroids;
    for (let t = 0; t < total; t++) if (this.codeBuffer[t]! >= kc) throw corruptFile(this.dir, FILES.codes, `code ${this.codeBuffer[t]} is past the last centroid`);
    return { count, lengths, codeStart, codes: this.codeBuffer, residualStart: new Uint32Array(0), residuals: this.residualBuffer };
  }

  /** Residual bytes of the survivors (`which` indexes into `docs`), with their codes. */
  private readResiduals(slots: Int32Array, which: Int32Array, docs: DecodedDocs): DecodedDocs {
    const bpt = residualBytes(this.manifest.dim, this.manifest.nbits);
    const count = slots.length;
    const lengths = new Uint32Array(count);
    const starts = new Float64Array(count);
    const codeStart = new Uint32Array(count);
    const residualStart = new Uint32Array(count);
    let total = 0;
    for (let j = 0; j < count; j++) {
      lengths[j] = docs.lengths[which[j]!]!;
      codeStart[j] = docs.codeStart[which[j]!]!;
      starts[j] = this.tokenStarts[slots[j]!]!;
      residualStart[j] = total * bpt;
      total += lengths[j]!;
    }
    if (this.residualBuffer.length < total * bpt) this.residualBuffer = new Uint8Array(Math.ceil(total * bpt * 1.25));
    this.residuals.readMany(starts, lengths, count, bpt, this.residualBuffer);
    return { count, lengths, codeStart, codes: docs.codes, residualStart, residuals: this.residualBuffer };
  }

  // ── append ─────────────────────────────────────────────────────────────────────────────────────────

  private async appendNow(docs: CompressedDocSource, ctl: AppendControl): Promise<void> {
    this.assertOpen();
    const m = this.manifest;
    const dir = this.dir;
    const bpt = residualBytes(m.dim, m.nbits);
    this.codec ??= new TokenCodec(await this.nearestSession(), this.centroids, this.buckets);
    const codec = this.codec;
    // Bytes past the manifest's counts are an append that never committed.
    for (const [file, bytes] of [
      [FILES.codes, m.tokens * 2],
      [FILES.residuals, m.tokens * bpt],
      [FILES.doclens, m.docs * 4],
      [FILES.delta, m.deltaEntries * 8],
    ] as const) {
      const fd = openSync(join(dir, file), 'r+');
      try {
        ftruncateSync(fd, bytes);
      } finally {
        closeSync(fd);
      }
    }
    const codesFile = new BufferedFile(join(dir, FILES.codes), 'r+', m.tokens * 2);
    const residualFile = new BufferedFile(join(dir, FILES.residuals), 'r+', m.tokens * bpt);
    const newLengths: number[] = [];
    const newPairs: Uint32Array[] = [];
    let newTokens = 0;
    let normSum = 0;
    const batcher = new RowBatcher(m.inputDim, APPEND_BATCH_ROWS);
    const flush = async (): Promise<void> => {
      const { data, rows, lengths } = batcher.take();
      const firstSlot = m.docs + newLengths.length;
      newLengths.push(...lengths);
      if (rows === 0) return;
      const stored = this.projection ? await projectRows(await this.matMul(), data, rows, m.inputDim, this.projection, m.dim, m.normalized) : data;
      const encoded = await codec.encode(stored, rows);
      codesFile.write(encoded.codes);
      residualFile.write(encoded.residuals);
      normSum += encoded.residualNormSum;
      newTokens += rows;
      newPairs.push(distinctPairs(encoded.codes, lengths, firstSlot, m.centroids));
      ctl.onProgress?.({ phase: 'encoding', done: newTokens, total: newTokens });
    };
    try {
      let slot = m.docs;
      for await (const doc of docs) {
        throwIfAborted(ctl.signal, 'append');
        const { rows, count } = keptRows(doc, m.inputDim, slot++);
        batcher.push(rows, count);
        if (batcher.full) await flush();
      }
      if (batcher.pendingDocs > 0) await flush();
      throwIfAborted(ctl.signal, 'append');
    } finally {
      codesFile.close();
      residualFile.close();
    }
    if (newLengths.length === 0) return;
    const lengths = Uint32Array.from(newLengths);
    const doclenFile = new BufferedFile(join(dir, FILES.doclens), 'r+', m.docs * 4);
    doclenFile.write(lengths);
    doclenFile.close();
    const pairs = concat(newPairs);
    const deltaFile = new BufferedFile(join(dir, FILES.delta), 'r+', m.deltaEntries * 8);
    deltaFile.write(pairs);
    deltaFile.close();
    const next: Manifest = {
      ...m,
      docs: m.docs + lengths.length,
      tokens: m.tokens + newTokens,
      deltaEntries: m.deltaEntries + pairs.length / 2,
      residualNorm: { ...m.residualNorm, appendedSum: m.residualNorm.appendedSum + normSum, appendedTokens: m.residualNorm.appendedTokens + newTokens },
      crc: { ...m.crc, [FILES.doclens]: crc32(new Uint8Array(lengths.buffer), m.crc[FILES.doclens] ?? 0) },
    };
    writeManifest(dir, next);

    // Committed: bring the resident state up to date.
    this.manifest = next;
    const total = next.docs;
    const doclens = new Uint32Array(total);
    doclens.set(this.doclens.subarray(0, m.docs));
    doclens.set(lengths, m.docs);
    this.doclens = doclens;
    const starts = new Float64Array(total + 1);
    starts.set(this.tokenStarts.subarray(0, m.docs + 1));
    for (let s = m.docs; s < total; s++) starts[s + 1] = starts[s]! + this.doclens[s]!;
    this.tokenStarts = starts;
    const removed = new Uint8Array(total);
    removed.set(this.removed.subarray(0, m.docs));
    this.removed = removed;
    this.acc = new Float32Array(total);
    this.stamp = new Int32Array(total);
    this.touched = new Int32Array(total);
    this.deltaPairs = concat([this.deltaPairs, pairs]);
    this.delta = listsFromPairs(this.deltaPairs, next.centroids);
    if (next.deltaEntries > COMPACT_FRACTION * next.ivfEntries) this.compactNow();
  }

  /** Merges the appended lists into a new generation of the main lists. */
  compact(): Promise<void> {
    return this.serial(async () => this.compactNow());
  }

  private compactNow(): void {
    this.assertOpen();
    const m = this.manifest;
    if (m.deltaEntries === 0) return;
    const old = ivfFiles(m.ivfGeneration);
    const ids = new Uint32Array(readWhole(this.dir, old.ids, m.ivfEntries * 4, true).buffer);
    const merged = mergeLists({ offsets: this.ivfOffsets, ids }, this.delta, m.centroids);
    const generation = m.ivfGeneration + 1;
    const names = ivfFiles(generation);
    writeAtomic(join(this.dir, names.offsets), merged.offsets);
    writeAtomic(join(this.dir, names.ids), merged.ids);
    const next: Manifest = {
      ...m,
      ivfGeneration: generation,
      ivfEntries: merged.ids.length,
      deltaEntries: 0,
      crc: { ...Object.fromEntries(Object.entries(m.crc).filter(([f]) => f !== old.offsets)), [names.offsets]: fileCrc(merged.offsets) },
    };
    writeManifest(this.dir, next);
    this.manifest = next;
    this.ivfIds.close();
    this.ivfIds = new SliceReader(this.dir, names.ids);
    this.ivfOffsets = merged.offsets;
    this.maxList = checkOffsets(this.dir, names.offsets, merged.offsets, merged.ids.length);
    this.listBuffer = new Uint32Array(Math.max(1, this.maxList));
    this.deltaPairs = new Uint32Array(0);
    this.delta = listsFromPairs(this.deltaPairs, m.centroids);
    rmSync(join(this.dir, old.offsets), { force: true });
    rmSync(join(this.dir, old.ids), { force: true });
  }

  // ── plumbing ───────────────────────────────────────────────────────────────────────────────────────

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private matMul(): Promise<MatMul> {
    this.matmul ??= MatMul.create(this.threads);
    return this.matmul;
  }

  private nearestSession(): Promise<Nearest> {
    this.nearest ??= Nearest.create(this.manifest.dim, this.threads);
    return this.nearest;
  }

  private assertOpen(): void {
    if (this.closed) throw new SaegimError('internal', 'compressed index used after close()');
  }
}

/** Checks list offsets ascend and end at `entries`; returns the longest list. */
function checkOffsets(dir: string, file: string, offsets: Float64Array, entries: number): number {
  let longest = 0;
  for (let c = 0; c + 1 < offsets.length; c++) {
    const n = offsets[c + 1]! - offsets[c]!;
    if (!(n >= 0)) throw corruptFile(dir, file, `offsets decrease at centroid ${c}`);
    if (n > longest) longest = n;
  }
  if (offsets[0] !== 0 || offsets[offsets.length - 1] !== entries) throw corruptFile(dir, file, `offsets do not span the ${entries} list entries`);
  return longest;
}

function concat(parts: Uint32Array[]): Uint32Array {
  const out = new Uint32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
