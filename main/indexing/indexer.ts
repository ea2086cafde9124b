import type { ModelSummary, OperationControl } from '../contract/api.js';
import type { TokenEncoder } from '../encoders/onnx-encoder.js';
import { SaegimError, throwIfAborted } from '../contract/errors.js';
import { pooledVector } from '../search/svr.js';
import { floatsToHalves } from '../store/half.js';
import type { SaegimStore } from '../store/store.js';
import type { EncodedText, VectorPrecision } from '../contract/types.js';
import { encodedChunks, formatDuration } from './pipeline.js';

export interface IndexingOptions extends OperationControl {
  precision: VectorPrecision;
  /** Passages encoded and committed together; a killed run loses at most the chunks in flight (two). */
  chunkSize?: number;
  /** The indexing lock this run holds (store.tryLockIndexing); every chunk is written under it. */
  lockOwner?: string;
}

export interface IndexingOutcome {
  encoded: number;
  alreadyIndexed: number;
  totalIndexed: number;
  tokens: number;
  seconds: number;
}

export function modelSummary(encoder: TokenEncoder): ModelSummary {
  return {
    name: encoder.name,
    dir: encoder.dir,
    fingerprint: encoder.fingerprint,
    dim: encoder.dim,
    maxLength: encoder.manifest.maxLength,
    architecture: encoder.manifest.architecture,
  };
}

/**
 * Encodes every passage that has no vectors yet, chunk by chunk, each chunk committed in its own
 * transaction, the next chunks encoding while one is written (indexing/pipeline.ts). Killing the process
 * at any point leaves whole chunks only, so running it again continues where it stopped with no passage
 * lost or duplicated (the store's primary key forbids duplicates). Progress says the rate and an ETA
 * from this run's own pace.
 */
export async function indexPassages(store: SaegimStore, collectionId: number, encoder: TokenEncoder, opts: IndexingOptions): Promise<IndexingOutcome> {
  const started = performance.now();
  const bound = store.bindModel(collectionId, modelSummary(encoder), opts.precision, encoder.manifest.pooledOutput ? 'model' : 'mean');
  const precision = bound.precision;
  // A collection first indexed with mean pooling keeps it, so that all its passages stay comparable.
  const pooledOf = (out: EncodedText): Float32Array => {
    if (bound.pooling === 'mean') return pooledVector(out.vectors);
    if (!out.pooled) throw new SaegimError('model-invalid', `${encoder.dir}: the collection keeps the model's pooled vectors, but the model gave none`);
    return out.pooled;
  };
  const counts = store.counts(collectionId);
  const alreadyIndexed = counts.indexed;
  const total = counts.passages;
  // Chunks of 256 keep both cores busy on large collections; a small one still reports (and can be
  // cancelled) at least every 5%, which a single 256-passage chunk would not.
  const chunkSize = opts.chunkSize ?? Math.min(256, Math.max(16, Math.ceil((total - alreadyIndexed) / 20)));
  let encoded = 0;
  let tokens = 0;
  opts.onProgress?.({ phase: 'encoding', done: alreadyIndexed, total });
  for await (const { chunk, outputs } of encodedChunks(store, collectionId, encoder, { chunkSize, signal: opts.signal })) {
    throwIfAborted(opts.signal, 'indexing');
    store.writeDocVectors(
      collectionId,
      chunk.map((passage, i) => {
        const out = outputs[i]!;
        tokens += out.vectors.length;
        return {
          ord: passage.ord,
          nTokens: out.vectors.length,
          vectors: precision === 'fp16' ? floatsToHalves(out.vectors.data) : out.vectors.data,
          offsets: out.offsets,
          tokenIds: out.ids,
          pooled: pooledOf(out),
        };
      }),
      opts.lockOwner,
    );
    encoded += chunk.length;
    const seconds = (performance.now() - started) / 1000;
    const left = total - alreadyIndexed - encoded;
    opts.onProgress?.({
      phase: 'encoding',
      done: alreadyIndexed + encoded,
      total,
      message: `${Math.round(tokens / seconds).toLocaleString('en-US')} tokens/s${left > 0 ? ` · ETA ${formatDuration((left * seconds) / encoded)}` : ''}`,
    });
  }
  return {
    encoded,
    alreadyIndexed,
    totalIndexed: alreadyIndexed + encoded,
    tokens,
    seconds: (performance.now() - started) / 1000,
  };
}
