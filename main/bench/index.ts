import { SaegimError } from '../contract/errors.js';
import { benchBm25 } from './bm25.js';
import { benchBurst } from './burst.js';
import { benchEncode } from './encode.js';
import { benchMaxSim } from './maxsim.js';

export interface BenchFlags {
  docs?: number;
  docTokens?: number;
  queryTokens?: number;
  dim?: number;
  queries?: number;
  precision?: 'fp16' | 'fp32';
  threads?: number;
  model?: string;
  /** burst: passages in the generated collection. */
  passages?: number;
  /** burst: concurrent searches. */
  searches?: number;
  /** burst: the engine on the HTTP thread instead of a worker thread. */
  inProcess?: boolean;
  /** burst: a database to keep the indexed collection in. */
  db?: string;
}

/** `saegim bench <what>`: figures for the README, never pass/fail checks. */
export async function runBenchmark(what: string, flags: BenchFlags): Promise<Record<string, unknown>> {
  switch (what) {
    case 'maxsim':
      return {
        ...(await benchMaxSim({
          docs: flags.docs ?? 20000,
          docTokens: flags.docTokens ?? 128,
          queryTokens: flags.queryTokens ?? 32,
          dim: flags.dim ?? 128,
          precision: flags.precision ?? 'fp32',
          queries: flags.queries,
          threads: flags.threads,
        })),
      };
    case 'bm25':
      return { ...(await benchBm25({ docs: flags.docs, queries: flags.queries })) };
    case 'encode':
      return benchEncode({ model: flags.model, docs: flags.docs, threads: flags.threads });
    case 'burst':
      return benchBurst({ passages: flags.passages, searches: flags.searches, model: flags.model, inProcess: flags.inProcess, db: flags.db });
    default:
      throw new SaegimError('bad-input', `unknown benchmark "${what}" (use maxsim, bm25, encode or burst)`);
  }
}
