import { mulberry32 } from '../../eval/significance.js';
import type { MatMul } from './ort-ops.js';

/**
 * Width reduction before compression, so 3,584-wide Dream vectors can be indexed: a `[inputDim, dim]`
 * matrix P with orthonormal columns, applied as x·P and followed by renormalisation when the index holds
 * unit vectors. Queries go through the same matrix inside search().
 *
 * - `pca`: the top eigenvectors of the uncentred second moment E[x xᵀ]. MaxSim ranks by dot products, and
 *   the uncentred moment is what preserves them; centring would throw away the mean direction, which
 *   carries a large share of every dot product between token vectors of one model.
 * - `random`: a seeded Gaussian matrix with orthonormalised columns (Johnson–Lindenstrauss): no fitting,
 *   no sample, and no bias towards what the first documents of the stream were about.
 */
export type ProjectionKind = 'pca' | 'random';

export interface ProjectionOptions {
  kind: ProjectionKind;
  dim: number;
  /** Leading tokens of the stream PCA is fitted on (default 16,384). */
  sample?: number;
}

/** Gaussian draws from a seeded uniform generator (Box–Muller). */
export function gaussian(random: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    let u = 0;
    while (u <= Number.MIN_VALUE) u = random();
    const v = random();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** Modified Gram–Schmidt on the columns of a row-major `[rows, cols]` matrix, in place. */
export function orthonormalizeColumns(m: Float64Array, rows: number, cols: number): void {
  for (let c = 0; c < cols; c++) {
    for (let prev = 0; prev < c; prev++) {
      let dot = 0;
      for (let r = 0; r < rows; r++) dot += m[r * cols + c]! * m[r * cols + prev]!;
      for (let r = 0; r < rows; r++) m[r * cols + c]! -= dot * m[r * cols + prev]!;
    }
    let norm = 0;
    for (let r = 0; r < rows; r++) norm += m[r * cols + c]! * m[r * cols + c]!;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let r = 0; r < rows; r++) m[r * cols + c]! *= scale;
  }
}

export function randomProjection(inputDim: number, dim: number, seed: number): Float32Array {
  const next = gaussian(mulberry32(seed));
  const m = new Float64Array(inputDim * dim);
  for (let i = 0; i < m.length; i++) m[i] = next();
  orthonormalizeColumns(m, inputDim, dim);
  return Float32Array.from(m);
}

/** Second-moment accumulation in blocks of this many rows: XᵀX is one sgemm per block. */
const GRAM_ROWS = 1024;
const SUBSPACE_ITERATIONS = 30;

/**
 * PCA without centring, by subspace iteration on the Gram matrix G = XᵀX: Y = G·V, orthonormalise, repeat.
 * Thirty rounds separate the leading `dim` eigenvectors of a token-vector spectrum well; each costs one
 * [inputDim, inputDim]·[inputDim, dim] product, 1.6 GFLOP at 3,584 → 128.
 */
export async function pcaProjection(rows: Float32Array, n: number, inputDim: number, dim: number, seed: number, matmul: MatMul): Promise<Float32Array> {
  const gram = new Float32Array(inputDim * inputDim);
  const block = new Float32Array(GRAM_ROWS * inputDim);
  for (let start = 0; start < n; start += GRAM_ROWS) {
    const count = Math.min(GRAM_ROWS, n - start);
    // Xᵀ of the block, row-major [inputDim, count].
    for (let r = 0; r < count; r++) for (let d = 0; d < inputDim; d++) block[d * count + r] = rows[(start + r) * inputDim + d]!;
    const part = await matmul.run(block, inputDim, count, rows.subarray(start * inputDim, (start + count) * inputDim), inputDim);
    for (let i = 0; i < gram.length; i++) gram[i]! += part[i]!;
  }
  let basis = Float64Array.from(randomProjection(inputDim, dim, seed));
  for (let iter = 0; iter < SUBSPACE_ITERATIONS; iter++) {
    const next = await matmul.run(gram, inputDim, inputDim, Float32Array.from(basis), dim);
    basis = Float64Array.from(next);
    orthonormalizeColumns(basis, inputDim, dim);
  }
  // Order the columns by the variance they carry (Rayleigh quotients), largest first, so a projection
  // truncated later keeps the most informative directions.
  const gv = await matmul.run(gram, inputDim, inputDim, Float32Array.from(basis), dim);
  const energy = Array.from({ length: dim }, (_, c) => {
    let e = 0;
    for (let r = 0; r < inputDim; r++) e += basis[r * dim + c]! * gv[r * dim + c]!;
    return { c, e };
  }).sort((a, b) => b.e - a.e || a.c - b.c);
  const out = new Float32Array(inputDim * dim);
  for (let r = 0; r < inputDim; r++) for (let j = 0; j < dim; j++) out[r * dim + j] = basis[r * dim + energy[j]!.c]!;
  return out;
}

/** `rows × inputDim` vectors times P into `rows × dim`, renormalised when `normalize`. */
export async function projectRows(
  matmul: MatMul,
  input: Float32Array,
  rows: number,
  inputDim: number,
  matrix: Float32Array,
  dim: number,
  normalize: boolean,
): Promise<Float32Array> {
  const out = await matmul.run(input, rows, inputDim, matrix, dim);
  if (normalize) normalizeRows(out, rows, dim);
  return out;
}

export function normalizeRows(data: Float32Array, rows: number, dim: number): void {
  for (let r = 0; r < rows; r++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += data[r * dim + j]! * data[r * dim + j]!;
    if (norm <= 0) continue;
    const scale = 1 / Math.sqrt(norm);
    for (let j = 0; j < dim; j++) data[r * dim + j]! *= scale;
  }
}
