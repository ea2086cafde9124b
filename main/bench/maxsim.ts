import { mulberry32 } from '../eval/significance.js';
import { MaxSimIndex } from '../search/maxsim.js';
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
}

export interface MaxSimBenchResult {
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
  /** Multiply-adds ×2 of the MatMuls per second: how close the kernel runs to the CPU's peak. */
  gflops: number;
  /** One-off cost of sorting and copying the documents into blocks. */
  pack_ms: number;
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
  const index = new MaxSimIndex({ dim: opts.dim, threads: opts.threads });
  try {
    let packMs = 0;
    for (let i = 0; i < opts.docs; i++) {
      const v = unitVectors(random, opts.docTokens, opts.dim);
      const stored = opts.precision === 'fp16' ? floatsToHalves(v) : v;
      const started = performance.now();
      index.add(stored, opts.docTokens);
      packMs += performance.now() - started;
    }
    const started = performance.now();
    index.pack();
    packMs += performance.now() - started;
    const count = Math.max(1, opts.queries ?? 5);
    const query = (): TokenVectors => ({ length: opts.queryTokens, dim: opts.dim, data: unitVectors(random, opts.queryTokens, opts.dim) });
    await index.scoreAll(query()); // creates the session and touches every block once
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const q = query();
      const t = performance.now();
      await index.scoreAll(q);
      times.push(performance.now() - t);
    }
    const meanMs = times.reduce((a, b) => a + b, 0) / times.length;
    const padded = index.blockShapes().reduce((sum, b) => sum + b.docs * b.length, 0);
    return {
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
    };
  } finally {
    await index.release();
  }
}
