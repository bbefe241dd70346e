// The benchmark's lower bound on darknet's arithmetic (bench/bound.mjs),
// against counts worked out by hand and by brute force.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { leastMs, leastRoundedOps } from '../../bench/bound.mjs';

/** Brute force: every output's in-image taps, times its channels, as multiplies and adds. */
function bruteForce({ input: [w, h, c], output: [ow, oh], filters, size, stride, pad, groups }) {
  let ops = 0;
  for (let f = 0; f < filters; ++f)
    for (let oy = 0; oy < oh; ++oy)
      for (let ox = 0; ox < ow; ++ox) {
        let products = 0;
        for (let ky = 0; ky < size; ++ky)
          for (let kx = 0; kx < size; ++kx) {
            const y = oy * stride - pad + ky;
            const x = ox * stride - pad + kx;
            if (y >= 0 && y < h && x >= 0 && x < w) products += c / groups;
          }
        if (products) ops += 2 * products - 1;
      }
  return ops;
}

const conv = (input, output, filters, size, stride, pad, groups = 1) => ({
  type: 'convolutional', input, output, filters, size, stride, pad, groups,
});

test('a 1x1 convolution: every tap in the image, one add fewer than the products', () => {
  // 4x4x8 -> 4x4x2: each of 32 outputs has 8 products and 7 adds.
  assert.equal(leastRoundedOps([conv([4, 4, 8], [4, 4, 2], 2, 1, 1, 0)]), 32 * 15);
});

test('a padded 3x3 convolution skips the taps on the padding', () => {
  // 2x2x1 -> 2x2x1, pad 1: each output sees the 4 pixels (4 products, 3 adds).
  assert.equal(leastRoundedOps([conv([2, 2, 1], [2, 2, 1], 1, 3, 1, 1)]), 4 * 7);
});

test('strides, groups, padding: the same count as brute force', () => {
  const layers = [
    conv([13, 11, 6], [7, 6, 4], 4, 3, 2, 1, 2),
    conv([9, 9, 3], [5, 5, 8], 8, 5, 2, 2),
    conv([5, 5, 4], [3, 3, 4], 4, 3, 1, 0, 4),
    conv([6, 4, 2], [8, 6, 3], 3, 3, 1, 2),
  ];
  for (const layer of layers) assert.equal(leastRoundedOps([layer]), bruteForce(layer), JSON.stringify(layer));
  assert.equal(leastRoundedOps(layers), layers.reduce((sum, l) => sum + bruteForce(l), 0));
});

test('connected layers count; pooling, routes and the rest count nothing', () => {
  assert.equal(leastRoundedOps([{ type: 'connected', inputs: 10, outputs: 3 }]), 3 * 19);
  assert.equal(leastRoundedOps([{ type: 'maxpool', input: [4, 4, 1], output: [2, 2, 1], size: 2, stride: 2 }, { type: 'softmax' }]), 0);
});

test('leastMs: ops over cores at a rate', () => {
  assert.equal(leastMs(2e9, 100, 1), 20);
  assert.equal(leastMs(2e9, 100, 2), 10);
});
