// darknet work runs on the thread pool: calls on one network are serialized
// in order, networks run in parallel, and the event loop keeps turning.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { loadNetwork } from '../dist/index.js';
import { darknetDir, sampleImages, tinyCfg } from './support/paths.mjs';
import { tinyWeights } from './support/weights.mjs';

const images = sampleImages.map((image) => join(darknetDir, image));
let network;
before(async () => {
  network = await loadNetwork(tinyCfg, tinyWeights);
});
after(() => network.close());

test('32 concurrent classify calls on one network equal 32 sequential ones', async () => {
  const inputs = Array.from({ length: 32 }, (_, i) => images[i % images.length]);
  const sequential = [];
  for (const input of inputs) sequential.push(await network.classify(input));
  const concurrent = await Promise.all(inputs.map((input) => network.classify(input)));
  assert.deepEqual(concurrent, sequential);
  assert.ok(new Set(sequential.map((r) => r[0].label)).size > 3, 'different images, different answers');
});

test('calls on one network complete in the order they were made', async () => {
  const order = [];
  await Promise.all(
    images.map((image, i) => network.predict(readFileSync(image)).then(() => order.push(i))),
  );
  assert.deepEqual(order, images.map((_, i) => i));
});

test('two networks classify in parallel, each with its own results', async () => {
  const other = await loadNetwork(tinyCfg, tinyWeights);
  try {
    const expected = await Promise.all(images.map((image) => network.classify(image)));
    const [a, b] = await Promise.all([
      Promise.all(images.map((image) => network.classify(image))),
      Promise.all(images.map((image) => other.classify(image))),
    ]);
    assert.deepEqual(a, expected);
    assert.deepEqual(b, expected);
  } finally {
    await other.close();
  }
});

test('the event loop keeps ticking while darknet works', async () => {
  let ticks = 0;
  const timer = setInterval(() => ++ticks, 5);
  const started = performance.now();
  try {
    for (let i = 0; i < 3; ++i) await network.classify(images[0]);
  } finally {
    clearInterval(timer);
  }
  const elapsed = performance.now() - started;
  // A blocked loop would tick at most once per classify; a free one about every 5 ms.
  assert.ok(ticks >= Math.min(10, elapsed / 20), `${ticks} ticks in ${elapsed.toFixed(0)} ms`);
});

test('loading does not block the event loop either', async () => {
  let ticks = 0;
  const timer = setInterval(() => ++ticks, 1);
  const loading = loadNetwork(tinyCfg, tinyWeights);
  const ticksAtCall = ticks;
  const loaded = await loading;
  clearInterval(timer);
  assert.equal(ticksAtCall, 0, 'loadNetwork returned before doing the work');
  assert.ok(ticks > 0);
  await loaded.close();
});
