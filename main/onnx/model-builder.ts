import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export type ElementType = 'float32' | 'float16' | 'int64' | 'int32';

const DATA_TYPE: Record<ElementType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
};

export const ONNX_TYPE = DATA_TYPE;

/** A dimension: a fixed size or a symbolic name (`batch`, `length`). */
export type Dim = number | string;

export type AttributeValue = number | number[] | string | { ints: number[] } | { float: number };

type TensorData = Float32Array | Uint16Array | BigInt64Array | Int32Array;

/**
 * Writes ONNX models from TypeScript: the MaxSim scoring graph is built at run time for whatever width a
 * collection has, and test fixtures build whole encoders with seeded weights. Tensors go in as raw
 * little-endian bytes, which is what every ONNX reader accepts for every element type.
 */
export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private counter = 0;

  constructor(
    readonly name: string,
    readonly opset = 17,
  ) {}

  input(name: string, type: ElementType, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, type: ElementType, dims: Dim[]): string {
    this.outputs.push(valueInfo(name, type, dims));
    return name;
  }

  initializer(name: string, type: ElementType, dims: number[], data: TensorData): string {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.initializers.push({ name, dataType: DATA_TYPE[type], dims, rawData: bytes.slice() });
    return name;
  }

  /** Adds a node; returns its output names (fresh ones unless given). */
  node(op: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, outputs?: string[] | number): string[] {
    const outNames = Array.isArray(outputs) ? outputs : Array.from({ length: outputs ?? 1 }, () => `${op.toLowerCase()}_${this.counter++}`);
    this.nodes.push({
      opType: op,
      name: `${op}_${this.counter++}`,
      input: inputs,
      output: outNames,
      attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
    });
    return outNames;
  }

  /** Single-output shorthand. */
  op(op: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, output?: string): string {
    return this.node(op, inputs, attributes, output ? [output] : 1)[0]!;
  }

  toBytes(): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'saegim',
      opsetImport: [{ domain: '', version: this.opset }],
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, type: ElementType, dims: Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DATA_TYPE[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: AttributeValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') return Number.isInteger(value) ? { name, type: T.INT, i: value } : { name, type: T.FLOAT, f: value };
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
  if ('ints' in value) return { name, type: T.INTS, ints: value.ints };
  return { name, type: T.FLOAT, f: value.float };
}
