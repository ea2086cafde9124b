import { throwIfAborted } from '../../contract/errors.js';
import { mulberry32 } from '../../eval/significance.js';
import type { Nearest } from './ort-ops.js';

export interface KMeansOptions {
  k: number;
  iterations: number;
  seed: number;
  /** Unit-length data: centroids are renormalised after each update (spherical k-means), as ColBERTv2 does. */
  spherical: boolean;
  nearest: Nearest;
  signal?: AbortSignal;
  onIteration?: (done: number, total: number) => void;
}

export interface KMeansResult {
  centroids: Float32Array;
  /** The last assignment of every point, against the returned centroids. */
  assignment: Int32Array;
}

/**
 * Lloyd's k-means over `n` points of width `dim`, seeded: initial centroids by k-means++ on a subsample
 * (see seedCentroids), a cluster left empty re-seeded from the same generator, so equal inputs, seed and
 * thread count give bit-identical centroids.
 */
export async function kmeans(points: Float32Array, n: number, dim: number, opts: KMeansOptions): Promise<KMeansResult> {
  const k = Math.min(opts.k, n);
  if (k < 1) throw new Error('k-means needs at least one point');
  const random = mulberry32(opts.seed);
  const centroids = seedCentroids(points, n, dim, k, random);
  const assignment = new Int32Array(n);
  const sums = new Float64Array(k * dim);
  const counts = new Int32Array(k);
  const nearest = opts.nearest;
  for (let iter = 0; iter < opts.iterations; iter++) {
    throwIfAborted(opts.signal, 'index build');
    nearest.setCentroids(centroids, k);
    await nearest.assign(points, n, assignment);
    sums.fill(0);
    counts.fill(0);
    for (let p = 0; p < n; p++) {
      const c = assignment[p]!;
      counts[c]!++;
      const base = c * dim;
      const src = p * dim;
      for (let d = 0; d < dim; d++) sums[base + d]! += points[src + d]!;
    }
    for (let c = 0; c < k; c++) {
      const base = c * dim;
      if (counts[c] === 0) {
        const p = Math.floor(random() * n);
        centroids.set(points.subarray(p * dim, p * dim + dim), base);
        continue;
      }
      let norm = 0;
      for (let d = 0; d < dim; d++) norm += sums[base + d]! * sums[base + d]!;
      const scale = opts.spherical ? (norm > 0 ? 1 / Math.sqrt(norm) : 0) : 1 / counts[c]!;
      for (let d = 0; d < dim; d++) centroids[base + d] = sums[base + d]! * scale;
    }
    opts.onIteration?.(iter + 1, opts.iterations);
  }
  nearest.setCentroids(centroids, k);
  await nearest.assign(points, n, assignment);
  return { centroids, assignment };
}

/** k-means++ seeding looks at this many points per centroid: enough to find every dense region. */
const SEED_POINTS_PER_CENTROID = 4;

/**
 * k-means++ seeding (each next centroid drawn with probability ∝ squared distance to the nearest one
 * chosen) on a random subsample of 4k points. Random seeding, as faiss does, leaves dense regions without
 * a centroid often enough that Lloyd's iterations never recover: two tight groups share one centroid and
 * every token of both keeps a residual as long as the distance between them, which 2-bit buckets cannot
 * carry. The full k-means++ costs k passes over the sample; on a subsample it is k · 4k · dim operations.
 */
function seedCentroids(points: Float32Array, n: number, dim: number, k: number, random: () => number): Float32Array {
  const m = Math.min(n, SEED_POINTS_PER_CENTROID * k);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < m; i++) {
    const j = i + Math.floor(random() * (n - i));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  const sub = new Float32Array(m * dim);
  for (let i = 0; i < m; i++) sub.set(points.subarray(order[i]! * dim, order[i]! * dim + dim), i * dim);
  const centroids = new Float32Array(k * dim);
  const nearest = new Float64Array(m).fill(Infinity);
  let pick = Math.floor(random() * m);
  for (let c = 0; c < k; c++) {
    centroids.set(sub.subarray(pick * dim, pick * dim + dim), c * dim);
    let total = 0;
    for (let i = 0; i < m; i++) {
      let d2 = 0;
      for (let d = 0; d < dim; d++) {
        const diff = sub[i * dim + d]! - sub[pick * dim + d]!;
        d2 += diff * diff;
      }
      if (d2 < nearest[i]!) nearest[i] = d2;
      total += nearest[i]!;
    }
    if (c + 1 === k) break;
    if (total <= 0) {
      // Fewer distinct points than centroids: the rest start on random points (and may stay empty).
      pick = Math.floor(random() * m);
      continue;
    }
    let target = random() * total;
    pick = m - 1;
    for (let i = 0; i < m; i++) {
      target -= nearest[i]!;
      if (target <= 0) {
        pick = i;
        break;
      }
    }
  }
  return centroids;
}

/** Above this many centroids the assignment pass gets slower per token than a laptop build can afford. */
export const MAX_DEFAULT_CENTROIDS = 8192;

/**
 * PLAID's centroid count, 2^floor(log2(16·√tokens)), capped at 8,192. Assigning every token costs
 * tokens × centroids × dim multiply-adds; the cap keeps that per-token cost fixed (about 40,000 tokens/s at
 * width 128 on two cores), so a build takes time linear in the collection: 8 minutes of assignment at 20M
 * tokens, where PLAID's 65,536 centroids would take an hour. Below the cap more centroids are nearly free
 * and they matter: on the scale benchmark at 5,000 passages (500k tokens), 1,024 centroids instead of 4,096
 * left candidate generation as good (recall@10 0.99 with exact rerank both ways) but cost decompressed
 * scoring 4 points (0.88 against 0.92), since coarser cells leave longer residuals for the same 2 bits.
 */
export function defaultCentroids(tokens: number): number {
  const k = 2 ** Math.floor(Math.log2(Math.max(1, 16 * Math.sqrt(tokens))));
  return Math.max(1, Math.min(MAX_DEFAULT_CENTROIDS, k));
}
