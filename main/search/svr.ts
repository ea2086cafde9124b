import type { ScoredPassage, TokenVectors } from '../contract/types.js';
import { topK } from './top-k.js';

/**
 * Single-vector retrieval (SVR) baseline: one vector per text, the mean of its token vectors,
 * re-normalised, scored by cosine. It uses the same encoder as MVR, so the comparison isolates
 * late interaction from the encoder itself.
 */
export function pooledVector(vectors: TokenVectors): Float32Array {
  const out = new Float32Array(vectors.dim);
  for (let i = 0; i < vectors.length; i++) {
    const row = i * vectors.dim;
    for (let d = 0; d < vectors.dim; d++) out[d]! += vectors.data[row + d]!;
  }
  let norm = 0;
  for (let d = 0; d < out.length; d++) norm += out[d]! * out[d]!;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let d = 0; d < out.length; d++) out[d]! /= norm;
  return out;
}

/** A JavaScript string of a passage id, with its header, as a resident-size estimate counts it. */
export const ID_STRING_BYTES = 48;

/**
 * Brute-force cosine index over pooled vectors, packed contiguously for cache-friendly scans. Its width is the
 * first vector's unless given: a model's pooled output need not be as wide as its token vectors.
 */
export class PooledVectorIndex {
  private data: Float32Array;
  private ids: string[] = [];
  private width: number | null;

  constructor(dim: number | null = null, private readonly capacity = 1024) {
    this.width = dim;
    this.data = new Float32Array(dim === null ? 0 : dim * capacity);
  }

  get size(): number {
    return this.ids.length;
  }

  /** The vectors' width; null while an index created without one is empty. */
  get dim(): number | null {
    return this.width;
  }

  /** The vector buffer (grown by doubling) and, roughly, the id strings. */
  residentBytes(): number {
    return this.data.byteLength + this.ids.length * ID_STRING_BYTES;
  }

  add(docId: string, vector: Float32Array): void {
    if (this.width === null) {
      this.width = vector.length;
      this.data = new Float32Array(vector.length * this.capacity);
    }
    const dim = this.width;
    if (vector.length !== dim) throw new Error(`pooled vector has ${vector.length} dims, index has ${dim}`);
    if ((this.ids.length + 1) * dim > this.data.length) {
      const grown = new Float32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data.set(vector, this.ids.length * dim);
    this.ids.push(docId);
  }

  topK(query: Float32Array, k: number): ScoredPassage[] {
    const n = this.ids.length;
    if (n === 0) return [];
    const dim = this.width!;
    if (query.length !== dim) throw new Error(`query vector has ${query.length} dims, pooled index has ${dim}`);
    const scores = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      const base = i * dim;
      for (let d = 0; d < dim; d++) s += query[d]! * this.data[base + d]!;
      scores[i] = s;
    }
    return topK(scores, k).map(({ index, score }, r) => ({ docId: this.ids[index]!, score, rank: r + 1 }));
  }
}
