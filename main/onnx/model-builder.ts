import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

type NodeProto = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;
type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
type AttributeProto = onnxProto.onnx.IAttributeProto;

export type ElementType = 'float32' | 'float16' | 'int64' | 'int32';

/** ONNX `TensorProto.DataType` codes for the element types the engine writes. */
export const ONNX_ELEMENT_TYPE: Readonly<Record<ElementType, number>> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
};

/** A dimension: a fixed size, or a symbolic name (`batch`, `length`) fixed only when the model runs. */
export type Dim = number | string;

/** Element storage per type: float16 is raw IEEE binary16 halves, as the store keeps them. */
export interface TensorData {
  float32: Float32Array;
  float16: Uint16Array;
  int64: BigInt64Array;
  int32: Int32Array;
}

/**
 * Attribute values. A plain number is an INT when it is an integer, so a float attribute that happens to be
 * whole (`alpha = 1`) must be written `{ float: 1 }`; lists likewise (`{ floats: [...] }`).
 */
export type AttributeValue =
  | number
  | string
  | number[]
  | { int: number }
  | { float: number }
  | { ints: number[] }
  | { floats: number[] };

/** The IR version paired with opset 17 (ONNX 1.12); onnxruntime reads both. */
const IR_VERSION = 8;

/**
 * Writes ONNX models from TypeScript: the MaxSim scoring graph is built at run time for whatever width a
 * collection has, and test fixtures build whole encoders with seeded weights. Tensors go in as little-endian
 * `raw_data`, the one encoding every ONNX reader accepts for every element type (the typed `*_data` fields
 * differ per type, and float16 would have to travel bit-cast inside int32_data).
 */
export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(
    readonly name: string,
    readonly opset = 17,
  ) {}

  input(name: string, type: ElementType, dims: Dim[]): string {
    this.claim(name);
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** Declares a graph output; `name` must be produced by a node (pass it as that node's output name). */
  output(name: string, type: ElementType, dims: Dim[]): string {
    this.outputs.push(valueInfo(name, type, dims));
    return name;
  }

  initializer<T extends ElementType>(name: string, type: T, dims: number[], data: TensorData[T]): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (data.length !== count) {
      throw new RangeError(`initializer ${name}: ${data.length} elements for dims [${dims.join(', ')}] (${count})`);
    }
    this.claim(name);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    this.initializers.push({ name, dataType: ONNX_ELEMENT_TYPE[type], dims, rawData: bytes });
    return name;
  }

  floats(name: string, dims: number[], data: Float32Array | number[]): string {
    return this.initializer(name, 'float32', dims, data instanceof Float32Array ? data : Float32Array.from(data));
  }

  halves(name: string, dims: number[], data: Uint16Array): string {
    return this.initializer(name, 'float16', dims, data);
  }

  int64s(name: string, dims: number[], data: BigInt64Array | number[]): string {
    return this.initializer(name, 'int64', dims, data instanceof BigInt64Array ? data : BigInt64Array.from(data, (v) => BigInt(v)));
  }

  /** Adds a node; returns its output names: the given ones, or `count` fresh ones. */
  node(op: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, outputs: string[] | number = 1): string[] {
    const outNames = Array.isArray(outputs) ? outputs : Array.from({ length: outputs }, () => this.fresh(op.toLowerCase()));
    for (const out of outNames) if (Array.isArray(outputs)) this.claim(out);
    this.nodes.push({
      opType: op,
      name: `${op}_${this.counter++}`,
      input: inputs,
      output: outNames,
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
    });
    return outNames;
  }

  /** A single-output node; returns the output's name (`output` when given). */
  op(op: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, output?: string): string {
    return this.node(op, inputs, attributes, output === undefined ? 1 : [output])[0]!;
  }

  toBytes(): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
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

  private fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.counter++}`;
    while (this.names.has(name));
    this.names.add(name);
    return name;
  }

  /** ONNX graphs are SSA: a second producer of one name is rejected by the loader with a vaguer message. */
  private claim(name: string): void {
    if (this.names.has(name)) throw new Error(`graph ${this.name}: the name "${name}" is already used`);
    this.names.add(name);
  }
}

function valueInfo(name: string, type: ElementType, dims: Dim[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ONNX_ELEMENT_TYPE[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: AttributeValue): AttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') return Number.isInteger(value) ? { name, type: T.INT, i: value } : { name, type: T.FLOAT, f: value };
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) {
    return value.every(Number.isInteger) ? { name, type: T.INTS, ints: value } : { name, type: T.FLOATS, floats: value };
  }
  if ('int' in value) return { name, type: T.INT, i: value.int };
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  if ('ints' in value) return { name, type: T.INTS, ints: value.ints };
  return { name, type: T.FLOATS, floats: value.floats };
}
