import type * as ort from 'onnxruntime-node';
import { ScaledMaxSim } from './ort-ops.js';
import { decodeToken, residualBytes, type ResidualBits } from './residual-codec.js';

/**
 * Padded rows per MaxSim call. Small on purpose: the block is decoded by JavaScript and then read by
 * sgemm, and at 4,096 rows (2 MiB at width 128) it is still in cache for the second reader; at 16k rows
 * decoding ran at half the speed, bound by memory writes.
 */
const BLOCK_ROWS = 4096;

export interface DecodedDocs {
  /** Number of documents. */
  count: number;
  /** Token count of document j, and where its codes / residual bytes start in the buffers below. */
  lengths: Uint32Array;
  codeStart: Uint32Array;
  codes: Uint16Array;
  residualStart: Uint32Array;
  residuals: Uint8Array;
}

/**
 * MaxSim of one query against decompressed documents (centroid + decoded residual per token). Documents
 * are sorted by length, decoded into a reused block `[B, L, dim]` and padded with copies of their first
 * row, which cannot change a maximum. Reconstructions of unit vectors are renormalised through the
 * graph's per-row scales, as ColBERTv2 renormalises its decompressed vectors (dropping the renormalisation
 * cost 1 point of recall@10 on the scale benchmark).
 *
 * Decoding stays in JavaScript: the same decode written as onnxruntime Gathers (centroid rows, then the
 * byte table) measured no faster, both at about 0.8 µs per token, half of it the decode itself.
 */
export class DecompressedScorer {
  private block = new Float32Array(0);
  private scales = new Float32Array(0);
  private session: Promise<ScaledMaxSim> | null = null;

  constructor(
    readonly dim: number,
    readonly nbits: ResidualBits,
    readonly normalized: boolean,
    readonly threads: number,
    private readonly centroids: Float32Array,
    private readonly table: Float32Array,
  ) {}

  /** Scores of `docs` against the query (`queryT` = [dim, nq]); documents of length 0 score 0. */
  async score(docs: DecodedDocs, queryT: ort.Tensor): Promise<Float32Array> {
    const { dim, nbits, normalized } = this;
    const scores = new Float32Array(docs.count);
    const order = Array.from({ length: docs.count }, (_, j) => j).filter((j) => docs.lengths[j]! > 0);
    order.sort((a, b) => docs.lengths[a]! - docs.lengths[b]! || a - b);
    if (order.length === 0) return scores;
    this.session ??= ScaledMaxSim.create(dim, this.threads);
    const session = await this.session;
    const bytesPerToken = residualBytes(dim, nbits);
    for (let start = 0; start < order.length; ) {
      let end = start + 1;
      while (end < order.length && (end - start + 1) * docs.lengths[order[end]!]! <= BLOCK_ROWS) end++;
      const length = docs.lengths[order[end - 1]!]!;
      const rows = (end - start) * length;
      if (this.block.length < rows * dim) {
        this.block = new Float32Array(Math.max(rows, BLOCK_ROWS) * dim);
        this.scales = new Float32Array(Math.max(rows, BLOCK_ROWS));
      }
      const { block, scales } = this;
      for (let b = start; b < end; b++) {
        const j = order[b]!;
        const row0 = (b - start) * length;
        const n = docs.lengths[j]!;
        const codeBase = docs.codeStart[j]!;
        const resBase = docs.residualStart[j]!;
        for (let t = 0; t < n; t++) {
          const norm = decodeToken(this.table, dim, nbits, this.centroids, docs.codes[codeBase + t]!, docs.residuals, resBase + t * bytesPerToken, block, (row0 + t) * dim);
          scales[row0 + t] = normalized && norm > 0 ? 1 / Math.sqrt(norm) : 1;
        }
        for (let t = n; t < length; t++) {
          block.copyWithin((row0 + t) * dim, row0 * dim, row0 * dim + dim);
          scales[row0 + t] = scales[row0]!;
        }
      }
      const blockScores = await session.run(block, scales, end - start, length, dim, queryT);
      for (let b = start; b < end; b++) scores[order[b]!] = blockScores[b - start]!;
      start = end;
    }
    return scores;
  }

  async release(): Promise<void> {
    if (!this.session) return;
    const session = this.session;
    this.session = null;
    await (await session).release();
  }
}

