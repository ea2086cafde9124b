import type { ProjectionKind } from './projection.js';
import type { ResidualBits } from './residual-codec.js';

/** What an open (or just built) compressed index holds and what it costs on disk. */
export interface CompressedIndexInfo {
  dir: string;
  format: string;
  version: number;
  /** Width of stored vectors (after projection) and of vectors callers pass in. */
  dim: number;
  inputDim: number;
  projection: ProjectionKind | null;
  nbits: ResidualBits;
  centroids: number;
  normalized: boolean;
  /** Slots, including removed ones. */
  docs: number;
  liveDocs: number;
  removedDocs: number;
  tokens: number;
  /** Documents added by append() since the centroids were trained. */
  appendedDocs: number;
  /** Every side file's size in bytes. */
  files: Record<string, number>;
  bytes: number;
  bytesPerToken: number;
  /** See CompressedIndex.drift(). */
  drift: number;
  buildSeconds: number;
}
