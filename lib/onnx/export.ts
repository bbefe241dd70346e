// `darknet export --onnx`: a darknet network as an ONNX model computing what
// darknet's network_predict returns. The network is the one darknet itself
// parsed and loaded (loadNetwork): its layers and parameter arrays come from
// the addon, so the export accepts exactly the cfgs and weights darknet does.
import { basename } from 'node:path';

import { DarknetError } from '../errors.js';
import { loadNetwork, type Network } from '../network.js';
import type { NetworkParameters } from '../native.js';
import { buildGraph, checkExportable } from './graph.js';

/** A protobuf message is at most 2 GiB; leave room for the graph around the tensors. */
const MAX_PARAMETER_BYTES = 2 ** 31 - (1 << 20);

/** The layers darknet parses from `cfg`, without weights: for an export check only. */
async function parametersOf(cfg: string): Promise<NetworkParameters | undefined> {
  const network = await loadNetwork(cfg, undefined, { labels: [] }).catch(() => undefined);
  if (!network) return undefined;
  try {
    return await network.layerParameters();
  } finally {
    await network.close();
  }
}

/**
 * Exports a darknet network (cfg + weights) as an ONNX model (opset 13) that
 * computes what darknet's network_predict returns: for a classifier, the
 * probability of every class. Input "input": float32 [1, channels, height,
 * width], planar RGB in 0..1 (what darknet feeds the network after
 * letterboxing); output "output": float32 [1, outputs].
 *
 * A detector ([yolo] or [region] heads) has one output per head instead,
 * named after the layer (`yolo_16`, `yolo_23`, `region_15`): float32
 * [1, filters, h, w], the head's output after its forward (what
 * Network#detectWithHeads returns as `heads`), before any box decoding.
 *
 * Batch normalization is folded into the convolution weights. Supported
 * layers: convolutional, connected, batchnorm, maxpool, avgpool, softmax,
 * dropout, cost, activation, shortcut, route, crop, upsample, yolo and region,
 * which covers darknet's ImageNet classifier cfgs and yolov3-tiny, yolov3,
 * yolov3-spp, yolov2-tiny, yolov2-tiny-voc. Throws loadNetwork's DarknetError for what darknet
 * cannot load (ERR_FILE_NOT_FOUND, ERR_INVALID_CFG, ERR_INVALID_WEIGHTS, ...),
 * and ERR_UNSUPPORTED_LAYER naming the layer the export cannot translate.
 */
export async function exportOnnx(cfgPath: string, weightsPath: string): Promise<Uint8Array> {
  let network: Network;
  try {
    network = await loadNetwork(cfgPath, weightsPath, { labels: [] });
  } catch (error) {
    // Weights that don't fit a cfg the export could not translate anyway: the
    // cfg is the problem to report (no weights would make it exportable).
    if (error instanceof DarknetError && error.code === 'ERR_INVALID_WEIGHTS') {
      const bare = await parametersOf(cfgPath);
      if (bare) checkExportable(bare, cfgPath);
    }
    throw error;
  }
  let parameters: NetworkParameters;
  try {
    parameters = await network.layerParameters();
  } finally {
    await network.close();
  }
  checkExportable(parameters, cfgPath);
  const floats = parameters.layers.reduce(
    (sum, l) => sum + [l.biases, l.scales, l.rollingMean, l.rollingVariance, l.weights].reduce((n, a) => n + (a?.length ?? 0), 0),
    0,
  );
  if (floats * 4 > MAX_PARAMETER_BYTES) {
    throw new DarknetError(`${cfgPath}: ${floats} float parameters do not fit in one ONNX protobuf file (2 GiB at most)`, 'ERR_NETWORK_TOO_LARGE');
  }
  const { g, output, heads } = buildGraph(parameters);
  let outputs: { name: string; dims: number[] }[];
  if (heads.length > 0) {
    // A detector: every head's output (its tensor is named after its layer), as darknet's detection code reads them.
    outputs = heads.map((t) => ({ name: t.name, dims: [1, t.shape.c, t.shape.h, t.shape.w] }));
  } else {
    // The network's output as one flat vector, named "output".
    const last = output.rank === 2 ? g.node('Identity', [output.name], 'output') : g.node('Flatten', [output.name], 'output', [{ name: 'axis', i: 1 }]);
    outputs = [{ name: last, dims: [1, output.shape.outputs] }];
  }
  return g.model(
    basename(cfgPath).replace(/\.cfg$/, ''),
    `darknet ${basename(cfgPath)} with ${basename(weightsPath)}, exported by darknet-napi`,
    { name: 'input', dims: [1, parameters.channels, parameters.height, parameters.width] },
    outputs,
  );
}
