// The ONNX file format, as far as the export needs it: a small protobuf
// encoder and the few onnx.proto messages (model, graph, node, tensor) it
// writes. Knows nothing of darknet.
import { endianness } from 'node:os';

// protobuf: just what ONNX needs (varints, fixed32 floats, length-delimited)

const WIRE_VARINT = 0;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

const textEncoder = new TextEncoder();

/** One protobuf message, kept as a list of byte chunks (large tensors are not copied until the end). */
class ProtoMessage {
  readonly parts: Uint8Array[] = [];
  length = 0;

  #push(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.length += bytes.length;
  }

  #varint(value: number | bigint): void {
    const out: number[] = [];
    if (typeof value === 'number' && value >= 0 && Number.isSafeInteger(value)) {
      let v = value;
      while (v >= 0x80) {
        out.push((v % 0x80) | 0x80);
        v = Math.floor(v / 0x80);
      }
      out.push(v);
    } else {
      // int64 two's complement: a negative value takes ten bytes.
      let v = BigInt.asUintN(64, BigInt(value));
      while (v >= 0x80n) {
        out.push(Number(v & 0x7fn) | 0x80);
        v >>= 7n;
      }
      out.push(Number(v));
    }
    this.#push(Uint8Array.from(out));
  }

  #tag(field: number, wire: number): void {
    this.#varint(field * 8 + wire);
  }

  int(field: number, value: number | bigint): this {
    this.#tag(field, WIRE_VARINT);
    this.#varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.#tag(field, WIRE_FIXED32);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.#push(bytes);
    return this;
  }

  bytes(field: number, bytes: Uint8Array): this {
    this.#tag(field, WIRE_LENGTH);
    this.#varint(bytes.length);
    this.#push(bytes);
    return this;
  }

  string(field: number, text: string): this {
    return this.bytes(field, textEncoder.encode(text));
  }

  message(field: number, message: ProtoMessage): this {
    this.#tag(field, WIRE_LENGTH);
    this.#varint(message.length);
    for (const part of message.parts) this.#push(part);
    return this;
  }

  toBytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
}

// ONNX (onnx.proto) field numbers and enums used here.
const TENSOR_FLOAT = 1;
const TENSOR_INT64 = 7;
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_INTS = 7;
const IR_VERSION = 7;
const OPSET = 13;

const littleEndian = endianness() === 'LE';

/** Float32 values as little-endian bytes (raw_data). */
function floatBytes(values: Float32Array): Uint8Array {
  if (littleEndian) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return bytes;
}

function int64Bytes(values: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return bytes;
}

export type Attribute =
  | { name: string; f: number }
  | { name: string; i: number }
  | { name: string; s: string }
  | { name: string; ints: readonly number[] };

function attributeProto(attribute: Attribute): ProtoMessage {
  const m = new ProtoMessage().string(1, attribute.name);
  if ('f' in attribute) m.float(2, attribute.f).int(20, ATTR_FLOAT);
  else if ('i' in attribute) m.int(3, attribute.i).int(20, ATTR_INT);
  else if ('s' in attribute) m.string(4, attribute.s).int(20, ATTR_STRING);
  else {
    for (const v of attribute.ints) m.int(8, v);
    m.int(20, ATTR_INTS);
  }
  return m;
}

function valueInfoProto(name: string, dims: readonly number[]): ProtoMessage {
  const shape = new ProtoMessage();
  for (const d of dims) shape.message(1, new ProtoMessage().int(1, d));
  const tensorType = new ProtoMessage().int(1, TENSOR_FLOAT).message(2, shape);
  return new ProtoMessage().string(1, name).message(2, new ProtoMessage().message(1, tensorType));
}

/** Collects nodes and initializers; names tensors uniquely. */
export class GraphBuilder {
  readonly nodes: ProtoMessage[] = [];
  readonly initializers: ProtoMessage[] = [];
  readonly #names = new Set<string>();

  name(base: string): string {
    let name = base;
    for (let i = 1; this.#names.has(name); ++i) name = `${base}_${i}`;
    this.#names.add(name);
    return name;
  }

  floats(base: string, dims: readonly number[], values: Float32Array): string {
    const name = this.name(base);
    const t = new ProtoMessage();
    for (const d of dims) t.int(1, d);
    t.int(2, TENSOR_FLOAT).string(8, name).bytes(9, floatBytes(values));
    this.initializers.push(t);
    return name;
  }

  scalar(base: string, value: number): string {
    return this.floats(base, [], Float32Array.of(value));
  }

  int64s(base: string, values: readonly number[]): string {
    const name = this.name(base);
    this.initializers.push(
      new ProtoMessage().int(1, values.length).int(2, TENSOR_INT64).string(8, name).bytes(9, int64Bytes(values)),
    );
    return name;
  }

  /** Adds a node; returns the name of its (one) output. An input named '' is an omitted optional one. */
  node(op: string, inputs: readonly string[], output: string, attributes: readonly Attribute[] = []): string {
    const m = new ProtoMessage();
    for (const input of inputs) m.string(1, input);
    m.string(2, output).string(3, `${output}_${op}`).string(4, op);
    for (const a of attributes) m.message(5, attributeProto(a));
    this.nodes.push(m);
    return output;
  }

  model(
    graphName: string,
    doc: string,
    input: { name: string; dims: number[] },
    outputs: readonly { name: string; dims: number[] }[],
  ): Uint8Array {
    const graph = new ProtoMessage();
    for (const n of this.nodes) graph.message(1, n);
    graph.string(2, graphName);
    for (const t of this.initializers) graph.message(5, t);
    graph.string(10, doc);
    graph.message(11, valueInfoProto(input.name, input.dims));
    for (const output of outputs) graph.message(12, valueInfoProto(output.name, output.dims));
    return new ProtoMessage()
      .int(1, IR_VERSION)
      .string(2, 'darknet-napi')
      .string(3, '1')
      .message(7, graph)
      .message(8, new ProtoMessage().string(1, '').int(2, OPSET))
      .toBytes();
  }
}
