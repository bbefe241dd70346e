// A darknet network, as darknet parsed and loaded it (Network#layerParameters),
// as an ONNX graph: each layer's forward_*_layer at inference time in ONNX
// operators, batch norm folded into the weights.
import { DarknetError } from '../errors.js';
import type { LayerParameters, NetworkParameters } from '../native.js';
import { GraphBuilder } from './protobuf.js';

const SUPPORTED = [
  'convolutional',
  'connected',
  'batchnorm',
  'maxpool',
  'avgpool',
  'softmax',
  'dropout',
  'cost',
  'activation',
  'shortcut',
  'route',
  'crop',
  'upsample',
  'yolo',
  'region',
];

/** Detection heads: each one's output (l.output after its forward) is a graph output. */
export const HEADS = ['yolo', 'region'];

/** The graph output of a head: named after its layer (`yolo_16`). */
export function headOutputName(l: LayerParameters): string {
  return `${l.type}_${l.index}`;
}

interface Shape {
  w: number;
  h: number;
  c: number;
  outputs: number;
}

/** A darknet layer's output in the graph: 4-D [1, c, h, w] or flat [1, outputs]. */
interface Tensor {
  name: string;
  rank: 2 | 4;
  shape: Shape;
}

/** C integer division (truncates toward zero). */
function cdiv(a: number, b: number): number {
  return Math.trunc(a / b);
}

function inputShape(l: LayerParameters): Shape {
  const [w, h, c] = l.input;
  return { w, h, c, outputs: l.inputs };
}

function outputShape(l: LayerParameters): Shape {
  const [w, h, c] = l.output;
  return { w, h, c, outputs: l.outputs };
}

/** The refusal of a layer the export has no translation for, naming it. */
function unsupported(cfg: string, l: LayerParameters, problem: string): DarknetError {
  return new DarknetError(`${cfg}: layer ${l.index} [${l.type}]: ${problem}`, 'ERR_UNSUPPORTED_LAYER');
}

/** darknet's shortcut_cpu between layers of different sizes: the sampling it does. */
function shortcutSampling(from: Shape, to: Shape): { stride: number; sample: number; regular: boolean } {
  const stride = Math.max(1, cdiv(from.w, to.w));
  const sample = Math.max(1, cdiv(to.w, from.w));
  return { stride, sample, regular: stride === Math.max(1, cdiv(from.h, to.h)) && sample === Math.max(1, cdiv(to.h, from.h)) };
}

/**
 * Throws ERR_UNSUPPORTED_LAYER for the first layer (or layer option) of
 * `network` the graph cannot express; darknet itself has already accepted
 * all of them.
 */
export function checkExportable(network: NetworkParameters, cfg: string): void {
  const { layers } = network;
  layers.forEach((l, index) => {
    const fail = (problem: string): never => {
      throw unsupported(cfg, l, problem);
    };
    if (!SUPPORTED.includes(l.type)) {
      throw new DarknetError(
        `${cfg}: layer ${l.index} [${l.type}] is not supported by the ONNX export (supported: ${SUPPORTED.join(', ')})`,
        'ERR_UNSUPPORTED_LAYER',
      );
    }
    const previous = layers[index - 1];
    if (previous?.type === 'cost' && l.type !== 'cost') fail('a layer after a [cost] layer is not supported by the ONNX export');
    if (l.activation === 'stair' && ['convolutional', 'connected', 'activation', 'shortcut'].includes(l.type)) {
      fail('activation=stair is not supported by the ONNX export');
    }
    const input = inputShape(l);
    const output = outputShape(l);
    switch (l.type) {
      case 'convolutional':
        if (l.binary || l.xnor) fail('binary/xnor convolutions are not supported by the ONNX export');
        if (l.groups < 1 || input.c % l.groups !== 0 || l.filters % l.groups !== 0) {
          fail(`groups=${l.groups} must divide the input channels (${input.c}) and filters (${l.filters})`);
        }
        if (l.flipped && l.groups !== 1) fail('flipped=1 with groups is not supported by the ONNX export');
        if (output.w < 1 || output.h < 1) fail(`a ${l.size}x${l.size} kernel does not fit its ${input.w}x${input.h} input`);
        break;
      case 'maxpool': {
        const begin = cdiv(l.pad, 2);
        const endW = Math.max(0, (output.w - 1) * l.stride + l.size - input.w - begin);
        const endH = Math.max(0, (output.h - 1) * l.stride + l.size - input.h - begin);
        if (output.w < 1 || output.h < 1) fail(`a ${l.size}x${l.size} window does not fit its ${input.w}x${input.h} input`);
        if (begin >= l.size || endW >= l.size || endH >= l.size) {
          fail(`padding=${l.pad} with size=${l.size} is not supported by the ONNX export`);
        }
        break;
      }
      case 'softmax':
        if (l.tree) fail('a hierarchical softmax (tree=) is not supported by the ONNX export');
        if (l.groups < 1 || input.outputs % l.groups !== 0) fail(`groups=${l.groups} must divide the ${input.outputs} inputs`);
        break;
      case 'shortcut': {
        const source = layers[l.from];
        if (!source || l.from >= index) fail(`from names layer ${l.from}, which is not an earlier layer`);
        const from = outputShape(source as LayerParameters);
        if (!from.c || !input.c) fail(`layer ${l.from} or the layer before does not output an image`);
        if (from.w !== output.w || from.h !== output.h || from.c !== output.c) {
          const { sample, regular } = shortcutSampling(from, output);
          if (!regular) fail(`layers of incompatible sizes ${from.w}x${from.h} and ${output.w}x${output.h}`);
          const covered = Math.min(from.c, output.c) === output.c && Math.min(from.h, output.h) === output.h && Math.min(from.w, output.w) === output.w;
          if (sample !== 1 || (l.alpha !== 1 && !covered)) {
            fail('a shortcut from a smaller layer, or with alpha != 1 between layers of different sizes, is not supported by the ONNX export');
          }
        }
        break;
      }
      case 'route':
        if (l.layers.length === 0 || l.layers.some((i) => i < 0 || i >= index)) fail(`layers=${l.layers.join(',')} are not all earlier layers`);
        break;
      case 'crop':
        if (output.w < 1 || output.h < 1 || output.w > input.w || output.h > input.h) {
          fail(`a ${output.w}x${output.h} crop does not fit its ${input.w}x${input.h} input`);
        }
        break;
      case 'upsample': {
        // (loadNetwork's cfg rules refuse a negative stride, darknet's downsample, already.)
        if (l.reverse) fail(`stride=-${l.stride} (a downsample) is not supported by the ONNX export`);
        if (l.stride < 1 || !input.c || output.w !== input.w * l.stride || output.h !== input.h * l.stride || output.c !== input.c) {
          fail(`stride=${l.stride} on a ${input.w}x${input.h}x${input.c} input is not supported by the ONNX export`);
        }
        break;
      }
      case 'yolo':
      case 'region': {
        const entries = l.filters > 0 ? input.c / l.filters : 0;
        if (!input.c || !Number.isInteger(entries) || entries !== l.coords + 1 + l.classes || output.c !== input.c) {
          fail(`${l.filters} anchors of ${l.coords} coords and ${l.classes} classes do not make its ${input.c} input channels`);
        }
        if (l.type === 'region') {
          if (l.tree) fail('a hierarchical softmax (tree=) is not supported by the ONNX export');
          if (l.background) fail('background=1 is not supported by the ONNX export');
          if (l.coords < 2) fail(`coords=${l.coords} is not supported by the ONNX export`);
        }
        break;
      }
    }
  });
}

/**
 * forward_yolo_layer / forward_region_layer at inference: the input copied,
 * each anchor's entries (channels a*entries .. (a+1)*entries - 1) activated
 * in ranges: LOGISTIC on x, y (entries 0, 1), on objectness (entry coords)
 * and, for [yolo] and [region] without softmax, on the classes; [region]
 * softmax=1: a softmax over each anchor's classes at each cell; the other
 * coords (w, h, ...) unchanged.
 */
function emitHead(g: GraphBuilder, x: string, l: LayerParameters, shape: Shape): string {
  const base = `l${l.index}`;
  const anchors = l.filters;
  const entries = shape.c / anchors;
  const { coords, classes } = l;
  const classKind = l.type === 'region' && l.softmax ? 'softmax' : 'logistic';
  const ranges: [number, number, 'logistic' | 'linear' | 'softmax'][] = [
    [0, 2, 'logistic'],
    [2, coords, 'linear'],
    [coords, coords + 1, 'logistic'],
    [coords + 1, coords + 1 + classes, classKind],
  ];
  const anchored = g.node('Reshape', [x, g.int64s(`${base}_anchored_shape`, [1, anchors, entries, shape.h, shape.w])], g.name(`${base}_anchored`));
  const parts: string[] = [];
  for (const [start, end, kind] of ranges) {
    if (end <= start) continue;
    const part = g.node(
      'Slice',
      [anchored, g.int64s(`${base}_starts`, [start]), g.int64s(`${base}_ends`, [end]), g.int64s(`${base}_axes`, [2])],
      g.name(`${base}_entries_${start}`),
    );
    if (kind === 'linear') parts.push(part);
    else if (kind === 'logistic') parts.push(g.node('Sigmoid', [part], g.name(`${base}_logistic_${start}`)));
    else parts.push(g.node('Softmax', [part], g.name(`${base}_softmax_${start}`), [{ name: 'axis', i: 2 }]));
  }
  const joined = g.node('Concat', parts, g.name(`${base}_activated`), [{ name: 'axis', i: 2 }]);
  // The graph output's name, reserved by buildGraph.
  return g.node('Reshape', [joined, g.int64s(`${base}_head_shape`, [1, shape.c, shape.h, shape.w])], headOutputName(l));
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

/** A parameter array darknet allocates for this layer type (its absence is a binding bug, not an input problem). */
function array(l: LayerParameters, name: 'biases' | 'scales' | 'rollingMean' | 'rollingVariance' | 'weights'): Float32Array {
  const values = l[name];
  if (!values) throw new Error(`layer ${l.index} [${l.type}] came without its ${name}`);
  return values;
}

function emitActivation(g: GraphBuilder, x: string, activation: string, base: string): string {
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
    default:
      // checkExportable refused stair; get_activation_string knows no other names.
      throw new Error(`no ONNX translation for activation ${activation}`);
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

/**
 * The graph of a network checkExportable accepted. Folds batch norm into the
 * parameter arrays in place (they are the caller's copies).
 */
export function buildGraph(network: NetworkParameters): { g: GraphBuilder; output: Tensor; heads: Tensor[] } {
  const g = new GraphBuilder();
  g.name('input');
  g.name('output');
  // Reserved before any other name is made.
  for (const l of network.layers) if (HEADS.includes(l.type)) g.name(headOutputName(l));
  const { width, height, channels } = network;
  let x: Tensor = { name: 'input', rank: 4, shape: { w: width, h: height, c: channels, outputs: width * height * channels } };
  const outputs: Tensor[] = [];
  for (const layer of network.layers) {
    const base = `l${layer.index}`;
    const input = inputShape(layer);
    const shape = outputShape(layer);
    switch (layer.type) {
      case 'convolutional': {
        const { filters: n, size, groups } = layer;
        const c = input.c;
        const biases = array(layer, 'biases');
        const weights = array(layer, 'weights');
        if (layer.batchNormalize) {
          foldBatchNorm(weights, biases, array(layer, 'scales'), array(layer, 'rollingMean'), array(layer, 'rollingVariance'), (c / groups) * size * size);
        }
        const w = g.floats(`${base}_weights`, [n, c / groups, size, size], weights);
        const b = g.floats(`${base}_biases`, [n], biases);
        const p = layer.pad;
        const conv = g.node('Conv', [image(g, x, base).name, w, b], g.name(`${base}_conv`), [
          { name: 'kernel_shape', ints: [size, size] },
          { name: 'strides', ints: [layer.stride, layer.stride] },
          { name: 'pads', ints: [p, p, p, p] },
          { name: 'group', i: groups },
        ]);
        x = { name: emitActivation(g, conv, layer.activation, base), rank: 4, shape };
        break;
      }
      case 'connected': {
        const inputs = input.outputs;
        const n = shape.outputs;
        const biases = array(layer, 'biases');
        // darknet keeps them outputs x inputs (load_connected_weights transposed a format > 1000 file).
        const weights = array(layer, 'weights');
        if (layer.batchNormalize) {
          foldBatchNorm(weights, biases, array(layer, 'scales'), array(layer, 'rollingMean'), array(layer, 'rollingVariance'), inputs);
        }
        const w = g.floats(`${base}_weights`, [n, inputs], weights);
        const b = g.floats(`${base}_biases`, [n], biases);
        const gemm = g.node('Gemm', [flat(g, x, base).name, w, b], g.name(`${base}_gemm`), [{ name: 'transB', i: 1 }]);
        x = { name: emitActivation(g, gemm, layer.activation, base), rank: 2, shape };
        break;
      }
      case 'batchnorm': {
        // forward_batchnorm_layer at inference: normalize_cpu, scale_bias, add_bias.
        const c = input.c;
        const [scales, mean, variance, biases] = [array(layer, 'scales'), array(layer, 'rollingMean'), array(layer, 'rollingVariance'), array(layer, 'biases')];
        const factor = new Float32Array(c);
        const offset = new Float32Array(c);
        for (let i = 0; i < c; ++i) {
          const f = (scales[i] as number) / (Math.sqrt(variance[i] as number) + Math.fround(0.000001));
          factor[i] = f;
          offset[i] = (biases[i] as number) - (mean[i] as number) * f;
        }
        const scaled = g.node('Mul', [image(g, x, base).name, g.floats(`${base}_factor`, [1, c, 1, 1], factor)], g.name(`${base}_scaled`));
        x = { name: g.node('Add', [scaled, g.floats(`${base}_offset`, [1, c, 1, 1], offset)], g.name(`${base}_batchnorm`)), rank: 4, shape };
        break;
      }
      case 'maxpool': {
        // forward_maxpool_layer: window origin at i*stride - pad/2, cells
        // outside the input never win. ONNX pads: that begin, and the end that
        // gives darknet's output size (w + pad - size)/stride + 1.
        const { size, stride, pad } = layer;
        const begin = cdiv(pad, 2);
        const endW = Math.max(0, (shape.w - 1) * stride + size - input.w - begin);
        const endH = Math.max(0, (shape.h - 1) * stride + size - input.h - begin);
        x = {
          name: g.node('MaxPool', [image(g, x, base).name], g.name(`${base}_maxpool`), [
            { name: 'kernel_shape', ints: [size, size] },
            { name: 'strides', ints: [stride, stride] },
            { name: 'pads', ints: [begin, begin, endH, endW] },
          ]),
          rank: 4,
          shape,
        };
        break;
      }
      case 'avgpool':
        x = { name: g.node('GlobalAveragePool', [image(g, x, base).name], g.name(`${base}_avgpool`)), rank: 4, shape };
        break;
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
        // make_softmax_layer leaves out_w/out_h/out_c at 0: a flat vector.
        x = { name: v, rank: 2, shape };
        break;
      }
      case 'dropout':
      case 'cost':
        x = { ...x, shape };
        break;
      case 'activation':
        x = { name: emitActivation(g, x.name, layer.activation, base), rank: x.rank, shape };
        break;
      case 'shortcut': {
        const from = outputs[layer.from] as Tensor;
        const prev = image(g, x, `${base}_prev`);
        let add = image(g, from, `${base}_from`);
        if (from.shape.w !== shape.w || from.shape.h !== shape.h || from.shape.c !== shape.c) {
          // shortcut_cpu: the first min(c) channels of `from`, sampled every
          // `stride` cells, are added where they land; other cells keep `prev`.
          const { stride } = shortcutSampling(from.shape, shape);
          const [mw, mh, mc] = [Math.min(from.shape.w, shape.w), Math.min(from.shape.h, shape.h), Math.min(from.shape.c, shape.c)];
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
            [sliced, g.int64s(`${base}_pads`, [0, 0, 0, 0, 0, shape.c - mc, shape.h - mh, shape.w - mw])],
            g.name(`${base}_from_padded`),
          );
          add = { name: padded, rank: 4, shape };
        }
        let a = prev.name;
        let b = add.name;
        if (layer.alpha !== 1) a = g.node('Mul', [a, g.scalar(`${base}_alpha`, layer.alpha)], g.name(`${base}_alpha_x`));
        if (layer.beta !== 1) b = g.node('Mul', [b, g.scalar(`${base}_beta`, layer.beta)], g.name(`${base}_beta_x`));
        const sum = g.node('Add', [a, b], g.name(`${base}_shortcut`));
        x = { name: emitActivation(g, sum, layer.activation, base), rank: 4, shape };
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
        const dh = cdiv(input.h - shape.h, 2);
        const dw = cdiv(input.w - shape.w, 2);
        let v = g.node(
          'Slice',
          [image(g, x, base).name, g.int64s(`${base}_starts`, [dh, dw]), g.int64s(`${base}_ends`, [dh + shape.h, dw + shape.w]), g.int64s(`${base}_axes`, [2, 3])],
          g.name(`${base}_crop`),
        );
        if (!layer.noadjust) {
          v = g.node('Mul', [v, g.scalar(`${base}_scale`, 2)], g.name(`${base}_scaled`));
          v = g.node('Add', [v, g.scalar(`${base}_shift`, -1)], g.name(`${base}_shifted`));
        }
        x = { name: v, rank: 4, shape };
        break;
      }
      case 'upsample': {
        const s = layer.stride;
        // upsample_cpu: out[j][i] = scale * in[j / s][i / s]; Resize nearest
        // with asymmetric coordinates (x_in = x_out / s) and floor is that index.
        let v = g.node('Resize', [image(g, x, base).name, '', g.floats(`${base}_scales`, [4], Float32Array.of(1, 1, s, s))], g.name(`${base}_upsample`), [
          { name: 'mode', s: 'nearest' },
          { name: 'coordinate_transformation_mode', s: 'asymmetric' },
          { name: 'nearest_mode', s: 'floor' },
        ]);
        if (layer.scale !== 1) v = g.node('Mul', [v, g.scalar(`${base}_scale`, layer.scale)], g.name(`${base}_scaled`));
        x = { name: v, rank: 4, shape };
        break;
      }
      case 'yolo':
      case 'region':
        x = { name: emitHead(g, image(g, x, base).name, layer, shape), rank: 4, shape };
        break;
      default:
        throw new Error(`buildGraph: layer ${layer.index} [${layer.type}] was not checked`);
    }
    outputs.push(x);
  }
  // get_network_output_layer: the last layer that is not [cost] (cost layers pass x through).
  const heads = network.layers.flatMap((l, i) => (HEADS.includes(l.type) ? [outputs[i] as Tensor] : []));
  return { g, output: x, heads };
}
