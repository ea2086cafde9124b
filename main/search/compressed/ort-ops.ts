import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../../onnx/model-builder.js';

/**
 * The matrix products the compressed index needs, run by onnxruntime's sgemm rather than JavaScript loops
 * (about 80 GFLOPS on two cores against one or two for a scalar loop):
 *
 * - `MatMul`: a plain [m, k] · [k, n] product — centroid scores C·Qᵀ at search time, Gram matrices for PCA.
 * - `Nearest`: argmax_c (x·c − ½‖c‖²) per row — the nearest centroid in Euclidean distance, which for unit
 *   centroids is the largest cosine. The bias makes one graph serve both spherical and plain k-means. ArgMax
 *   runs inside the graph so the [rows, K] similarity block never crosses into JavaScript.
 * - `ScaledMaxSim`: MaxSim over decompressed tokens, for the final rerank.
 */

function sessionOptions(threads: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    graphOptimizationLevel: 'all',
    // Same reason as the MaxSim sessions: spinning workers slow a shared two-core machine down.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}

function matMulGraph(): Uint8Array {
  const g = new GraphBuilder('compressed_matmul');
  g.input('a', 'float32', ['m', 'k']);
  g.input('b', 'float32', ['k', 'n']);
  g.op('MatMul', ['a', 'b'], {}, 'c');
  g.output('c', 'float32', ['m', 'n']);
  return g.toBytes();
}

function nearestGraph(): Uint8Array {
  const g = new GraphBuilder('compressed_nearest');
  g.input('x', 'float32', ['rows', 'dim']);
  g.input('ct', 'float32', ['dim', 'centroids']);
  g.input('bias', 'float32', ['centroids']);
  const sim = g.op('MatMul', ['x', 'ct']);
  const shifted = g.op('Add', [sim, 'bias']);
  g.op('ArgMax', [shifted], { axis: 1, keepdims: 0 }, 'code');
  g.output('code', 'int64', ['rows']);
  return g.toBytes();
}

/**
 * MaxSim over decompressed tokens whose reconstructions are not unit length: docs [B, L, dim] · query_t
 * [dim, Q] → [B, L, Q], each row scaled by its token's 1/‖x̂‖ (scales [B, L]), ReduceMax over L, ReduceSum
 * over Q. Scaling the [B, L, Q] similarities costs Q multiplies per token instead of dim.
 */
function scaledMaxSimGraph(dim: number): Uint8Array {
  const g = new GraphBuilder(`compressed_maxsim_${dim}`);
  g.input('docs', 'float32', ['blockDocs', 'blockLength', dim]);
  g.input('scales', 'float32', ['blockDocs', 'blockLength']);
  g.input('query_t', 'float32', [dim, 'queryTokens']);
  const sim = g.op('MatMul', ['docs', 'query_t']);
  const axis = g.int64s('scale_axis', [1], [2]);
  const column = g.op('Unsqueeze', ['scales', axis]);
  const scaled = g.op('Mul', [sim, column]);
  const best = g.op('ReduceMax', [scaled], { axes: [1], keepdims: 0 });
  const queryAxis = g.int64s('query_axis', [1], [1]);
  g.op('ReduceSum', [best, queryAxis], { keepdims: 0 }, 'scores');
  g.output('scores', 'float32', ['blockDocs']);
  return g.toBytes();
}

export class ScaledMaxSim {
  private constructor(private readonly session: ort.InferenceSession) {}

  static async create(dim: number, threads: number): Promise<ScaledMaxSim> {
    return new ScaledMaxSim(await ort.InferenceSession.create(scaledMaxSimGraph(dim), sessionOptions(threads)));
  }

  async run(docs: Float32Array, scales: Float32Array, blockDocs: number, blockLength: number, dim: number, queryT: ort.Tensor): Promise<Float32Array> {
    const out = await this.session.run({
      docs: new ort.Tensor('float32', docs.subarray(0, blockDocs * blockLength * dim), [blockDocs, blockLength, dim]),
      scales: new ort.Tensor('float32', scales.subarray(0, blockDocs * blockLength), [blockDocs, blockLength]),
      query_t: queryT,
    });
    return out.scores!.data as Float32Array;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

export class MatMul {
  private constructor(private readonly session: ort.InferenceSession) {}

  static async create(threads: number): Promise<MatMul> {
    return new MatMul(await ort.InferenceSession.create(matMulGraph(), sessionOptions(threads)));
  }

  /** `a` [m, k] · `b` [k, n], row-major, into a new [m, n] array. */
  async run(a: Float32Array, m: number, k: number, b: Float32Array, n: number): Promise<Float32Array> {
    const out = await this.session.run({
      a: new ort.Tensor('float32', a.length === m * k ? a : a.subarray(0, m * k), [m, k]),
      b: new ort.Tensor('float32', b.length === k * n ? b : b.subarray(0, k * n), [k, n]),
    });
    return out.c!.data as Float32Array;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/**
 * Rows per onnxruntime call: the similarity block is rows × K floats (32 MiB at 1,024 × 8,192), large
 * enough for sgemm to run at full speed, small enough to stay out of the way of everything else.
 */
const NEAREST_ROWS = 1024;

export class Nearest {
  private ct: ort.Tensor | null = null;
  private bias: ort.Tensor | null = null;
  private count = 0;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly dim: number,
  ) {}

  static async create(dim: number, threads: number): Promise<Nearest> {
    return new Nearest(await ort.InferenceSession.create(nearestGraph(), sessionOptions(threads)), dim);
  }

  /** Sets the centroids rows are matched against, `count × dim` row-major. */
  setCentroids(centroids: Float32Array, count: number): void {
    const dim = this.dim;
    const ct = new Float32Array(count * dim);
    const bias = new Float32Array(count);
    for (let c = 0; c < count; c++) {
      let norm = 0;
      for (let d = 0; d < dim; d++) {
        const v = centroids[c * dim + d]!;
        ct[d * count + c] = v;
        norm += v * v;
      }
      bias[c] = -0.5 * norm;
    }
    this.ct = new ort.Tensor('float32', ct, [dim, count]);
    this.bias = new ort.Tensor('float32', bias, [count]);
    this.count = count;
  }

  /** Index of the nearest centroid for each of the `rows` rows of `x`, written into `out`. */
  async assign(x: Float32Array, rows: number, out: Int32Array | Uint16Array): Promise<void> {
    if (!this.ct || !this.bias) throw new Error('Nearest.assign before setCentroids');
    const dim = this.dim;
    for (let start = 0; start < rows; start += NEAREST_ROWS) {
      const n = Math.min(NEAREST_ROWS, rows - start);
      const result = await this.session.run({
        x: new ort.Tensor('float32', x.subarray(start * dim, (start + n) * dim), [n, dim]),
        ct: this.ct,
        bias: this.bias,
      });
      const codes = result.code!.data as BigInt64Array;
      for (let i = 0; i < n; i++) out[start + i] = Number(codes[i]!);
    }
  }

  get centroids(): number {
    return this.count;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
