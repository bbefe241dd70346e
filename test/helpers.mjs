// Deterministic synthetic weights for cfgs without real ones (the other
// shared helpers are in test/support/: each test file imports what it needs).
import { writeFileSync } from 'node:fs';

import { loadNetwork } from '../dist/index.js';
import { encodeWeights, weightsLayout } from '../dist/models/weights-file.js';
import { prng } from './support/random.mjs';

/**
 * Writes deterministic weights of exactly the size `cfg` needs (format 0.2,
 * 20-byte header), laid out in darknet's load order: for each convolutional
 * layer biases, then (with batch_normalize) scales, rolling means and rolling
 * variances, then weights; connected layers biases, weights, then the
 * batch-norm triple. Values are scaled like a trained network's (He-style
 * weights, variances near 1) so that activations stay finite.
 *
 * Detectors: with such weights every head's logits stay near 0, so
 * objectness and class probabilities all sit near 0.5 and nothing passes
 * detector test's thresholds. The weights of each convolution that feeds a
 * head (the linear ones) are multiplied by `headGains[head type]`, so the
 * logits spread out: 12 for [yolo] (yolov3-tiny then prints tens to hundreds
 * of lines per sample image at thresh 0.5, about a thousand at 0.45), 48 for
 * [region] (its softmax over 80 classes needs wider logits to give one class
 * most of the probability: yolov2-tiny and yolov2-tiny-voc then print tens to
 * hundreds at 0.45 to 0.55). Networks without a head are unchanged.
 */
export const DEFAULT_HEAD_GAINS = Object.freeze({ yolo: 12, region: 48, detection: 8 });

export async function writeSyntheticWeights(cfg, file, seed = 1, { headGains = DEFAULT_HEAD_GAINS } = {}) {
  const network = await loadNetwork(cfg);
  const random = prng(seed);
  const uniform = (lo, hi) => lo + (hi - lo) * random();
  const values = new Float32Array(network.parameters);
  let at = 0;
  const fill = (count, lo, hi) => {
    for (let i = 0; i < count; ++i) values[at++] = uniform(lo, hi);
  };
  // [lo, hi] per array; weights: He-style, from each layer's fan-in.
  const ranges = { biases: [-0.05, 0.05], scales: [0.8, 1.2], rollingMean: [-0.05, 0.05], rollingVariance: [0.8, 1.2] };
  const gainOf = (index) => {
    const next = network.layers[index + 1]?.type;
    return next !== undefined && Object.hasOwn(headGains, next) ? headGains[next] : 1;
  };
  for (const block of weightsLayout(network.layers)) {
    const layer = network.layers[block.layer];
    if (block.array !== 'weights') {
      fill(block.count, ...ranges[block.array]);
      continue;
    }
    const [w, h, c] = layer.input;
    const fanIn = layer.type === 'convolutional' ? (c / layer.groups) * layer.size * layer.size : w * h * c;
    const bound = Math.sqrt(3 / fanIn) * gainOf(block.layer);
    fill(block.count, -bound, bound);
  }
  await network.close();
  if (at !== values.length) {
    throw new Error(`synthetic weights for ${cfg}: laid out ${at} floats, the network needs ${values.length}`);
  }
  writeFileSync(file, encodeWeights(values));
  return file;
}
