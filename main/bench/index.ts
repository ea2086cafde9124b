import { SaegimError } from '../contract/errors.js';
import { parseProjectionSpec, type ProjectionSpec } from '../contract/projection.js';
import { benchBm25 } from './bm25.js';
import { benchBurst } from './burst.js';
import { benchEncode } from './encode.js';
import { benchIngest, parseStages } from './ingest.js';
import { benchMaxSim } from './maxsim.js';
import { benchMaxSimWithPeers } from './maxsim-peers.js';
import { benchScale } from './scale.js';

export interface BenchFlags {
  docs?: number;
  docTokens?: number;
  queryTokens?: number;
  dim?: number;
  queries?: number;
  precision?: 'fp16' | 'fp32';
  threads?: number;
  model?: string;
  /** encode, ingest: onnxruntime sessions in worker threads (0: on the main thread). */
  workers?: number;
  /** encode: run the onnxruntime-Python peer (tools/bench_encode_ort.py) between our runs; maxsim: maxsim-cpu and numpy (tools/bench_maxsim_peers.py). */
  peer?: boolean;
  /** encode: timed runs of each engine. */
  rounds?: number;
  /** ingest: comma-separated stages (import, bm25, encode). */
  stages?: string;
  /** burst, scale: passages in the generated collection (scale reads `docs` when this is absent). */
  passages?: number;
  /** scale: compressed-index build and search parameters, and the noise of the synthetic passages. */
  nbits?: 1 | 2 | 4;
  centroids?: number;
  nprobe?: number;
  candidates?: number;
  centroidThreshold?: number;
  noise?: number;
  /** scale: passages held by the exact scan at once. */
  exactChunk?: number;
  /** scale: also measure MUVERA encodings as candidate generator, "repetitions,simhashBits,projection". */
  muvera?: string;
  /** scale: project the compressed index, "pca:128" or "random:128". */
  projection?: string;
  /** scale: keep (and on a later run, reuse) the built index and the exact results in this directory. */
  indexDir?: string;
  /** maxsim: the exact kernel (native or onnx; the index's default otherwise). */
  kernel?: 'native' | 'onnx';
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
    case 'maxsim': {
      const options = {
        docs: flags.docs ?? 20000,
        docTokens: flags.docTokens ?? 128,
        queryTokens: flags.queryTokens ?? 32,
        dim: flags.dim ?? 128,
        precision: flags.precision ?? 'fp32',
        queries: flags.queries,
        threads: flags.threads,
        kernel: flags.kernel,
      } as const;
      if (flags.peer) return benchMaxSimWithPeers(options, flags.rounds ?? 3);
      return {
        ...(await benchMaxSim(options)),
      };
    }
    case 'bm25':
      return { ...(await benchBm25({ docs: flags.docs, queries: flags.queries })) };
    case 'encode':
      return benchEncode({ model: flags.model, docs: flags.docs, threads: flags.threads, workers: flags.workers, peer: flags.peer, rounds: flags.rounds });
    case 'ingest':
      return benchIngest({
        passages: flags.passages ?? flags.docs ?? 100_000,
        stages: flags.stages ? parseStages(flags.stages) : undefined,
        model: flags.model,
        threads: flags.threads,
        workers: flags.workers,
        db: flags.db,
        onProgress: (line) => process.stderr.write(`ingest: ${line}\n`),
      });
    case 'burst':
      return benchBurst({ passages: flags.passages, searches: flags.searches, model: flags.model, inProcess: flags.inProcess, db: flags.db });
    case 'scale':
      return {
        ...(await benchScale({
          passages: flags.passages ?? flags.docs ?? 20000,
          docTokens: flags.docTokens ?? 100,
          dim: flags.dim ?? 128,
          queries: flags.queries,
          nbits: flags.nbits,
          centroids: flags.centroids,
          nprobe: flags.nprobe,
          candidates: flags.candidates,
          centroidThreshold: flags.centroidThreshold,
          noise: flags.noise,
          muvera: parseMuvera(flags.muvera),
          projection: parseProjection(flags.projection),
          exactChunk: flags.exactChunk,
          dir: flags.indexDir,
          threads: flags.threads,
          onProgress: (line) => process.stderr.write(`scale: ${line}\n`),
        })),
      };
    default:
      throw new SaegimError('bad-input', `unknown benchmark "${what}" (use maxsim, bm25, encode, ingest, burst or scale)`);
  }
}

function parseMuvera(value: string | undefined): { repetitions: number; simhashBits: number; projection: number } | undefined {
  if (value === undefined) return undefined;
  const [repetitions, simhashBits, projection] = value.split(',').map(Number);
  if (![repetitions, simhashBits, projection].every((n) => Number.isInteger(n) && n! > 0)) {
    throw new SaegimError('bad-input', `--muvera takes "repetitions,simhashBits,projection", e.g. 20,5,16; got "${value}"`);
  }
  return { repetitions: repetitions!, simhashBits: simhashBits!, projection: projection! };
}

function parseProjection(value: string | undefined): ProjectionSpec | undefined {
  if (value === undefined) return undefined;
  const spec = parseProjectionSpec(value);
  if (!spec) throw new SaegimError('bad-input', `--projection takes "pca:WIDTH" or "random:WIDTH"; got "${value}"`);
  return spec;
}
