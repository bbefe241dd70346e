// Deterministic synthetic weights for cfgs without real ones (the other
// shared helpers are in test/support/: each test file imports what it needs).
import { writeFileSync } from 'node:fs';

import { loadNetwork } from '../dist/index.js';
import { prng } from './support/random.mjs';

/**
 * Writes deterministic weights of exactly the size `cfg` needs (format 0.2,
 * 20-byte header), laid out in darknet's load order: for each convolutional
 * layer biases, then (with batch_normalize) scales, rolling means and rolling
 * variances, then weights; connected layers biases, weights, then the
 * batch-norm triple. Values are scaled like a trained network's (He-style
 * weights, variances near 1) so that activations stay finite.
 */
export async function writeSyntheticWeights(cfg, file, seed = 1) {
  const network = await loadNetwork(cfg);
  const random = prng(seed);
  const uniform = (lo, hi) => lo + (hi - lo) * random();
  const values = new Float32Array(network.parameters);
  let at = 0;
  const fill = (count, lo, hi) => {
    for (let i = 0; i < count; ++i) values[at++] = uniform(lo, hi);
  };
  const batchNorm = (n) => {
    fill(n, 0.8, 1.2); // scales
    fill(n, -0.05, 0.05); // rolling mean
    fill(n, 0.8, 1.2); // rolling variance
  };
  for (const layer of network.layers) {
    const [w, h, c] = layer.input;
    if (layer.type === 'convolutional') {
      const n = layer.filters;
      const fanIn = (c / layer.groups) * layer.size * layer.size;
      fill(n, -0.05, 0.05); // biases
      if (layer.batchNormalize) batchNorm(n);
      const bound = Math.sqrt(3 / fanIn);
      fill(Math.trunc(c / layer.groups) * n * layer.size * layer.size, -bound, bound);
    } else if (layer.type === 'connected') {
      const inputs = w * h * c;
      fill(layer.outputs, -0.05, 0.05);
      const bound = Math.sqrt(3 / inputs);
      fill(layer.outputs * inputs, -bound, bound);
      if (layer.batchNormalize) batchNorm(layer.outputs);
    } else if (layer.type === 'batchnorm') {
      batchNorm(c);
    }
  }
  await network.close();
  if (at !== values.length) {
    throw new Error(`synthetic weights for ${cfg}: laid out ${at} floats, the network needs ${values.length}`);
  }
  const header = Buffer.alloc(20);
  header.writeInt32LE(0, 0); // major
  header.writeInt32LE(2, 4); // minor: 0.2 has a 64-bit `seen`
  header.writeInt32LE(0, 8); // revision
  header.writeBigUInt64LE(0n, 12); // seen
  writeFileSync(file, Buffer.concat([header, Buffer.from(values.buffer)]));
  return file;
}
