import { mulberry32 } from '../eval/significance.js';
import { MaxSimIndex } from '../search/maxsim.js';
import { floatsToHalves } from '../store/half.js';
import type { TokenVectors } from '../types.js';

export interface MaxSimBenchOptions {
  docs: number;
  docTokens: number;
  queryTokens: number;
  dim: number;
  precision: 'fp32' | 'fp16';
  queries?: number;
  seed?: number;
  threads?: number;
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
    norm = Math.sqrt(norm);
    for (let d = 0; d < dim; d++) out[r * dim + d]! /= norm;
  }
  return out;
}

/** Exact MaxSim throughput of one query at a time over documents held in memory. */
export async function benchMaxSim(opts: MaxSimBenchOptions): Promise<Record<string, number | string>> {
  const random = mulberry32(opts.seed ?? 7);
  const index = new MaxSimIndex({ dim: opts.dim, threads: opts.threads });
  for (let i = 0; i < opts.docs; i++) {
    const v = unitVectors(random, opts.docTokens, opts.dim);
    index.add(opts.precision === 'fp16' ? floatsToHalves(v) : v, opts.docTokens);
  }
  const queries: TokenVectors[] = Array.from({ length: opts.queries ?? 5 }, () => ({ length: opts.queryTokens, dim: opts.dim, data: unitVectors(random, opts.queryTokens, opts.dim) }));
  await index.scoreAll(queries[0]!); // packs blocks and warms the session
  const started = performance.now();
  for (const q of queries) await index.scoreAll(q);
  const seconds = (performance.now() - started) / 1000;
  await index.release();
  return {
    precision: opts.precision,
    docs: opts.docs,
    doc_tokens: opts.docTokens,
    query_tokens: opts.queryTokens,
    dim: opts.dim,
    queries: queries.length,
    docs_per_s: (opts.docs * queries.length) / seconds,
    ms_per_query: (seconds * 1000) / queries.length,
  };
}
