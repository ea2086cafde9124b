import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../main/onnx/model-builder.js';
import { maxSimGraph } from '../../main/search/maxsim-graph.js';
import { floatsToHalves } from '../../main/store/half.js';

async function run(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    return (await session.run(feeds)) as Record<string, ort.Tensor>;
  } finally {
    await session.release();
  }
}

describe('GraphBuilder', () => {
  it('writes a MatMul + bias model that onnxruntime runs with the right numbers for any batch size', async () => {
    const g = new GraphBuilder('affine');
    g.input('x', 'float32', ['batch', 3]);
    const w = g.floats('w', [3, 2], [1, 2, 3, 4, 5, 6]);
    const b = g.floats('b', [2], [0.5, -0.5]);
    g.op('Add', [g.op('MatMul', ['x', w]), b], {}, 'y');
    g.output('y', 'float32', ['batch', 2]);
    const bytes = g.toBytes();
    expect(bytes).toBeInstanceOf(Uint8Array);

    const one = await run(bytes, { x: new ort.Tensor('float32', Float32Array.from([1, 1, 1]), [1, 3]) });
    expect(one.y!.dims).toEqual([1, 2]);
    expect(Array.from(one.y!.data as Float32Array)).toEqual([9.5, 11.5]);

    const x = Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1, 2, -1, 0.5]);
    const four = await run(bytes, { x: new ort.Tensor('float32', x, [4, 3]) });
    expect(four.y!.dims).toEqual([4, 2]);
    // rows of w plus bias, then 2·[1,2] − [3,4] + 0.5·[5,6] + bias
    expect(Array.from(four.y!.data as Float32Array)).toEqual([1.5, 1.5, 3.5, 3.5, 5.5, 5.5, 2, 2.5]);
  });

  it('stores float16 initializers as raw halves and int64 initializers as indices', async () => {
    const g = new GraphBuilder('halves');
    g.input('ids', 'int64', ['n']);
    const table = g.halves('table', [4], floatsToHalves(Float32Array.from([1.5, -2, 0.25, 65504])));
    const picked = g.op('Gather', [g.op('Cast', [table], { to: 1 }), 'ids']);
    const shift = g.int64s('shift', [1], [1]);
    g.op('Identity', [picked], {}, 'values');
    g.op('Add', ['ids', shift], {}, 'next');
    g.output('values', 'float32', ['n']);
    g.output('next', 'int64', ['n']);
    const out = await run(g.toBytes(), { ids: new ort.Tensor('int64', BigInt64Array.from([3n, 0n, 2n, 1n]), [4]) });
    expect(Array.from(out.values!.data as Float32Array)).toEqual([65504, 1.5, 0.25, -2]);
    expect(Array.from(out.next!.data as BigInt64Array)).toEqual([4n, 1n, 3n, 2n]);
  });

  it('writes int, ints, float and string attributes', async () => {
    const g = new GraphBuilder('attributes');
    g.input('x', 'float32', [2, 3]);
    const t = g.op('Transpose', ['x'], { perm: [1, 0] });
    // alpha = 1 must stay a FLOAT attribute: as an INT, onnxruntime would refuse the node.
    g.op('LeakyRelu', [t], { alpha: { float: 1 } }, 'identity_like');
    g.op('LeakyRelu', [t], { alpha: 0.5 }, 'half_negatives');
    g.op('ReduceMax', [t], { axes: [0], keepdims: 0 }, 'col_max');
    g.op('Pad', ['x', g.int64s('pads', [4], [0, 1, 0, 0])], { mode: 'edge' }, 'padded');
    g.output('identity_like', 'float32', [3, 2]);
    g.output('half_negatives', 'float32', [3, 2]);
    g.output('col_max', 'float32', [2]);
    g.output('padded', 'float32', [2, 4]);
    // x = [[1, -2, 3], [-4, 5, 6]]; its transpose is [[1, -4], [-2, 5], [3, 6]].
    const out = await run(g.toBytes(), { x: new ort.Tensor('float32', Float32Array.from([1, -2, 3, -4, 5, 6]), [2, 3]) });
    expect(Array.from(out.identity_like!.data as Float32Array)).toEqual([1, -4, -2, 5, 3, 6]);
    expect(Array.from(out.half_negatives!.data as Float32Array)).toEqual([1, -2, -1, 5, 3, 6]);
    expect(Array.from(out.col_max!.data as Float32Array)).toEqual([3, 6]);
    expect(Array.from(out.padded!.data as Float32Array)).toEqual([1, 1, -2, 3, -4, -4, 5, 6]);
  });

  it('refuses initializer data that does not fill its dims', () => {
    expect(() => new GraphBuilder('bad').floats('w', [2, 2], [1, 2, 3])).toThrow(/3 elements for dims \[2, 2\]/);
  });

  it('refuses a second producer of one name', () => {
    const g = new GraphBuilder('ssa');
    g.input('x', 'float32', [1]);
    expect(() => g.floats('x', [1], [0])).toThrow(/"x" is already used/);
    g.op('Relu', ['x'], {}, 'y');
    expect(() => g.op('Relu', ['x'], {}, 'y')).toThrow(/"y" is already used/);
  });

  it('produces the same bytes for the same graph', () => {
    const build = () => {
      const g = new GraphBuilder('same');
      g.input('x', 'float32', ['n', 2]);
      g.op('Mul', ['x', g.floats('k', [2], [2, 3])], {}, 'y');
      g.output('y', 'float32', ['n', 2]);
      return g.toBytes();
    };
    expect(Buffer.from(build()).equals(Buffer.from(build()))).toBe(true);
  });
});

describe('MaxSim graph', () => {
  it('computes Σ_i max_j d_j·q_i per document of a block, from fp32 or fp16 documents', async () => {
    // Two documents of two 2-d tokens, a query of two tokens given transposed ([dim, Q]).
    const docs = Float32Array.from([1, 0, 0, 1, /* doc 2 */ -1, 0, 0.5, 0.5]);
    const queryT = new ort.Tensor('float32', Float32Array.from([1, 0.6, 0, 0.8]), [2, 2]); // q1 = (1, 0), q2 = (0.6, 0.8)
    // doc 1: max(1, 0) + max(0.6, 0.8) = 1.8; doc 2: max(-1, 0.5) + max(-0.6, 0.7) = 1.2
    const fp32 = await run(maxSimGraph(2, 'fp32'), { docs: new ort.Tensor('float32', docs, [2, 2, 2]), query_t: queryT });
    expect(fp32.scores!.dims).toEqual([2]);
    expect(fp32.scores!.data[0]).toBeCloseTo(1.8, 6);
    expect(fp32.scores!.data[1]).toBeCloseTo(1.2, 6);
    const fp16 = await run(maxSimGraph(2, 'fp16'), { docs: new ort.Tensor('float16', floatsToHalves(docs), [2, 2, 2]), query_t: queryT });
    expect(Array.from(fp16.scores!.data as Float32Array).map((v) => Math.round(v * 1e4) / 1e4)).toEqual([1.8, 1.2]);
  });
});
