import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../onnx/model-builder.js';

export type BlockPrecision = 'fp32' | 'fp16';

/** `all`: every packed row of a block; `gather`: only the rows a per-block index picks (masked tokens left out). */
export type MaxSimRows = 'all' | 'gather';

/** Names shared by the graph and the code that feeds it. */
export const MAXSIM_INPUTS = { docs: 'docs', queryT: 'query_t', rows: 'rows' } as const;
export const MAXSIM_OUTPUT = 'scores';

/**
 * The MaxSim scoring graph (the paper's Eq. 1, S(q,d) = Σ_i max_j E_q[i]·E_d[j]) for one block of
 * documents padded to a common length:
 *
 *   docs [B, L, dim] · query_t [dim, Q] → [B, L, Q] → ReduceMax over L → [B, Q] → ReduceSum over Q → [B]
 *
 * The documents are the left operand on purpose: onnxruntime folds B·L into one sgemm whose packed right
 * operand (the query, dim×Q ≈ 16 KiB) stays in L1 while the document rows stream past once. The transposed
 * layout (query · docsᵀ per document) measured 5–10 % slower here.
 *
 * The `all` graph has no mask input: the packer pads each document with copies of one of its own rows, which
 * can never change a maximum, and every row is scored. The `gather` graph scores the same block with masked
 * tokens (punctuation) left out: from the [B·L, Q] similarities it gathers `rows [B, L']`, for each document
 * the block rows of its scorable tokens padded with copies of one of them, and takes the maximum over those
 * alone. A masked token is never a maximum whatever the signs of the dot products (zeroing its vector would
 * not do: the best of the others can be negative), and one packed copy of the vectors serves both settings.
 * Gathering similarities moves Q floats a row; gathering the document rows before the MatMul moved dim of
 * them and measured about 30 % slower than the `all` graph at fp32, this one about 5 % (docs/scaling.md).
 *
 * fp16 blocks are Cast to float inside the graph because the CPU provider has no fp16 MatMul on x86. The cast
 * output of a small block stays in cache, so fp16 blocks read half the bytes from memory and score faster than
 * fp32 ones at equal block size (measured on a 2-core EPYC: about 80k vs 60k docs/s at 16k rows per block).
 */
export function maxSimGraph(dim: number, precision: BlockPrecision, rows: MaxSimRows = 'all'): Uint8Array {
  const g = new GraphBuilder(`maxsim_${precision}_${rows}_${dim}`);
  g.input(MAXSIM_INPUTS.docs, precision === 'fp16' ? 'float16' : 'float32', ['blockDocs', 'blockLength', dim]);
  g.input(MAXSIM_INPUTS.queryT, 'float32', [dim, 'queryTokens']);
  const docs = precision === 'fp16' ? g.op('Cast', [MAXSIM_INPUTS.docs], { to: 1 }) : MAXSIM_INPUTS.docs;
  let similarity = g.op('MatMul', [docs, MAXSIM_INPUTS.queryT]);
  if (rows === 'gather') {
    g.input(MAXSIM_INPUTS.rows, 'int32', ['blockDocs', 'scorableLength']);
    similarity = g.op('Gather', [g.op('Flatten', [similarity], { axis: 2 }), MAXSIM_INPUTS.rows], { axis: 0 });
  }
  // Opset 17 still takes ReduceMax axes as an attribute but ReduceSum axes as an input (changed in opset 13).
  const best = g.op('ReduceMax', [similarity], { axes: [1], keepdims: 0 });
  const queryAxis = g.int64s('query_axis', [1], [1]);
  g.op('ReduceSum', [best, queryAxis], { keepdims: 0 }, MAXSIM_OUTPUT);
  g.output(MAXSIM_OUTPUT, 'float32', ['blockDocs']);
  return g.toBytes();
}

export function defaultThreads(): number {
  return availableParallelism();
}

interface SharedSession {
  session: Promise<ort.InferenceSession>;
  users: number;
}

/**
 * Sessions are shared between indexes of the same width: several collections may be resident at once and
 * each session owns a thread pool, so one per (width, precision, rows, threads) keeps the pools from
 * competing for the same cores.
 */
const sessions = new Map<string, SharedSession>();

export function acquireMaxSimSession(dim: number, precision: BlockPrecision, threads: number, rows: MaxSimRows = 'all'): Promise<ort.InferenceSession> {
  const key = `${dim}:${precision}:${rows}:${threads}`;
  let shared = sessions.get(key);
  if (!shared) {
    const session = ort.InferenceSession.create(maxSimGraph(dim, precision, rows), {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      graphOptimizationLevel: 'all',
      // Idle workers sleep instead of spinning between runs: on a machine shared with the encoder, the UI
      // and other programs, spinning threads measured 10–40 % slower at 2 threads, while waking a worker
      // costs microseconds against milliseconds of MatMul per block.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    shared = { session, users: 0 };
    sessions.set(key, shared);
    session.catch(() => sessions.delete(key));
  }
  shared.users++;
  return shared.session;
}

export async function releaseMaxSimSession(dim: number, precision: BlockPrecision, threads: number, rows: MaxSimRows = 'all'): Promise<void> {
  const key = `${dim}:${precision}:${rows}:${threads}`;
  const shared = sessions.get(key);
  if (!shared) return;
  shared.users--;
  if (shared.users > 0) return;
  sessions.delete(key);
  await (await shared.session).release();
}
