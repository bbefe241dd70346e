// darknet's weights file layout, the one place it is written down in
// TypeScript: a header (parser.c load_weights_upto), then each layer's
// parameter arrays in the order load_convolutional_weights,
// load_connected_weights and load_batchnorm_weights read them. For writing
// weights files (synthetic weights in the tests, fuzzer seeds); reading them
// is darknet's job (loadNetwork).
import { endianness } from 'node:os';

import type { NativeLayer } from '../native.js';

/** One of a layer's parameter arrays, as LayerParameters names them. */
export type WeightsArray = 'biases' | 'scales' | 'rollingMean' | 'rollingVariance' | 'weights';

/** `count` floats of layer `layer`'s array `array`, the next ones in the file. */
export interface WeightsBlock {
  layer: number;
  array: WeightsArray;
  count: number;
}

/** What the layout needs of a layer: darknet's layer table row (Network#layers). */
export type WeightsLayer = Pick<NativeLayer, 'index' | 'type' | 'input' | 'output' | 'outputs' | 'filters' | 'size' | 'groups' | 'batchNormalize'>;

/** Layer types whose weights nest other layers': their layout is not written down here. */
const NESTED = new Set(['rnn', 'crnn', 'gru', 'lstm', 'deconvolutional']);

/**
 * The arrays a weights file holds for `layers`, in file order (layers with
 * dontload=, numload= or dontloadscales= are not described: the layer table
 * does not show those options).
 */
export function weightsLayout(layers: readonly WeightsLayer[]): WeightsBlock[] {
  const blocks: WeightsBlock[] = [];
  const add = (layer: number, array: WeightsArray, count: number): void => {
    blocks.push({ layer, array, count });
  };
  const batchNorm = (layer: number, n: number): void => {
    add(layer, 'scales', n);
    add(layer, 'rollingMean', n);
    add(layer, 'rollingVariance', n);
  };
  for (const l of layers) {
    const [w, h, c] = l.input;
    if (l.type === 'convolutional') {
      const n = l.filters ?? 0;
      const size = l.size ?? 0;
      add(l.index, 'biases', n);
      if (l.batchNormalize) batchNorm(l.index, n);
      // load_convolutional_weights: l.c/l.groups*l.n*l.size*l.size, in C's int division.
      add(l.index, 'weights', Math.trunc(c / (l.groups ?? 1)) * n * size * size);
    } else if (l.type === 'connected') {
      // make_connected_layer keeps its inputs as c (w = h = 1).
      const inputs = w * h * c;
      add(l.index, 'biases', l.outputs);
      add(l.index, 'weights', l.outputs * inputs);
      if (l.batchNormalize) batchNorm(l.index, l.outputs);
    } else if (l.type === 'batchnorm') {
      batchNorm(l.index, c);
    } else if (l.type === 'local') {
      const [outW, outH] = l.output;
      const size = l.size ?? 0;
      add(l.index, 'biases', l.outputs);
      add(l.index, 'weights', size * size * c * (l.filters ?? 0) * outW * outH);
    } else if (NESTED.has(l.type)) {
      throw new Error(`weightsLayout: layer ${l.index} [${l.type}]: the layout of its nested layers is not described`);
    }
  }
  return blocks;
}

export interface WeightsHeader {
  major: number;
  minor: number;
  revision: number;
  /** Images seen in training. */
  seen: bigint;
}

/** Format 0.2: 64-bit `seen`, no transposed connected weights. */
export const DEFAULT_WEIGHTS_HEADER: Readonly<WeightsHeader> = Object.freeze({ major: 0, minor: 2, revision: 0, seen: 0n });

/** load_weights_upto's header: 3 int32, then `seen` as size_t (format >= 0.2, below 1000) or int. */
export function weightsHeaderBytes(header: Pick<WeightsHeader, 'major' | 'minor'>): number {
  const { major, minor } = header;
  return 12 + (major * 10 + minor >= 2 && major < 1000 && minor < 1000 ? 8 : 4);
}

/** A whole weights file: the header, then `values` (the arrays in weightsLayout order) as little-endian float32. */
export function encodeWeights(values: Float32Array, header: WeightsHeader = DEFAULT_WEIGHTS_HEADER): Uint8Array {
  const headerBytes = weightsHeaderBytes(header);
  const bytes = new Uint8Array(headerBytes + values.length * 4);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, header.major, true);
  view.setInt32(4, header.minor, true);
  view.setInt32(8, header.revision, true);
  if (headerBytes === 20) view.setBigUint64(12, header.seen, true);
  else view.setInt32(12, Number(header.seen), true);
  if (endianness() === 'LE') bytes.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), headerBytes);
  else values.forEach((v, i) => view.setFloat32(headerBytes + i * 4, v, true));
  return bytes;
}
