import type { Nearest } from './ort-ops.js';
import { packResidual, residualBytes, type ResidualBuckets } from './residual-codec.js';

export interface EncodedRows {
  codes: Uint16Array;
  residuals: Uint8Array;
  /** Σ ‖x − c(x)‖ over the rows: what drift() compares between built and appended tokens. */
  residualNormSum: number;
}

/**
 * Token rows to (centroid code, packed residual): the one encoding build and append share, so appended
 * documents are stored exactly as built ones would have been against the same centroids.
 */
export class TokenCodec {
  readonly bytesPerToken: number;
  private residual: Float32Array;

  constructor(
    private readonly nearest: Nearest,
    readonly centroids: Float32Array,
    readonly buckets: ResidualBuckets,
  ) {
    this.bytesPerToken = residualBytes(buckets.dim, buckets.nbits);
    this.residual = new Float32Array(buckets.dim);
    nearest.setCentroids(centroids, centroids.length / buckets.dim);
  }

  async encode(rows: Float32Array, count: number): Promise<EncodedRows> {
    const dim = this.buckets.dim;
    const assignment = new Int32Array(count);
    await this.nearest.assign(rows, count, assignment);
    const codes = new Uint16Array(count);
    const residuals = new Uint8Array(count * this.bytesPerToken);
    const r = this.residual;
    const centroids = this.centroids;
    let normSum = 0;
    for (let t = 0; t < count; t++) {
      const c = assignment[t]!;
      codes[t] = c;
      let norm = 0;
      for (let d = 0; d < dim; d++) {
        const v = rows[t * dim + d]! - centroids[c * dim + d]!;
        r[d] = v;
        norm += v * v;
      }
      normSum += Math.sqrt(norm);
      packResidual(this.buckets, r, 0, residuals, t * this.bytesPerToken);
    }
    return { codes, residuals, residualNormSum: normSum };
  }
}
