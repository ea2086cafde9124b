import { mulberry32 } from '../eval/significance.js';
import { MaxSimIndex, type MaxSimKernel } from '../search/maxsim.js';
import { floatsToHalves } from '../store/half.js';
import type { TokenVectors } from '../contract/types.js';

export interface MaxSimBenchOptions {
  docs: number;
  docTokens: number;
  queryTokens: number;
  dim: number;
  precision: 'fp32' | 'fp16';
  /** Timed queries after one warm-up query (default 5). */
  queries?: number;
  seed?: number;
  threads?: number;
  /** Share of each document's tokens masked, as punctuation is (default 0.1; every k-th token). */
  maskedShare?: number;
  /** The index's default (the native kernel where it was built) unless given. */
  kernel?: MaxSimKernel;
}

export interface MaxSimBenchResult {
  /** `native-avx512`, `native-avx2`, `native-scalar` or `onnx` (MaxSimIndex.kernel). */
  kernel: string;
  precision: 'fp32' | 'fp16';
  docs: number;
  doc_tokens: number;
  query_tokens: number;
  dim: number;
  queries: number;
  threads: number;
  blocks: number;
  /** Documents scored per second, over the mean query time. */
  docs_per_s: number;
  ms_per_query: number;
  /** Fastest single query, less exposed to other processes on a shared machine. */
  best_ms_per_query: number;
  /** Multiply-adds ×2 per second, padding rows included: how close the kernel runs to the CPU's peak. */
  gflops: number;
  /** One-off cost of sorting and copying the documents into blocks. */
  pack_ms: number;
  masked_share: number;
  /** The same queries skipping the masked tokens (punctuation skipping), on the same packing. */
  skip_masked_ms_per_query: number;
  skip_masked_best_ms_per_query: number;
}

/** Random unit vectors, seeded: the figure depends on arithmetic, not on what the vectors mean. */
function unitVectors(random: () => number, rows: number, dim: number): Float32Array {
  const out = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const v = random() * 2 - 1;
      out[r * dim + d] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm) || 1;
    for (let d = 0; d < dim; d++) out[r * dim + d]! /= norm;
  }
  return out;
}

/** Exact MaxSim throughput of one query at a time over documents held in memory. */
export async function benchMaxSim(opts: MaxSimBenchOptions): Promise<MaxSimBenchResult> {
  const random = mulberry32(opts.seed ?? 7);
  const index = new MaxSimIndex({ dim: opts.dim, threads: opts.threads, kernel: opts.kernel });
  const maskedShare = opts.maskedShare ?? 0.1;
  const mask = new Uint8Array(opts.docTokens).fill(1);
  if (maskedShare > 0) for (let j = 0; j < opts.docTokens; j += Math.max(1, Math.round(1 / maskedShare))) mask[j] = 0;
  try {
    let packMs = 0;
    for (let i = 0; i < opts.docs; i++) {
      const v = unitVectors(random, opts.docTokens, opts.dim);
      const stored = opts.precision === 'fp16' ? floatsToHalves(v) : v;
      const started = performance.now();
      index.add(stored, opts.docTokens, mask);
      packMs += performance.now() - started;
    }
    const started = performance.now();
    index.pack();
    packMs += performance.now() - started;
    const count = Math.max(1, opts.queries ?? 5);
    const query = (): TokenVectors => ({ length: opts.queryTokens, dim: opts.dim, data: unitVectors(random, opts.queryTokens, opts.dim) });
    // Creates the sessions, touches every block once and builds the gather rows.
    const warm = query();
    await index.scoreAll(warm, { skipMasked: false });
    await index.scoreAll(warm, { skipMasked: true });
    const times: number[] = [];
    const skipTimes: number[] = [];
    // Alternated query by query, so both settings see the same machine state.
    for (let i = 0; i < count; i++) {
      const q = query();
      let t = performance.now();
      await index.scoreAll(q, { skipMasked: false });
      times.push(performance.now() - t);
      t = performance.now();
      await index.scoreAll(q, { skipMasked: true });
      skipTimes.push(performance.now() - t);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const meanMs = mean(times);
    const padded = index.blockShapes().reduce((sum, b) => sum + b.docs * b.length, 0);
    return {
      kernel: index.kernel,
      precision: opts.precision,
      docs: opts.docs,
      doc_tokens: opts.docTokens,
      query_tokens: opts.queryTokens,
      dim: opts.dim,
      queries: count,
      threads: index.threads,
      blocks: index.blockShapes().length,
      docs_per_s: opts.docs / (meanMs / 1000),
      ms_per_query: meanMs,
      best_ms_per_query: Math.min(...times),
      gflops: (2 * padded * opts.queryTokens * opts.dim) / (meanMs / 1000) / 1e9,
      pack_ms: packMs,
      masked_share: maskedShare,
      skip_masked_ms_per_query: mean(skipTimes),
      skip_masked_best_ms_per_query: Math.min(...skipTimes),
    };
  } finally {
    await index.release();
  }
}
