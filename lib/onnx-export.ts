// `darknet export --onnx`: a darknet classifier (cfg + weights) as an ONNX
// model computing what darknet's network_predict returns: the output of the
// last layer (a classifier's softmax probabilities). Pure TypeScript, with a
// small protobuf encoder of its own for the few ONNX messages it writes.
//
// Semantics follow pjreddie's sources (darknet/src): parser.c for the cfg and
// the weights layout, and each layer's forward_*_layer at inference time.
import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { basename } from 'node:path';

import { DarknetError } from './errors.js';
import { checkInputFile } from './files.js';

// ---------------------------------------------------------------------------
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

type Attribute = { name: string; f: number } | { name: string; i: number } | { name: string; ints: readonly number[] };

function attributeProto(attribute: Attribute): ProtoMessage {
  const m = new ProtoMessage().string(1, attribute.name);
  if ('f' in attribute) m.float(2, attribute.f).int(20, ATTR_FLOAT);
  else if ('i' in attribute) m.int(3, attribute.i).int(20, ATTR_INT);
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
class GraphBuilder {
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

  /** Adds a node; returns the name of its (one) output. */
  node(op: string, inputs: readonly string[], output: string, attributes: readonly Attribute[] = []): string {
    const m = new ProtoMessage();
    for (const input of inputs) m.string(1, input);
    m.string(2, output).string(3, `${output}_${op}`).string(4, op);
    for (const a of attributes) m.message(5, attributeProto(a));
    this.nodes.push(m);
    return output;
  }

  model(graphName: string, doc: string, input: { name: string; dims: number[] }, output: { name: string; dims: number[] }): Uint8Array {
    const graph = new ProtoMessage();
    for (const n of this.nodes) graph.message(1, n);
    graph.string(2, graphName);
    for (const t of this.initializers) graph.message(5, t);
    graph.string(10, doc);
    graph.message(11, valueInfoProto(input.name, input.dims));
    graph.message(12, valueInfoProto(output.name, output.dims));
    return new ProtoMessage()
      .int(1, IR_VERSION)
      .string(2, 'darknet-napi')
      .string(3, '1')
      .message(7, graph)
      .message(8, new ProtoMessage().string(1, '').int(2, OPSET))
      .toBytes();
  }
}

// ---------------------------------------------------------------------------
// cfg: read_cfg and option_find from darknet's parser.c / option_list.c

interface Section {
  /** As darknet keeps it: the whole stripped line, "[convolutional]". */
  type: string;
  /** Line number of the section header. */
  line: number;
  /** key -> value; darknet's option_find returns the first one. A line without "=" has no value. */
  options: Map<string, string | undefined>;
}

/** darknet's strip(): removes every space, tab and newline. */
function strip(line: string): string {
  return line.replace(/[ \t\n]/g, '');
}

function parseCfg(text: string, path: string): Section[] {
  const sections: Section[] = [];
  let current: Section | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = strip(raw);
    const first = line[0];
    if (first === undefined || first === '#' || first === ';') return;
    if (first === '[') {
      current = { type: line, line: i + 1, options: new Map() };
      sections.push(current);
      return;
    }
    if (!current) {
      throw new DarknetError(`${path}:${i + 1}: option "${line}" before the first [section]`, 'ERR_INVALID_CFG');
    }
    const eq = line.indexOf('=');
    // read_option: "key=" (nothing after "=") is an error darknet reports and skips.
    if (eq === line.length - 1) return;
    const key = eq < 0 ? line : line.slice(0, eq);
    const value = eq < 0 ? undefined : line.slice(eq + 1);
    if (!current.options.has(key)) current.options.set(key, value);
  });
  return sections;
}

/** C's atoi: optional sign and leading digits; anything else reads as 0. */
function atoi(text: string): number {
  const match = /^[+-]?\d+/.exec(text.trimStart());
  return match ? Math.trunc(Number(match[0])) | 0 : 0;
}

/** C's atof, closely enough (strtod's prefix). */
function atof(text: string): number {
  const value = Number.parseFloat(text.trimStart());
  return Number.isNaN(value) ? 0 : value;
}

function optionInt(section: Section, key: string, fallback: number): number {
  const v = section.options.get(key);
  return v === undefined ? fallback : atoi(v);
}

function optionFloat(section: Section, key: string, fallback: number): number {
  const v = section.options.get(key);
  return v === undefined ? fallback : atof(v);
}

function optionString(section: Section, key: string, fallback: string): string {
  return section.options.get(key) ?? fallback;
}

/** C integer division (truncates toward zero). */
function cdiv(a: number, b: number): number {
  return Math.trunc(a / b);
}

// ---------------------------------------------------------------------------
// the network plan: darknet's layer shapes, as parse_network_cfg computes them

const ACTIVATIONS = [
  'logistic',
  'loggy',
  'relu',
  'elu',
  'selu',
  'relie',
  'plse',
  'hardtan',
  'lhtan',
  'linear',
  'ramp',
  'leaky',
  'tanh',
  'stair',
] as const;
type Activation = (typeof ACTIVATIONS)[number];

/** get_activation: an unknown name is ReLU (darknet prints a warning and goes on). */
function activationOf(name: string): Activation {
  return (ACTIVATIONS as readonly string[]).includes(name) ? (name as Activation) : 'relu';
}

interface Shape {
  w: number;
  h: number;
  c: number;
  outputs: number;
}

type LayerKind =
  | {
      type: 'convolutional';
      filters: number;
      size: number;
      stride: number;
      padding: number;
      groups: number;
      batchNormalize: boolean;
      flipped: boolean;
      activation: Activation;
    }
  | { type: 'connected'; batchNormalize: boolean; activation: Activation }
  | { type: 'batchnorm' }
  | { type: 'maxpool'; size: number; stride: number; padding: number }
  | { type: 'avgpool' }
  | { type: 'softmax'; groups: number; temperature: number }
  | { type: 'dropout' }
  | { type: 'cost' }
  | { type: 'activation'; activation: Activation }
  | { type: 'shortcut'; from: number; alpha: number; beta: number; activation: Activation }
  | { type: 'route'; layers: number[] }
  | { type: 'crop'; noadjust: boolean };

type Layer = LayerKind & { index: number; section: Section; input: Shape; output: Shape; floats: number };

const SECTION_TYPES: Record<string, string> = {
  '[shortcut]': 'shortcut',
  '[crop]': 'crop',
  '[cost]': 'cost',
  '[detection]': 'detection',
  '[region]': 'region',
  '[yolo]': 'yolo',
  '[iseg]': 'iseg',
  '[local]': 'local',
  '[conv]': 'convolutional',
  '[convolutional]': 'convolutional',
  '[deconv]': 'deconvolutional',
  '[deconvolutional]': 'deconvolutional',
  '[activation]': 'activation',
  '[logistic]': 'logistic',
  '[l2norm]': 'l2norm',
  '[net]': 'net',
  '[network]': 'net',
  '[crnn]': 'crnn',
  '[gru]': 'gru',
  '[lstm]': 'lstm',
  '[rnn]': 'rnn',
  '[conn]': 'connected',
  '[connected]': 'connected',
  '[max]': 'maxpool',
  '[maxpool]': 'maxpool',
  '[reorg]': 'reorg',
  '[avg]': 'avgpool',
  '[avgpool]': 'avgpool',
  '[dropout]': 'dropout',
  '[lrn]': 'normalization',
  '[normalization]': 'normalization',
  '[batchnorm]': 'batchnorm',
  '[soft]': 'softmax',
  '[softmax]': 'softmax',
  '[route]': 'route',
  '[upsample]': 'upsample',
};

const SUPPORTED = 'convolutional, connected, batchnorm, maxpool, avgpool, softmax, dropout, cost, activation, shortcut, route, crop';

interface Plan {
  width: number;
  height: number;
  channels: number;
  layers: Layer[];
  floats: number;
}

function planNetwork(sections: Section[], cfg: string): Plan {
  const [net, ...rest] = sections;
  if (!net) throw new DarknetError(`${cfg}: not a darknet cfg (no [net] section)`, 'ERR_INVALID_CFG');
  if (SECTION_TYPES[net.type] !== 'net') {
    throw new DarknetError(`${cfg}: the first section must be [net] or [network], not ${JSON.stringify(net.type)}`, 'ERR_INVALID_CFG');
  }
  if (rest.length === 0) throw new DarknetError(`${cfg}: the cfg has a [net] section but no layers`, 'ERR_INVALID_CFG');
  const width = optionInt(net, 'width', 0);
  const height = optionInt(net, 'height', 0);
  const channels = optionInt(net, 'channels', 0);
  if (width <= 0 || height <= 0 || channels <= 0) {
    throw new DarknetError(
      `${cfg}: [net] needs positive width, height and channels for an image input (got ${width} x ${height} x ${channels})`,
      'ERR_INVALID_CFG',
    );
  }
  let shape: Shape = { w: width, h: height, c: channels, outputs: width * height * channels };
  const layers: Layer[] = [];
  let floats = 0;
  rest.forEach((section, index) => {
    const where = `${cfg}:${section.line}: layer ${index} ${section.type}`;
    const fail = (problem: string): never => {
      throw new DarknetError(`${where}: ${problem}`, 'ERR_INVALID_CFG');
    };
    const needImage = (): void => {
      if (!(shape.h && shape.w && shape.c)) fail('the layer before it does not output an image (width x height x channels)');
    };
    for (const key of ['dontload', 'dontloadscales', 'numload']) {
      if (optionInt(section, key, 0)) fail(`${key}= is not supported by the ONNX export`);
    }
    const type = SECTION_TYPES[section.type];
    const previous = layers[layers.length - 1];
    if (previous && previous.type === 'cost' && type !== 'cost') fail('a layer after a [cost] layer is not supported by the ONNX export');
    const input = shape;
    let kind: LayerKind;
    let output: Shape;
    let layerFloats = 0;
    switch (type) {
      case 'convolutional': {
        needImage();
        const filters = optionInt(section, 'filters', 1);
        const size = optionInt(section, 'size', 1);
        const stride = optionInt(section, 'stride', 1);
        const pad = optionInt(section, 'pad', 0);
        let padding = optionInt(section, 'padding', 0);
        const groups = optionInt(section, 'groups', 1);
        if (pad) padding = cdiv(size, 2);
        const batchNormalize = optionInt(section, 'batch_normalize', 0) !== 0;
        if (optionInt(section, 'binary', 0) || optionInt(section, 'xnor', 0)) fail('binary/xnor convolutions are not supported by the ONNX export');
        const flipped = optionInt(section, 'flipped', 0) !== 0;
        if (filters < 1 || size < 1 || stride < 1 || padding < 0 || groups < 1) {
          fail(`filters=${filters}, size=${size}, stride=${stride}, padding=${padding}, groups=${groups} out of range`);
        }
        if (input.c % groups !== 0 || filters % groups !== 0) {
          fail(`groups=${groups} must divide the input channels (${input.c}) and filters (${filters})`);
        }
        if (flipped && groups !== 1) fail('flipped=1 with groups is not supported by the ONNX export');
        const outW = cdiv(input.w + 2 * padding - size, stride) + 1;
        const outH = cdiv(input.h + 2 * padding - size, stride) + 1;
        if (outW < 1 || outH < 1) fail(`a ${size}x${size} kernel does not fit its ${input.w}x${input.h} input`);
        kind = {
          type,
          filters,
          size,
          stride,
          padding,
          groups,
          batchNormalize,
          flipped,
          activation: activationOf(optionString(section, 'activation', 'logistic')),
        };
        output = { w: outW, h: outH, c: filters, outputs: outW * outH * filters };
        layerFloats = filters + (input.c / groups) * filters * size * size + (batchNormalize ? 3 * filters : 0);
        break;
      }
      case 'connected': {
        const outputs = optionInt(section, 'output', 1);
        if (outputs < 1) fail(`output=${outputs} out of range`);
        const batchNormalize = optionInt(section, 'batch_normalize', 0) !== 0;
        kind = { type, batchNormalize, activation: activationOf(optionString(section, 'activation', 'logistic')) };
        output = { w: 1, h: 1, c: outputs, outputs };
        layerFloats = outputs + outputs * input.outputs + (batchNormalize ? 3 * outputs : 0);
        break;
      }
      case 'batchnorm':
        needImage();
        kind = { type };
        output = { ...input };
        layerFloats = 3 * input.c;
        break;
      case 'maxpool': {
        needImage();
        const stride = optionInt(section, 'stride', 1);
        const size = optionInt(section, 'size', stride);
        const padding = optionInt(section, 'padding', size - 1);
        if (size < 1 || stride < 1 || padding < 0) fail(`size=${size}, stride=${stride}, padding=${padding} out of range`);
        const outW = cdiv(input.w + padding - size, stride) + 1;
        const outH = cdiv(input.h + padding - size, stride) + 1;
        if (outW < 1 || outH < 1) fail(`a ${size}x${size} window does not fit its ${input.w}x${input.h} input`);
        kind = { type, size, stride, padding };
        output = { w: outW, h: outH, c: input.c, outputs: outW * outH * input.c };
        break;
      }
      case 'avgpool':
        needImage();
        kind = { type };
        output = { w: 1, h: 1, c: input.c, outputs: input.c };
        break;
      case 'softmax': {
        const groups = optionInt(section, 'groups', 1);
        if (section.options.get('tree') !== undefined) fail('a hierarchical softmax (tree=) is not supported by the ONNX export');
        if (groups < 1 || input.outputs % groups !== 0) fail(`groups=${groups} must divide the ${input.outputs} inputs`);
        kind = { type, groups, temperature: optionFloat(section, 'temperature', 1) };
        // make_softmax_layer leaves out_w/out_h/out_c at 0: a flat vector.
        output = { w: 0, h: 0, c: 0, outputs: input.outputs };
        break;
      }
      case 'dropout':
        kind = { type };
        output = { ...input };
        break;
      case 'cost':
        kind = { type };
        output = { w: 0, h: 0, c: 0, outputs: input.outputs };
        break;
      case 'activation':
        kind = { type, activation: activationOf(optionString(section, 'activation', 'linear')) };
        output = { ...input };
        break;
      case 'shortcut': {
        const fromText = section.options.get('from');
        if (fromText === undefined) fail('[shortcut] needs from=');
        let from = atoi(fromText as string);
        if (from < 0) from += index;
        const source = layers[from];
        if (!source || from >= index) fail(`from=${fromText} names layer ${from}, which is not an earlier layer`);
        needImage();
        if (!(source as Layer).output.c) fail(`from=${fromText}: layer ${from} does not output an image`);
        kind = {
          type,
          from,
          alpha: optionFloat(section, 'alpha', 1),
          beta: optionFloat(section, 'beta', 1),
          activation: activationOf(optionString(section, 'activation', 'linear')),
        };
        output = { w: input.w, h: input.h, c: input.c, outputs: input.w * input.h * input.c };
        break;
      }
      case 'route': {
        const text = section.options.get('layers');
        if (text === undefined) fail('[route] needs layers=');
        const indexes = (text as string).split(',').map((part) => {
          let i = atoi(part);
          if (i < 0) i += index;
          if (!layers[i] || i >= index) fail(`layers=${text} names layer ${i}, which is not an earlier layer`);
          return i;
        });
        const sources = indexes.map((i) => (layers[i] as Layer).output);
        const [first, ...others] = sources as [Shape, ...Shape[]];
        let out: Shape = { ...first, outputs: 0 };
        for (const next of others) {
          if (next.w === first.w && next.h === first.h) out.c += next.c;
          else out = { w: 0, h: 0, c: 0, outputs: 0 };
        }
        out.outputs = sources.reduce((sum, s) => sum + s.outputs, 0);
        kind = { type, layers: indexes };
        output = out;
        break;
      }
      case 'crop': {
        needImage();
        const cropH = optionInt(section, 'crop_height', 1);
        const cropW = optionInt(section, 'crop_width', 1);
        if (cropH < 1 || cropW < 1 || cropH > input.h || cropW > input.w) {
          fail(`a ${cropW}x${cropH} crop does not fit its ${input.w}x${input.h} input`);
        }
        kind = { type, noadjust: optionInt(section, 'noadjust', 0) !== 0 };
        output = { w: cropW, h: cropH, c: input.c, outputs: cropW * cropH * input.c };
        break;
      }
      case undefined:
        throw new DarknetError(`${where}: unknown layer type ${JSON.stringify(section.type)}`, 'ERR_INVALID_CFG');
      default:
        throw new DarknetError(
          `${where}: layer type [${type}] is not supported by the ONNX export (supported: ${SUPPORTED})`,
          'ERR_INVALID_CFG',
        );
    }
    if ('activation' in kind && kind.activation === 'stair') fail('activation=stair is not supported by the ONNX export');
    layers.push({ ...kind, index, section, input, output, floats: layerFloats } as Layer);
    floats += layerFloats;
    shape = output;
  });
  return { width, height, channels, layers, floats };
}

// ---------------------------------------------------------------------------
// weights

/** load_weights_upto's header: 3 int32, then `seen` as size_t (format >= 0.2) or int. */
function weightsHeader(bytes: Uint8Array, path: string): { headerBytes: number; major: number; minor: number; transpose: boolean } {
  if (bytes.length < 12) {
    throw new DarknetError(
      `weights ${path} is truncated: ${bytes.length} bytes, shorter than darknet's weights header`,
      'ERR_INVALID_WEIGHTS',
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = view.getInt32(0, true);
  const minor = view.getInt32(4, true);
  if (major < 0 || minor < 0 || major > 1 << 20 || minor > 1 << 20) {
    throw new DarknetError(`weights ${path} has an implausible format version ${major}.${minor} in its header`, 'ERR_INVALID_WEIGHTS');
  }
  const headerBytes = 12 + (major * 10 + minor >= 2 && major < 1000 && minor < 1000 ? 8 : 4);
  return { headerBytes, major, minor, transpose: major > 1000 || minor > 1000 };
}

class WeightsReader {
  #at: number;
  readonly #bytes: Uint8Array;

  constructor(bytes: Uint8Array, offset: number) {
    this.#bytes = bytes;
    this.#at = offset;
  }

  /** The next `count` floats, as a fresh array. */
  take(count: number): Float32Array {
    const start = this.#at;
    this.#at += count * 4;
    // A copy (Buffer#slice would be a view), aligned for the Float32Array.
    const slice = new Uint8Array(count * 4);
    slice.set(this.#bytes.subarray(start, this.#at));
    if (littleEndian) return new Float32Array(slice.buffer, 0, count);
    const view = new DataView(slice.buffer);
    return Float32Array.from({ length: count }, (_, i) => view.getFloat32(i * 4, true));
  }
}

/** transpose_matrix(a, rows, cols) */
function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let x = 0; x < rows; ++x) for (let y = 0; y < cols; ++y) t[y * rows + x] = a[x * cols + y] as number;
  return t;
}

/**
 * Folds darknet's inference batch norm, (x - mean) / (sqrt(variance) + 1e-6)
 * * scale + bias, into the weights (rows of `perOutput` values) and biases.
 */
function foldBatchNorm(
  weights: Float32Array,
  biases: Float32Array,
  scales: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  perOutput: number,
): void {
  for (let o = 0; o < biases.length; ++o) {
    const factor = (scales[o] as number) / (Math.sqrt(variance[o] as number) + Math.fround(0.000001));
    for (let k = o * perOutput; k < (o + 1) * perOutput; ++k) weights[k] = (weights[k] as number) * factor;
    biases[o] = (biases[o] as number) - (mean[o] as number) * factor;
  }
}

// ---------------------------------------------------------------------------
// the graph

/** A darknet layer's output in the graph: 4-D [1, c, h, w] or flat [1, outputs]. */
interface Tensor {
  name: string;
  rank: 2 | 4;
  shape: Shape;
}

function emitActivation(g: GraphBuilder, x: string, activation: Activation, base: string, where: string): string {
  const out = (suffix: string): string => g.name(`${base}_${suffix}`);
  switch (activation) {
    case 'linear':
      return x;
    case 'leaky':
      return g.node('LeakyRelu', [x], out('leaky'), [{ name: 'alpha', f: 0.1 }]);
    case 'relie':
      return g.node('LeakyRelu', [x], out('relie'), [{ name: 'alpha', f: 0.01 }]);
    case 'relu':
      return g.node('Relu', [x], out('relu'));
    case 'logistic':
      return g.node('Sigmoid', [x], out('logistic'));
    case 'loggy': {
      // 2 / (1 + exp(-x)) - 1
      const s = g.node('Sigmoid', [x], out('sigmoid'));
      const twice = g.node('Mul', [s, g.scalar(`${base}_two`, 2)], out('twice'));
      return g.node('Sub', [twice, g.scalar(`${base}_one`, 1)], out('loggy'));
    }
    case 'tanh':
      return g.node('Tanh', [x], out('tanh'));
    case 'elu':
      return g.node('Elu', [x], out('elu'), [{ name: 'alpha', f: 1 }]);
    case 'selu':
      return g.node('Selu', [x], out('selu'), [
        { name: 'alpha', f: 1.6732 },
        { name: 'gamma', f: 1.0507 },
      ]);
    case 'ramp': {
      // x * (x > 0) + 0.1 * x
      const r = g.node('Relu', [x], out('relu'));
      const tenth = g.node('Mul', [x, g.scalar(`${base}_tenth`, 0.1)], out('tenth_x'));
      return g.node('Add', [r, tenth], out('ramp'));
    }
    case 'hardtan':
      return g.node('Clip', [x, g.scalar(`${base}_min`, -1), g.scalar(`${base}_max`, 1)], out('hardtan'));
    case 'lhtan':
    case 'plse': {
      // Piecewise linear: inside [lo, hi] slope `mid`, outside slope 0.01 or 0.001.
      const [lo, hi, inner, offset, outer] = activation === 'lhtan' ? [0, 1, 1, 0, 0.001] : [-4, 4, 0.125, 0.5, 0.01];
      const c = g.node('Clip', [x, g.scalar(`${base}_lo`, lo), g.scalar(`${base}_hi`, hi)], out('clip'));
      const rest = g.node('Sub', [x, c], out('rest'));
      const restScaled = g.node('Mul', [rest, g.scalar(`${base}_outer`, outer)], out('rest_scaled'));
      let inside = c;
      if (inner !== 1) inside = g.node('Mul', [c, g.scalar(`${base}_inner`, inner)], out('inner_x'));
      if (offset !== 0) inside = g.node('Add', [inside, g.scalar(`${base}_offset`, offset)], out('inner_offset'));
      return g.node('Add', [inside, restScaled], out(activation));
    }
    case 'stair':
      throw new DarknetError(`${where}: activation=stair is not supported by the ONNX export`, 'ERR_INVALID_CFG');
  }
}

function flat(g: GraphBuilder, t: Tensor, base: string): Tensor {
  if (t.rank === 2) return t;
  return { name: g.node('Flatten', [t.name], g.name(`${base}_flat`), [{ name: 'axis', i: 1 }]), rank: 2, shape: t.shape };
}

function image(g: GraphBuilder, t: Tensor, base: string): Tensor {
  if (t.rank === 4) return t;
  const { c, h, w } = t.shape;
  const shape = g.int64s(`${base}_shape`, [1, c, h, w]);
  return { name: g.node('Reshape', [t.name, shape], g.name(`${base}_image`)), rank: 4, shape: t.shape };
}

function buildGraph(plan: Plan, reader: WeightsReader, transposeConnected: boolean, cfg: string): { g: GraphBuilder; output: Tensor } {
  const g = new GraphBuilder();
  g.name('input');
  g.name('output');
  let x: Tensor = {
    name: 'input',
    rank: 4,
    shape: { w: plan.width, h: plan.height, c: plan.channels, outputs: plan.width * plan.height * plan.channels },
  };
  const outputs: Tensor[] = [];
  for (const layer of plan.layers) {
    const base = `l${layer.index}`;
    const where = `${cfg}:${layer.section.line}: layer ${layer.index} ${layer.section.type}`;
    const shape = layer.output;
    switch (layer.type) {
      case 'convolutional': {
        const { filters: n, size, groups } = layer;
        const c = layer.input.c;
        const biases = reader.take(n);
        const bn = layer.batchNormalize ? [reader.take(n), reader.take(n), reader.take(n)] : undefined;
        let weights = reader.take((c / groups) * n * size * size);
        if (layer.flipped) weights = transpose(weights, c * size * size, n);
        if (bn) foldBatchNorm(weights, biases, bn[0] as Float32Array, bn[1] as Float32Array, bn[2] as Float32Array, (c / groups) * size * size);
        const w = g.floats(`${base}_weights`, [n, c / groups, size, size], weights);
        const b = g.floats(`${base}_biases`, [n], biases);
        const p = layer.padding;
        const input = image(g, x, base);
        const conv = g.node('Conv', [input.name, w, b], g.name(`${base}_conv`), [
          { name: 'kernel_shape', ints: [size, size] },
          { name: 'strides', ints: [layer.stride, layer.stride] },
          { name: 'pads', ints: [p, p, p, p] },
          { name: 'group', i: groups },
        ]);
        x = { name: emitActivation(g, conv, layer.activation, base, where), rank: 4, shape };
        break;
      }
      case 'connected': {
        const inputs = layer.input.outputs;
        const n = shape.outputs;
        const biases = reader.take(n);
        let weights = reader.take(n * inputs);
        if (transposeConnected) weights = transpose(weights, inputs, n);
        if (layer.batchNormalize) {
          const [scales, mean, variance] = [reader.take(n), reader.take(n), reader.take(n)];
          foldBatchNorm(weights, biases, scales, mean, variance, inputs);
        }
        const w = g.floats(`${base}_weights`, [n, inputs], weights);
        const b = g.floats(`${base}_biases`, [n], biases);
        const gemm = g.node('Gemm', [flat(g, x, base).name, w, b], g.name(`${base}_gemm`), [{ name: 'transB', i: 1 }]);
        x = { name: emitActivation(g, gemm, layer.activation, base, where), rank: 2, shape };
        break;
      }
      case 'batchnorm': {
        const c = layer.input.c;
        const [scales, mean, variance] = [reader.take(c), reader.take(c), reader.take(c)];
        const factor = new Float32Array(c);
        const offset = new Float32Array(c);
        for (let i = 0; i < c; ++i) {
          const f = (scales[i] as number) / (Math.sqrt(variance[i] as number) + Math.fround(0.000001));
          factor[i] = f;
          offset[i] = -(mean[i] as number) * f;
        }
        const input = image(g, x, base);
        const scaled = g.node('Mul', [input.name, g.floats(`${base}_factor`, [1, c, 1, 1], factor)], g.name(`${base}_scaled`));
        x = { name: g.node('Add', [scaled, g.floats(`${base}_offset`, [1, c, 1, 1], offset)], g.name(`${base}_batchnorm`)), rank: 4, shape };
        break;
      }
      case 'maxpool': {
        // forward_maxpool_layer: window origin at i*stride - padding/2, cells
        // outside the input never win. ONNX pads: that begin, and the end that
        // gives darknet's output size (w + padding - size)/stride + 1.
        const { size, stride, padding } = layer;
        const begin = cdiv(padding, 2);
        const endW = Math.max(0, (shape.w - 1) * stride + size - layer.input.w - begin);
        const endH = Math.max(0, (shape.h - 1) * stride + size - layer.input.h - begin);
        if (begin >= size || endW >= size || endH >= size) {
          throw new DarknetError(`${where}: padding=${padding} with size=${size} is not supported by the ONNX export`, 'ERR_INVALID_CFG');
        }
        const input = image(g, x, base);
        x = {
          name: g.node('MaxPool', [input.name], g.name(`${base}_maxpool`), [
            { name: 'kernel_shape', ints: [size, size] },
            { name: 'strides', ints: [stride, stride] },
            { name: 'pads', ints: [begin, begin, endH, endW] },
          ]),
          rank: 4,
          shape,
        };
        break;
      }
      case 'avgpool': {
        const input = image(g, x, base);
        x = { name: g.node('GlobalAveragePool', [input.name], g.name(`${base}_avgpool`)), rank: 4, shape };
        break;
      }
      case 'softmax': {
        let v = flat(g, x, base).name;
        if (layer.temperature !== 1) v = g.node('Div', [v, g.scalar(`${base}_temperature`, layer.temperature)], g.name(`${base}_tempered`));
        if (layer.groups === 1) {
          v = g.node('Softmax', [v], g.name(`${base}_softmax`), [{ name: 'axis', i: 1 }]);
        } else {
          const size = shape.outputs / layer.groups;
          const grouped = g.node('Reshape', [v, g.int64s(`${base}_groups`, [1, layer.groups, size])], g.name(`${base}_grouped`));
          const soft = g.node('Softmax', [grouped], g.name(`${base}_softmax`), [{ name: 'axis', i: 2 }]);
          v = g.node('Reshape', [soft, g.int64s(`${base}_flat_shape`, [1, shape.outputs])], g.name(`${base}_flat`));
        }
        x = { name: v, rank: 2, shape };
        break;
      }
      case 'dropout':
      case 'cost':
        x = { ...x, shape };
        break;
      case 'activation':
        x = { name: emitActivation(g, x.name, layer.activation, base, where), rank: x.rank, shape };
        break;
      case 'shortcut': {
        const from = outputs[layer.from] as Tensor;
        const prev = image(g, x, `${base}_prev`);
        let add = image(g, from, `${base}_from`);
        const [w1, h1, c1] = [from.shape.w, from.shape.h, from.shape.c];
        const [w2, h2, c2] = [shape.w, shape.h, shape.c];
        if (w1 !== w2 || h1 !== h2 || c1 !== c2) {
          // shortcut_cpu: the first min(c) channels of `from`, sampled every
          // `stride` cells, are added where they land; other cells keep `prev`.
          const stride = Math.max(1, cdiv(w1, w2));
          const sample = Math.max(1, cdiv(w2, w1));
          if (stride !== Math.max(1, cdiv(h1, h2)) || sample !== Math.max(1, cdiv(h2, h1))) {
            throw new DarknetError(`${where}: layers of incompatible sizes ${w1}x${h1} and ${w2}x${h2}`, 'ERR_INVALID_CFG');
          }
          const covered = Math.min(c1, c2) === c2 && Math.min(h1, h2) === h2 && Math.min(w1, w2) === w2;
          if (sample !== 1 || (layer.alpha !== 1 && !covered)) {
            throw new DarknetError(
              `${where}: a shortcut from a smaller layer, or with alpha != 1 between layers of different sizes, is not supported by the ONNX export`,
              'ERR_INVALID_CFG',
            );
          }
          const [mw, mh, mc] = [Math.min(w1, w2), Math.min(h1, h2), Math.min(c1, c2)];
          const sliced = g.node(
            'Slice',
            [
              add.name,
              g.int64s(`${base}_starts`, [0, 0, 0]),
              g.int64s(`${base}_ends`, [mc, (mh - 1) * stride + 1, (mw - 1) * stride + 1]),
              g.int64s(`${base}_axes`, [1, 2, 3]),
              g.int64s(`${base}_steps`, [1, stride, stride]),
            ],
            g.name(`${base}_from_sliced`),
          );
          const padded = g.node(
            'Pad',
            [sliced, g.int64s(`${base}_pads`, [0, 0, 0, 0, 0, c2 - mc, h2 - mh, w2 - mw])],
            g.name(`${base}_from_padded`),
          );
          add = { name: padded, rank: 4, shape };
        }
        let a = prev.name;
        let b = add.name;
        if (layer.alpha !== 1) a = g.node('Mul', [a, g.scalar(`${base}_alpha`, layer.alpha)], g.name(`${base}_alpha_x`));
        if (layer.beta !== 1) b = g.node('Mul', [b, g.scalar(`${base}_beta`, layer.beta)], g.name(`${base}_beta_x`));
        const sum = g.node('Add', [a, b], g.name(`${base}_shortcut`));
        x = { name: emitActivation(g, sum, layer.activation, base, where), rank: 4, shape };
        break;
      }
      case 'route': {
        const sources = layer.layers.map((i) => outputs[i] as Tensor);
        const spatial = shape.c > 0;
        const parts = sources.map((t, k) => (spatial ? image(g, t, `${base}_in${k}`) : flat(g, t, `${base}_in${k}`)).name);
        const name = parts.length === 1 ? (parts[0] as string) : g.node('Concat', parts, g.name(`${base}_route`), [{ name: 'axis', i: 1 }]);
        x = { name, rank: spatial ? 4 : 2, shape };
        break;
      }
      case 'crop': {
        // forward_crop_layer at inference: the centred crop, then *2 - 1 unless noadjust.
        const input = image(g, x, base);
        const dh = cdiv(layer.input.h - shape.h, 2);
        const dw = cdiv(layer.input.w - shape.w, 2);
        let v = g.node(
          'Slice',
          [
            input.name,
            g.int64s(`${base}_starts`, [dh, dw]),
            g.int64s(`${base}_ends`, [dh + shape.h, dw + shape.w]),
            g.int64s(`${base}_axes`, [2, 3]),
          ],
          g.name(`${base}_crop`),
        );
        if (!layer.noadjust) {
          v = g.node('Mul', [v, g.scalar(`${base}_scale`, 2)], g.name(`${base}_scaled`));
          v = g.node('Add', [v, g.scalar(`${base}_shift`, -1)], g.name(`${base}_shifted`));
        }
        x = { name: v, rank: 4, shape };
        break;
      }
    }
    outputs.push(x);
  }
  // get_network_output_layer: the last layer that is not [cost].
  return { g, output: x };
}

/**
 * Exports a darknet network (cfg + weights) as an ONNX model (opset 13) that
 * computes what darknet's network_predict returns: for a classifier, the
 * probability of every class. Input "input": float32 [1, channels, height,
 * width], planar RGB in 0..1 (what darknet feeds the network after
 * letterboxing); output "output": float32 [1, outputs].
 *
 * Batch normalization is folded into the convolution weights. Supported
 * layers: convolutional, connected, batchnorm, maxpool, avgpool, softmax,
 * dropout, cost, activation, shortcut, route and crop, which covers darknet's
 * ImageNet classifier cfgs. Throws a DarknetError (ERR_FILE_NOT_FOUND,
 * ERR_INVALID_CFG, ERR_INVALID_WEIGHTS, ...) naming the file and the problem.
 */
export async function exportOnnx(cfgPath: string, weightsPath: string): Promise<Uint8Array> {
  const cfgFile = await checkInputFile(cfgPath, 'cfg');
  const weightsFile = await checkInputFile(weightsPath, 'weights');
  const read = async (file: string, path: string, role: string): Promise<Uint8Array> => {
    try {
      return await readFile(file);
    } catch (error) {
      throw new DarknetError(`${role} file ${path} cannot be read: ${(error as Error).message}`, 'ERR_FILE_UNREADABLE', { cause: error });
    }
  };
  const text = new TextDecoder('latin1').decode(await read(cfgFile, cfgPath, 'cfg'));
  const plan = planNetwork(parseCfg(text, cfgPath), cfgPath);
  const bytes = await read(weightsFile, weightsPath, 'weights');
  const header = weightsHeader(bytes, weightsPath);
  const expected = header.headerBytes + plan.floats * 4;
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? 'is truncated or belongs to another cfg' : 'does not match the cfg';
    throw new DarknetError(
      `weights ${weightsPath} ${what}: ${bytes.length} bytes, ${cfgPath} needs ${bytes.length < expected ? '' : 'exactly '}${expected} ` +
        `(${header.headerBytes}-byte header, format ${header.major}.${header.minor}, + ${plan.floats} float parameters)`,
      'ERR_INVALID_WEIGHTS',
    );
  }
  if (plan.floats * 4 > 2 ** 31 - (1 << 20)) {
    throw new DarknetError(
      `${cfgPath}: ${plan.floats} float parameters do not fit in one ONNX protobuf file (2 GiB at most)`,
      'ERR_NETWORK_TOO_LARGE',
    );
  }
  const { g, output } = buildGraph(plan, new WeightsReader(bytes, header.headerBytes), header.transpose, cfgPath);
  // The network's output as one flat vector, named "output".
  const last = output.rank === 2 ? g.node('Identity', [output.name], 'output') : g.node('Flatten', [output.name], 'output', [{ name: 'axis', i: 1 }]);
  return g.model(
    basename(cfgPath).replace(/\.cfg$/, ''),
    `darknet ${basename(cfgPath)} with ${basename(weightsPath)}, exported by darknet-napi`,
    { name: 'input', dims: [1, plan.channels, plan.height, plan.width] },
    { name: last, dims: [1, output.shape.outputs] },
  );
}
