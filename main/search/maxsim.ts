import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../onnx/model-builder.js';
import type { TokenVectors } from '../types.js';

/**
 * MaxSim, the paper's Eq. 1: S(q, d) = Σ_i max_j E_q[i]·E_d[j]. The reference loop, used by tests and
 * by anything scoring a single pair. `keep[j] = 0` leaves document token j out (punctuation skipping).
 */
export function maxSimScore(query: TokenVectors, doc: TokenVectors, keep?: Uint8Array): number {
  const dim = query.dim;
  let score = 0;
  for (let i = 0; i < query.length; i++) {
    let best = -Infinity;
    for (let j = 0; j < doc.length; j++) {
      if (keep && !keep[j]) continue;
      let s = 0;
      for (let d = 0; d < dim; d++) s += query.data[i * dim + d]! * doc.data[j * dim + d]!;
      if (s > best) best = s;
    }
    if (best > -Infinity) score += best;
  }
  return score;
}

/** Padded and masked tokens get this added before the max, so they never win it (similarities lie in [-1, 1]). */
const MASKED = -1e4;

/** Documents per block: large enough to amortise a session run, small enough to keep the [B·L, Nq] scores in cache. Measured: 256. */
const BLOCK_DOCS = 256;

interface Block {
  /** Document indices (insertion order) of this block's rows. */
  docs: Int32Array;
  vectors: ort.Tensor;
  bias: ort.Tensor;
}

interface PendingDoc {
  index: number;
  vectors: Float32Array | Uint16Array;
  length: number;
  keep?: Uint8Array;
}

export interface MaxSimIndexOptions {
  dim: number;
  /** onnxruntime intra-op threads; defaults to every core. */
  threads?: number;
}

/**
 * Exact MaxSim over many documents at once, using onnxruntime's MatMul kernels (MLAS sgemm) instead of
 * JavaScript loops. Documents are packed into length-bucketed blocks [B, L, dim] — padded to the block's
 * longest document, padded and masked tokens biased to −1e4 — and one small graph computes, per block,
 * MatMul(docs, queryᵀ) + bias → ReduceMax over L → ReduceSum over query tokens. Blocks are built once
 * and reused by every query; fp16 vectors stay fp16 in memory and are widened inside the graph.
 */
export class MaxSimIndex {
  private blocks: Block[] = [];
  private pending: PendingDoc[] = [];
  private count = 0;
  private sessions = new Map<string, Promise<ort.InferenceSession>>();
  private readonly threads: number;

  constructor(private readonly opts: MaxSimIndexOptions) {
    this.threads = opts.threads && opts.threads > 0 ? opts.threads : availableParallelism();
  }

  get size(): number {
    return this.count;
  }

  get dim(): number {
    return this.opts.dim;
  }

  /** Adds one document (row-major [length, dim]); returns its index in score arrays. */
  add(vectors: Float32Array | Uint16Array, length: number, keep?: Uint8Array): number {
    if (vectors.length !== length * this.opts.dim) {
      throw new Error(`document vectors hold ${vectors.length} values, expected ${length}×${this.opts.dim}`);
    }
    const index = this.count++;
    this.pending.push({ index, vectors, length, keep });
    return index;
  }

  /** One score per document, in insertion order. */
  async scoreAll(query: TokenVectors): Promise<Float32Array> {
    if (query.dim !== this.opts.dim) throw new Error(`query vectors are ${query.dim}-dim, index is ${this.opts.dim}-dim`);
    this.seal();
    const scores = new Float32Array(this.count);
    if (this.count === 0 || query.length === 0) return scores;
    const q = new ort.Tensor('float32', query.data.subarray(0, query.length * query.dim), [query.length, query.dim]);
    for (const block of this.blocks) {
      const session = await this.session(block.vectors.type as 'float32' | 'float16');
      const out = await session.run({ q, d: block.vectors, bias: block.bias });
      const s = out.scores!.data as Float32Array;
      for (let b = 0; b < block.docs.length; b++) scores[block.docs[b]!] = s[b]!;
    }
    return scores;
  }

  async topK(query: TokenVectors, k: number): Promise<Array<{ index: number; score: number }>> {
    const scores = await this.scoreAll(query);
    return selectTop(scores, k);
  }

  async release(): Promise<void> {
    for (const s of this.sessions.values()) await (await s).release();
    this.sessions.clear();
    this.blocks = [];
  }

  /** Packs pending documents into blocks; documents of similar length share a block to limit padding. */
  private seal(): void {
    if (this.pending.length === 0) return;
    const docs = this.pending.sort((a, b) => a.length - b.length || a.index - b.index);
    this.pending = [];
    const dim = this.opts.dim;
    for (let start = 0; start < docs.length; start += BLOCK_DOCS) {
      const group = docs.slice(start, start + BLOCK_DOCS);
      const L = Math.max(1, group[group.length - 1]!.length);
      const half = group.some((g) => g.vectors instanceof Uint16Array);
      const data = half ? new Uint16Array(group.length * L * dim) : new Float32Array(group.length * L * dim);
      const bias = new Float32Array(group.length * L).fill(MASKED);
      group.forEach((doc, b) => {
        if (half && doc.vectors instanceof Float32Array) throw new Error('cannot mix fp16 and fp32 documents in one index');
        (data as Float32Array | Uint16Array).set(doc.vectors as never, b * L * dim);
        for (let j = 0; j < doc.length; j++) bias[b * L + j] = doc.keep && !doc.keep[j] ? MASKED : 0;
      });
      this.blocks.push({
        docs: Int32Array.from(group.map((g) => g.index)),
        vectors: new ort.Tensor(half ? 'float16' : 'float32', data, [group.length, L, dim]),
        bias: new ort.Tensor('float32', bias, [group.length, L, 1]),
      });
    }
  }

  private session(type: 'float32' | 'float16'): Promise<ort.InferenceSession> {
    let s = this.sessions.get(type);
    if (!s) {
      s = ort.InferenceSession.create(maxSimGraph(this.opts.dim, type), {
        intraOpNumThreads: this.threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
      });
      this.sessions.set(type, s);
    }
    return s;
  }
}

/**
 * q [Nq, dim], d [B, L, dim], bias [B, L, 1] → scores [B]:
 * scores[b] = Σ_i max_j (d[b, j]·q[i] + bias[b, j]).
 */
export function maxSimGraph(dim: number, type: 'float32' | 'float16'): Uint8Array {
  const g = new GraphBuilder('maxsim');
  const q = g.input('q', 'float32', ['nq', dim]);
  let d = g.input('d', type, ['blocks', 'length', dim]);
  const bias = g.input('bias', 'float32', ['blocks', 'length', 1]);
  if (type === 'float16') d = g.op('Cast', [d], { to: 1 });
  const qt = g.op('Transpose', [q], { perm: [1, 0] });
  const sims = g.op('MatMul', [d, qt]);
  const masked = g.op('Add', [sims, bias]);
  const best = g.op('ReduceMax', [masked], { axes: [1], keepdims: 0 });
  const axes = g.initializer('sum_axes', 'int64', [1], BigInt64Array.from([1n]));
  g.op('ReduceSum', [best, axes], { keepdims: 0 }, 'scores');
  g.output('scores', 'float32', ['blocks']);
  return g.toBytes();
}

/** Indices of the k largest scores, best first, ties broken by index so rankings are reproducible. */
export function selectTop(scores: Float32Array, k: number): Array<{ index: number; score: number }> {
  const n = scores.length;
  const want = Math.min(Math.max(0, k), n);
  if (want === 0) return [];
  // A k-sized min-heap: O(n log k) instead of sorting every score.
  const heap: number[] = [];
  const worse = (a: number, b: number) => scores[a]! < scores[b]! || (scores[a] === scores[b] && a > b);
  const up = (i: number) => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!worse(heap[i]!, heap[p]!)) break;
      [heap[i], heap[p]] = [heap[p]!, heap[i]!];
      i = p;
    }
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && worse(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && worse(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (let i = 0; i < n; i++) {
    if (heap.length < want) {
      heap.push(i);
      up(heap.length - 1);
    } else if (worse(heap[0]!, i)) {
      heap[0] = i;
      down(0);
    }
  }
  return heap.sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0)).map((index) => ({ index, score: scores[index]! }));
}
