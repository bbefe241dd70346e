// Networks in worker_threads: loaded and used there, and freed by the
// environment's cleanup hook when the worker ends, even mid-classify.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Worker } from 'node:worker_threads';

import { loadNetwork, loadedNetworkCount } from '../dist/index.js';
import { dogJpg, tempDir, tinyCfg } from './support/paths.mjs';
import { tinyWeights } from './support/weights.mjs';

const dir = tempDir();
after(() => rmSync(dir, { recursive: true, force: true }));
let count = 0;
const index = new URL('../dist/index.js', import.meta.url).href;

function worker(body) {
  const source = `
    import { parentPort, workerData } from 'node:worker_threads';
    import { loadNetwork } from ${JSON.stringify(index)};
    const { cfg, weights, image } = workerData;
    ${body}`;
  const file = join(dir, `worker-${++count}.mjs`);
  writeFileSync(file, source);
  const w = new Worker(file, { workerData: { cfg: tinyCfg, weights: tinyWeights, image: dogJpg } });
  w.on('error', (error) => console.error('worker error', error));
  return w;
}

test('two workers load and classify at once, leaving their networks open when they exit', async () => {
  const body = `
    const network = await loadNetwork(cfg, weights);
    const [best] = await network.classify(image, { top: 1 });
    parentPort.postMessage(best.label);`; // exits without close(): the cleanup hook frees it
  const workers = [worker(body), worker(body)];
  const exits = workers.map((w) => once(w, 'exit'));
  const labels = await Promise.all(workers.map((w) => once(w, 'message').then(([label]) => label)));
  assert.deepEqual(labels, ['malamute', 'malamute']);
  assert.deepEqual(await Promise.all(exits), [[0], [0]]);
  const main = await loadNetwork(tinyCfg, tinyWeights);
  assert.equal((await main.classify(dogJpg, { top: 1 }))[0].label, 'malamute');
  await main.close();
  assert.equal(loadedNetworkCount(), 0, 'the main thread counts only its own networks');
});

test('a worker thread detects and draws, and exits without close(): the process carries on', async () => {
  const { writeSyntheticWeights } = await import('./helpers.mjs');
  const { darknetCfg } = await import('./support/paths.mjs');
  const cfg = darknetCfg('yolov3-tiny');
  const weights = await writeSyntheticWeights(cfg, join(dir, 'yolov3-tiny.weights'), 41);
  const file = join(dir, `worker-${++count}.mjs`);
  writeFileSync(file, `
    import { parentPort, workerData } from 'node:worker_threads';
    import { loadNetwork } from ${JSON.stringify(index)};
    const network = await loadNetwork(workerData.cfg, workerData.weights);
    const { detections, image } = await network.detect(workerData.image, { draw: true });
    parentPort.postMessage({ detections, bytes: image.length });`);
  const w = new Worker(file, { workerData: { cfg, weights, image: dogJpg } });
  const exit = once(w, 'exit');
  const [message] = await once(w, 'message');
  assert.deepEqual(await exit, [0]);
  const main = await loadNetwork(cfg, weights);
  try {
    const { detections, image } = await main.detect(dogJpg, { draw: true });
    assert.ok(detections.length > 0);
    assert.deepEqual(message, { detections, bytes: image.length }, 'the same detections and drawing as on the main thread');
  } finally {
    await main.close();
  }
});

test('a worker terminated in the middle of a classify: the process carries on', async () => {
  const w = worker(`
    const network = await loadNetwork(cfg, weights);
    parentPort.postMessage('loaded');
    for (;;) await network.classify(image);`);
  await once(w, 'message');
  await new Promise((r) => setTimeout(r, 30)); // inside a classify, most likely
  const [code] = await Promise.all([once(w, 'exit').then(([c]) => c), w.terminate()]);
  assert.equal(code, 1);
  const main = await loadNetwork(tinyCfg, tinyWeights);
  assert.equal((await main.classify(dogJpg, { top: 1 }))[0].label, 'malamute');
  await main.close();
});
