/**
 * A compressed multi-vector index in the family of ColBERTv2 / PLAID: k-means centroids, residuals
 * quantised to 1–4 bits per dimension, centroid → document inverted lists, candidate generation and
 * pruning by centroid scores, and MaxSim on decompressed (or exact) vectors of the survivors. The shape
 * of the API is the one the retriever registry expects; beyond it, `CompressedIndex.open` takes an
 * optional `{ threads }`, `append` an optional `{ signal, onProgress }`, the build options an optional
 * `projection`, and `compact()` merges appended lists early.
 */
export { buildCompressedIndex, DEFAULT_KMEANS_ITERATIONS, DEFAULT_NBITS, type BuildControl, type BuildProgress, type CompressedIndexOptions } from './build.js';
export {
  CompressedIndex,
  searchDefaults,
  type AppendControl,
  type CompressedOpenOptions,
  type CompressedSearchOptions,
  type ExactScorer,
  type SearchStats,
} from './compressed-index.js';
export type { CompressedDocInput, CompressedDocSource } from './documents.js';
export type { CompressedIndexInfo } from './info.js';
export { defaultCentroids } from './kmeans.js';
export type { ProjectionKind, ProjectionOptions } from './projection.js';
