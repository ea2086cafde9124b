/**
 * Residual quantisation (ColBERTv2): a token vector is stored as its nearest centroid plus the residual
 * x − c, each residual component reduced to `nbits` bits by per-dimension buckets.
 *
 * ColBERTv2 takes one set of bucket cutoffs for all dimensions at the residuals' quantiles. Here each
 * dimension has its own buckets and they are refined by Lloyd–Max iterations (cutoffs halfway between
 * weights, weights at the mean of their bucket): the same storage, a lower squared error, and it matters
 * after a PCA projection, where the variance of the residual differs between the first and last dimensions
 * by an order of magnitude.
 *
 * Codes are packed little-endian within bytes: dimension d sits at bit (d·nbits) of the token's bytes.
 */
export type ResidualBits = 1 | 2 | 4;

export interface ResidualBuckets {
  dim: number;
  nbits: ResidualBits;
  /** `dim × (2^nbits − 1)` ascending cutoffs: a value above cutoff j falls in bucket j + 1 or later. */
  cutoffs: Float32Array;
  /** `dim × 2^nbits` reconstruction values, one per bucket. */
  weights: Float32Array;
}

export function residualBytes(dim: number, nbits: ResidualBits): number {
  return Math.ceil((dim * nbits) / 8);
}

/** At most this many residual rows are sorted per dimension: quantiles of 64k values move by < 1 %. */
const BUCKET_SAMPLE = 65536;
const LLOYD_ITERATIONS = 30;

/** Buckets fitted to `n` residual rows of width `dim`. */
export function trainBuckets(residuals: Float32Array, n: number, dim: number, nbits: ResidualBits): ResidualBuckets {
  const levels = 1 << nbits;
  const cutoffs = new Float32Array(dim * (levels - 1));
  const weights = new Float32Array(dim * levels);
  const rows = Math.min(n, BUCKET_SAMPLE);
  const step = n / Math.max(1, rows);
  const column = new Float64Array(rows);
  for (let d = 0; d < dim; d++) {
    for (let r = 0; r < rows; r++) column[r] = residuals[Math.floor(r * step) * dim + d]!;
    column.sort();
    const w = new Float64Array(levels);
    // Start from ColBERTv2's choice: weights at the bucket quantile midpoints.
    for (let j = 0; j < levels; j++) w[j] = rows > 0 ? column[Math.min(rows - 1, Math.floor(((j + 0.5) / levels) * rows))]! : 0;
    const cut = new Float64Array(levels - 1);
    for (let iter = 0; iter < LLOYD_ITERATIONS && rows > 0; iter++) {
      for (let j = 0; j < levels - 1; j++) cut[j] = (w[j]! + w[j + 1]!) / 2;
      // The column is sorted, so each bucket is one contiguous run and its mean one pass.
      let start = 0;
      for (let j = 0; j < levels; j++) {
        let end = start;
        let sum = 0;
        while (end < rows && (j === levels - 1 || column[end]! <= cut[j]!)) sum += column[end++]!;
        if (end > start) w[j] = sum / (end - start);
        start = end;
      }
    }
    for (let j = 0; j < levels - 1; j++) cutoffs[d * (levels - 1) + j] = (w[j]! + w[j + 1]!) / 2;
    for (let j = 0; j < levels; j++) weights[d * levels + j] = w[j]!;
  }
  return { dim, nbits, cutoffs, weights };
}

/** Bucket of `value` for dimension d: the number of that dimension's cutoffs strictly below it. */
function bucketOf(cutoffs: Float32Array, base: number, count: number, value: number): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (value > cutoffs[base + mid]!) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Quantises one residual row (`dim` values at `src`) into `residualBytes(dim, nbits)` bytes at `outOffset`.
 */
export function packResidual(buckets: ResidualBuckets, residual: Float32Array, src: number, out: Uint8Array, outOffset: number): void {
  const { dim, nbits, cutoffs } = buckets;
  const count = (1 << nbits) - 1;
  const bytes = residualBytes(dim, nbits);
  out.fill(0, outOffset, outOffset + bytes);
  for (let d = 0; d < dim; d++) {
    const code = bucketOf(cutoffs, d * count, count, residual[src + d]!);
    const bit = d * nbits;
    out[outOffset + (bit >> 3)]! |= code << (bit & 7);
  }
}

/**
 * Byte-at-a-time decoding table: entry (position p, byte b) holds the reconstructed residual of the
 * 8/nbits dimensions that byte p encodes. One lookup replaces 8/nbits shifts, masks and weight lookups,
 * and the table is dim × 256 floats whatever nbits is (128 KiB at width 128).
 */
export function decodeTable(buckets: ResidualBuckets): Float32Array {
  const { dim, nbits, weights } = buckets;
  const perByte = 8 / nbits;
  const bytes = residualBytes(dim, nbits);
  const levels = 1 << nbits;
  const mask = levels - 1;
  const table = new Float32Array(bytes * 256 * perByte);
  for (let p = 0; p < bytes; p++) {
    for (let b = 0; b < 256; b++) {
      for (let s = 0; s < perByte; s++) {
        const d = p * perByte + s;
        if (d >= dim) break;
        table[(p * 256 + b) * perByte + s] = weights[d * levels + ((b >> (s * nbits)) & mask)]!;
      }
    }
  }
  return table;
}

/**
 * Writes centroid + decoded residual for one token into `out` at `outOffset` and returns its squared norm.
 * Renormalising is left to the caller (the scorer folds 1/‖x̂‖ into the similarity matrix, which has fewer
 * columns than the vector has dimensions): a second pass over the row costs as much as decoding it.
 */
export function decodeToken(
  table: Float32Array,
  dim: number,
  nbits: ResidualBits,
  centroids: Float32Array,
  code: number,
  residuals: Uint8Array,
  resOffset: number,
  out: Float32Array,
  outOffset: number,
): number {
  // Integer shifts, not 8 / nbits: a float-valued index sends V8 down its slow element path (10× here).
  const shift = nbits === 1 ? 3 : nbits === 2 ? 2 : 1;
  const perByte = 1 << shift;
  const bytes = (dim * nbits + 7) >> 3;
  const cBase = code * dim;
  const full = dim >> shift;
  let norm = 0;
  if (nbits === 2) {
    // The default: four dimensions per byte written out, 30 % faster than the inner loop below.
    for (let p = 0; p < full; p++) {
      const t = ((p << 8) | residuals[resOffset + p]!) << 2;
      const d0 = outOffset + (p << 2);
      const c0 = cBase + (p << 2);
      const v0 = centroids[c0]! + table[t]!;
      const v1 = centroids[c0 + 1]! + table[t + 1]!;
      const v2 = centroids[c0 + 2]! + table[t + 2]!;
      const v3 = centroids[c0 + 3]! + table[t + 3]!;
      out[d0] = v0;
      out[d0 + 1] = v1;
      out[d0 + 2] = v2;
      out[d0 + 3] = v3;
      norm += v0 * v0 + v1 * v1 + v2 * v2 + v3 * v3;
    }
  } else {
    for (let p = 0; p < full; p++) {
      const t = ((p << 8) | residuals[resOffset + p]!) << shift;
      const d0 = outOffset + (p << shift);
      const c0 = cBase + (p << shift);
      for (let s = 0; s < perByte; s++) {
        const v = centroids[c0 + s]! + table[t + s]!;
        out[d0 + s] = v;
        norm += v * v;
      }
    }
  }
  for (let p = full; p < bytes; p++) {
    const t = ((p << 8) | residuals[resOffset + p]!) << shift;
    for (let d = p << shift; d < dim; d++) {
      const v = centroids[cBase + d]! + table[t + d - (p << shift)]!;
      out[outOffset + d] = v;
      norm += v * v;
    }
  }
  return norm;
}
