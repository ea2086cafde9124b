import * as ort from 'onnxruntime-node';
import { SaegimError } from '../contract/errors.js';
import type { TokenVectors } from '../contract/types.js';
import { topK, type RankedSlot } from './top-k.js';
import { acquireMaxSimSession, defaultThreads, MAXSIM_INPUTS, MAXSIM_OUTPUT, releaseMaxSimSession, type BlockPrecision, type MaxSimRows } from './maxsim-graph.js';
import { nativeMaxSim, transposePadded, type KernelIsa, type NativeBlock, type NativeMaxSim } from './native-maxsim.js';

/**
 * The paper's Eq. 1, S(q,d) = Σ_i max_j E_q[i]·E_d[j], as a plain loop: the reference the fast index is
 * tested against and what explain recomputes for one passage. `docTokenMask[j] = 0` leaves document token j
 * out (punctuation skipping). A query token with nothing to match — a document with no scorable token —
 * contributes 0 rather than -Infinity, so such a passage still gets a finite score that JSON can carry.
 */
export function maxSimScore(query: TokenVectors, doc: TokenVectors, docTokenMask?: Uint8Array): number {
  if (query.dim !== doc.dim) throw new SaegimError('bad-input', `query vectors are ${query.dim} wide, document vectors ${doc.dim}`);
  const dim = query.dim;
  const q = query.data;
  const d = doc.data;
  let total = 0;
  for (let i = 0; i < query.length; i++) {
    const qi = i * dim;
    let best = -Infinity;
    for (let j = 0; j < doc.length; j++) {
      if (docTokenMask && docTokenMask[j] === 0) continue;
      const dj = j * dim;
      let dot = 0;
      for (let k = 0; k < dim; k++) dot += q[qi + k]! * d[dj + k]!;
      if (dot > best) best = dot;
    }
    if (best !== -Infinity) total += best;
  }
  return total;
}

/** A document's token vectors as the store keeps them: float32, or raw IEEE binary16 halves. */
export type { RankedSlot } from './top-k.js';

export type StoredVectors = Float32Array | Uint16Array;

export interface MaxSimIndexOptions {
  dim: number;
  /** onnxruntime intra-op threads; defaults to every core. */
  threads?: number;
  /** Padded token rows per block, per storage precision (defaults measured: see BLOCK_ROWS). */
  blockRows?: Partial<Record<BlockPrecision, number>>;
  /**
   * `native`: the fused kernel (native-maxsim.ts), the default where it was built; `onnx`: onnxruntime's
   * MatMul graph (maxsim-graph.ts), the default elsewhere. Both give the same scores to float rounding.
   */
  kernel?: MaxSimKernel;
  /** The native kernel's instruction set, when not the CPU's best (for tests and benchmarks). */
  isa?: KernelIsa;
}

export type MaxSimKernel = 'native' | 'onnx';

export interface MaxSimScoreOptions {
  /** Leave out the tokens `add` was given a 0 mask for (the default); false scores every token. */
  skipMasked?: boolean;
}


/**
 * Padded token rows per block, measured with 20,000 × 128-token documents, 32 query tokens, dim 128 on a
 * 2-core EPYC (docs/s): fp32 is flat from 8k to 128k rows (58–63k), so it takes a middle value that keeps
 * incremental packing fine-grained; fp16 peaks at 8k–16k rows (80–90k) and halves beyond 32k, once the
 * float copy made by Cast no longer stays in cache.
 */
const BLOCK_ROWS: Record<BlockPrecision, number> = { fp32: 32768, fp16: 16384 };

/**
 * Added documents wait until this many blocks' worth of rows have arrived, then are sorted by length and
 * packed. Sorting a batch this size keeps padding small without holding a whole collection twice in memory.
 */
const PACK_BATCH_BLOCKS = 16;

interface PendingDoc {
  slot: number;
  /** The document's rows, `count × dim`, contiguous. */
  rows: StoredVectors;
  count: number;
  /** `keep[j] = 0` leaves row j out when masked tokens are skipped; null when every row is scored. */
  keep: Uint8Array | null;
}

interface Block {
  tensor: ort.Tensor;
  data: StoredVectors;
  /** Padded length every document of the block is stretched to. */
  length: number;
  slots: Int32Array;
  /** Rows of each document (the rest of its `length` rows are copies), kept for repacking. */
  counts: Int32Array;
  /** `keep[b * length + j]`: whether document b's row j is scored when masked tokens are skipped (0 on padding rows); null when all are. */
  keep: Uint8Array | null;
  /** The gather graph's rows, built at the first query that skips masked tokens. */
  gathered: GatheredRows | null;
}

interface GatheredRows {
  tensor: ort.Tensor;
  rows: Int32Array;
  /** Documents of the block with no scorable row: they score 0, as in `maxSimScore`. */
  empty: Int32Array;
}

interface Packing {
  pending: PendingDoc[];
  pendingRows: number;
  blocks: Block[];
  /** Rows in blocks: the lower bound on how many blocks the packing needs. */
  packedRows: number;
  sessions: Record<MaxSimRows, Promise<ort.InferenceSession> | null>;
}

/**
 * Every passage's token vectors packed for exact MaxSim against one query at a time, scored by the fused
 * native kernel (native-maxsim.ts) where it was built, else by onnxruntime's sgemm (maxsim-graph.ts); never
 * by JavaScript loops.
 *
 * Packing: documents sorted by length and cut into blocks `[B, L, dim]` of about a fixed number of rows, each
 * document padded to its block's L with copies of one of its own rows (a copy never changes a maximum).
 * Block tensors are built once, not per query. Masked tokens stay in the block, with a byte per row saying
 * which: one resident copy of the vectors serves both a query that skips them (the gather graph, see
 * maxsim-graph.ts) and one that scores every token (the plain graph, as if no mask had been given).
 * fp32 and fp16 documents go to separate blocks and sessions, so an index may hold both.
 *
 * The index keeps a reference to added vectors until they are packed: callers must not modify them.
 */
export class MaxSimIndex {
  readonly dim: number;
  readonly threads: number;
  private readonly blockRows: Record<BlockPrecision, number>;
  private readonly packings: Record<BlockPrecision, Packing> = { fp32: emptyPacking(), fp16: emptyPacking() };
  private readonly native: NativeMaxSim | null;
  private readonly isa: KernelIsa | undefined;
  private count = 0;
  private released = false;

  constructor(opts: MaxSimIndexOptions) {
    if (!Number.isInteger(opts.dim) || opts.dim <= 0) throw new SaegimError('bad-input', `vector width must be a positive integer, got ${opts.dim}`);
    this.dim = opts.dim;
    this.threads = opts.threads && opts.threads > 0 ? Math.floor(opts.threads) : defaultThreads();
    this.blockRows = { ...BLOCK_ROWS, ...opts.blockRows };
    this.native = opts.kernel === 'onnx' ? null : nativeMaxSim();
    if (opts.kernel === 'native' && !this.native) throw new SaegimError('internal', 'the native MaxSim kernel is not built (npm run build:engine)');
    this.isa = opts.isa;
  }

  /** The kernel scoring this index, with the native one's instruction set: `native-avx512`, `onnx`, … */
  get kernel(): string {
    return this.native ? `native-${this.isa ?? this.native.isa}` : 'onnx';
  }

  /** Number of documents added. */
  get size(): number {
    return this.count;
  }

  /**
   * Adds one document of `length` token vectors (fp32, or fp16 halves); `mask[j] = 0` leaves token j out of
   * its score in queries that skip masked tokens. Returns the document's index: its position in `scoreAll`
   * and `topK` results.
   */
  add(vectors: StoredVectors, length: number, mask?: Uint8Array): number {
    this.assertOpen();
    const dim = this.dim;
    if (!Number.isInteger(length) || length < 0 || vectors.length !== length * dim) {
      throw new SaegimError('bad-input', `document ${this.count}: ${vectors.length} values are not ${length} tokens × ${dim} dims`);
    }
    if (mask && mask.length < length) throw new SaegimError('bad-input', `document ${this.count}: mask has ${mask.length} entries for ${length} tokens`);
    const precision: BlockPrecision = vectors instanceof Uint16Array ? 'fp16' : 'fp32';
    let rows: StoredVectors = vectors;
    let count = length;
    let keep: Uint8Array | null = null;
    if (length === 0) {
      // One zero vector scores 0 against every query token: the same as maxSimScore's empty maximum.
      rows = precision === 'fp16' ? new Uint16Array(dim) : new Float32Array(dim);
      count = 1;
    } else if (mask && mask.subarray(0, length).includes(0)) {
      keep = Uint8Array.from(mask.subarray(0, length), (v) => (v === 0 ? 0 : 1));
    }
    const packing = this.packings[precision];
    packing.pending.push({ slot: this.count, rows, count, keep });
    packing.pendingRows += count;
    if (packing.pendingRows >= PACK_BATCH_BLOCKS * this.blockRows[precision]) this.pack(precision);
    return this.count++;
  }

  /**
   * MaxSim of `query` with every document, in insertion order. Exact: same sums as `maxSimScore` with the
   * documents' masks, or without them when `skipMasked` is false.
   */
  async scoreAll(query: TokenVectors, opts: MaxSimScoreOptions = {}): Promise<Float32Array> {
    this.assertOpen();
    if (query.dim !== this.dim) throw new SaegimError('bad-input', `query vectors are ${query.dim} wide, the index ${this.dim}`);
    const skipMasked = opts.skipMasked ?? true;
    const scores = new Float32Array(this.count);
    if (query.length === 0 || this.count === 0) return scores;
    if (this.native) return this.scoreNative(query, skipMasked, scores);
    const queryT = new ort.Tensor('float32', transposePadded(query.data, query.length, this.dim, query.length), [this.dim, query.length]);
    for (const precision of ['fp32', 'fp16'] as const) {
      const packing = this.packings[precision];
      if (packing.pending.length > 0) this.pack(precision);
      if (packing.blocks.length === 0) continue;
      let plain: ort.InferenceSession | null = null;
      let gather: ort.InferenceSession | null = null;
      for (const block of packing.blocks) {
        const slots = block.slots;
        const gathered = skipMasked && block.keep ? (block.gathered ??= gatherRows(block)) : null;
        const session = gathered ? (gather ??= await this.session(precision, 'gather')) : (plain ??= await this.session(precision, 'all'));
        const feeds: Record<string, ort.Tensor> = { [MAXSIM_INPUTS.docs]: block.tensor, [MAXSIM_INPUTS.queryT]: queryT };
        if (gathered) feeds[MAXSIM_INPUTS.rows] = gathered.tensor;
        const blockScores = (await session.run(feeds, [MAXSIM_OUTPUT]))[MAXSIM_OUTPUT]!.data as Float32Array;
        for (let b = 0; b < slots.length; b++) scores[slots[b]!] = blockScores[b]!;
        if (gathered) for (const b of gathered.empty) scores[slots[b]!] = 0;
      }
    }
    return scores;
  }

  /** Every block of both precisions in one call of the fused kernel, which skips masked rows itself. */
  private async scoreNative(query: TokenVectors, skipMasked: boolean, scores: Float32Array): Promise<Float32Array> {
    const blocks: Block[] = [];
    for (const precision of ['fp32', 'fp16'] as const) {
      if (this.packings[precision].pending.length > 0) this.pack(precision);
      blocks.push(...this.packings[precision].blocks);
    }
    const jobs: NativeBlock[] = blocks.map((b) => ({ data: b.data, docs: b.slots.length, length: b.length, keep: skipMasked ? b.keep : null, out: new Float32Array(b.slots.length) }));
    await this.native!.score(jobs, this.dim, query, this.threads, this.isa);
    blocks.forEach((block, i) => {
      const out = jobs[i]!.out;
      for (let b = 0; b < block.slots.length; b++) scores[block.slots[b]!] = out[b]!;
    });
    return scores;
  }

  /** The `k` best documents, best first; equal scores keep insertion order so rankings are reproducible. */
  async topK(query: TokenVectors, k: number, opts: MaxSimScoreOptions = {}): Promise<RankedSlot[]> {
    return topK(await this.scoreAll(query, opts), k);
  }

  /**
   * Bytes held for the documents: packed vectors, per-row masks and gather rows, slot maps, and documents
   * added but not packed yet.
   */
  residentBytes(): number {
    let bytes = 0;
    for (const packing of Object.values(this.packings)) {
      for (const doc of packing.pending) bytes += doc.rows.byteLength + (doc.keep?.byteLength ?? 0);
      for (const b of packing.blocks) {
        bytes += b.data.byteLength + b.slots.byteLength + b.counts.byteLength + (b.keep?.byteLength ?? 0);
        if (b.gathered) bytes += b.gathered.rows.byteLength + b.gathered.empty.byteLength;
      }
    }
    return bytes;
  }

  /** Packs everything added so far now rather than at the first query (for timing packing apart). */
  pack(precision?: BlockPrecision): void {
    this.assertOpen();
    for (const p of precision ? [precision] : (['fp32', 'fp16'] as const)) {
      const packing = this.packings[p];
      if (packing.pending.length === 0) continue;
      packing.blocks.push(...packBlocks(packing.pending, this.dim, p, this.blockRows[p]));
      packing.packedRows += packing.pendingRows;
      packing.pending = [];
      packing.pendingRows = 0;
      this.repackIfFragmented(p);
    }
  }

  /** Blocks and their tensors as packed now (for benchmarks and tests). */
  blockShapes(): Array<{ precision: BlockPrecision; docs: number; length: number }> {
    return (['fp32', 'fp16'] as const).flatMap((precision) =>
      this.packings[precision].blocks.map((b) => ({ precision, docs: b.slots.length, length: b.length })),
    );
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    for (const precision of ['fp32', 'fp16'] as const) {
      const packing = this.packings[precision];
      packing.blocks = [];
      packing.pending = [];
      for (const rows of ['all', 'gather'] as const) {
        if (!packing.sessions[rows]) continue;
        packing.sessions[rows] = null;
        await releaseMaxSimSession(this.dim, precision, this.threads, rows);
      }
    }
  }

  private session(precision: BlockPrecision, rows: MaxSimRows): Promise<ort.InferenceSession> {
    const sessions = this.packings[precision].sessions;
    sessions[rows] ??= acquireMaxSimSession(this.dim, precision, this.threads, rows);
    return sessions[rows];
  }

  /**
   * Documents added a few at a time between queries leave many small blocks, and each block costs one
   * onnxruntime call; when there are far more blocks than the rows need, everything is packed afresh.
   */
  private repackIfFragmented(precision: BlockPrecision): void {
    const packing = this.packings[precision];
    const needed = Math.ceil(packing.packedRows / this.blockRows[precision]);
    if (packing.blocks.length <= 2 * needed + 8) return;
    const docs: PendingDoc[] = [];
    for (const block of packing.blocks) {
      const stride = block.length * this.dim;
      for (let b = 0; b < block.slots.length; b++) {
        const count = block.counts[b]!;
        const keep = block.keep?.subarray(b * block.length, b * block.length + count);
        docs.push({ slot: block.slots[b]!, rows: block.data.subarray(b * stride, b * stride + count * this.dim), count, keep: keep?.includes(0) ? keep : null });
      }
    }
    packing.blocks = packBlocks(docs, this.dim, precision, this.blockRows[precision]);
  }

  private assertOpen(): void {
    if (this.released) throw new SaegimError('internal', 'MaxSim index used after release()');
  }
}

function emptyPacking(): Packing {
  return { pending: [], pendingRows: 0, blocks: [], packedRows: 0, sessions: { all: null, gather: null } };
}

/** Sorts documents by length and cuts them into blocks of at most `blockRows` padded rows (one document at least). */
function packBlocks(docs: PendingDoc[], dim: number, precision: BlockPrecision, blockRows: number): Block[] {
  const sorted = [...docs].sort((a, b) => a.count - b.count || a.slot - b.slot);
  const blocks: Block[] = [];
  for (let start = 0; start < sorted.length; ) {
    let end = start + 1;
    // Sorted ascending, so the block's padded length is its last document's.
    while (end < sorted.length && (end - start + 1) * sorted[end]!.count <= blockRows) end++;
    blocks.push(packBlock(sorted.slice(start, end), dim, precision));
    start = end;
  }
  return blocks;
}

function packBlock(docs: PendingDoc[], dim: number, precision: BlockPrecision): Block {
  const length = docs[docs.length - 1]!.count;
  const stride = length * dim;
  const data = precision === 'fp16' ? new Uint16Array(docs.length * stride) : new Float32Array(docs.length * stride);
  const slots = new Int32Array(docs.length);
  const counts = new Int32Array(docs.length);
  const keep = docs.some((doc) => doc.keep) ? new Uint8Array(docs.length * length).fill(1) : null;
  docs.forEach((doc, b) => {
    const base = b * stride;
    data.set(doc.rows as never, base);
    const first = doc.rows.subarray(0, dim);
    for (let r = doc.count; r < length; r++) data.set(first as never, base + r * dim);
    slots[b] = doc.slot;
    counts[b] = doc.count;
    if (doc.keep) keep!.set(doc.keep, b * length);
    // Padding rows copy row 0, which is scored (or skipped) in its own place: the native kernel reads these bytes.
    if (keep) keep.fill(0, b * length + doc.count, (b + 1) * length);
  });
  const tensor =
    data instanceof Uint16Array ? new ort.Tensor('float16', data, [docs.length, length, dim]) : new ort.Tensor('float32', data, [docs.length, length, dim]);
  return { tensor, data, length, slots, counts, keep, gathered: null };
}

/**
 * For each document of a masked block, the flat block rows of its scorable tokens, padded to the block's
 * longest such list with copies of its first one. A document with none points at any row of its own and is
 * given 0 after scoring.
 */
function gatherRows(block: Block): GatheredRows {
  const { length, counts, keep } = block;
  const docs = counts.length;
  let width = 1;
  for (let b = 0; b < docs; b++) {
    let kept = 0;
    for (let j = 0; j < counts[b]!; j++) kept += keep![b * length + j]!;
    if (kept > width) width = kept;
  }
  const rows = new Int32Array(docs * width);
  const empty: number[] = [];
  for (let b = 0; b < docs; b++) {
    let at = b * width;
    for (let j = 0; j < counts[b]!; j++) if (keep![b * length + j]) rows[at++] = b * length + j;
    if (at === b * width) {
      empty.push(b);
      rows[at++] = b * length;
    }
    rows.fill(rows[b * width]!, at, (b + 1) * width);
  }
  return { tensor: new ort.Tensor('int32', rows, [docs, width]), rows, empty: Int32Array.from(empty) };
}
