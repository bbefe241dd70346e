// Tiny Darknet with the real weights on dog.jpg gives exactly what the
// models folder's README.md says the original prints (the folder .ci/run
// gives as DARKNET_NAPI_MIRROR holds it beside tiny.weights).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

import { classify, loadNetwork } from '../dist/index.js';
import { runOurCli } from './support/child.mjs';
import { dogJpg, tinyCfg } from './support/paths.mjs';
import { tinyWeights } from './support/weights.mjs';

/** What the pinned darknet CLI prints for tiny.weights + dog.jpg (stb_image build). */
const cliGolden = '14.51%: malamute\n 6.09%: Newfoundland\n 5.59%: dogsled\n 4.55%: standard schnauzer\n 4.05%: Eskimo dog\n';
/** The Tiny Darknet page's numbers (2016 flow: resize_min + resize_network, "%s: %f"). */
const pageGolden =
  'malamute: 0.167168\nEskimo dog: 0.065828\ndogsled: 0.063020\nstandard schnauzer: 0.051153\nSiberian husky: 0.037506\n';

/** The README.md beside tiny.weights in a mirror folder, where there is one. */
function modelsReadme() {
  const mirror = process.env.DARKNET_NAPI_MIRROR;
  if (!mirror || /^https?:/.test(mirror)) return undefined;
  const file = join(mirror.startsWith('file:') ? fileURLToPath(mirror) : resolve(mirror), 'README.md');
  return existsSync(file) ? file : undefined;
}
const sharedReadme = modelsReadme();
test('the golden outputs are the ones the models README.md documents', { skip: !sharedReadme && 'no README.md in a DARKNET_NAPI_MIRROR folder' }, () => {
  const blocks = [...readFileSync(sharedReadme, 'utf8').matchAll(/```\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.deepEqual(blocks, [cliGolden, pageGolden]);
});

test('darknet classify cfg/tiny.cfg tiny.weights data/dog.jpg prints the documented five lines', async () => {
  const result = await runOurCli(['classify', 'cfg/tiny.cfg', tinyWeights, 'data/dog.jpg']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, cliGolden);
  assert.match(result.stderr, /^data\/dog\.jpg: Predicted in \d+\.\d{6} seconds\.\n$/);
});

test("--resize min reproduces the Tiny Darknet page's five lines exactly", async () => {
  const result = await runOurCli(['classify', 'cfg/tiny.cfg', tinyWeights, 'data/dog.jpg', '--resize', 'min']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, pageGolden);
});

test('the API gives the same classes and probabilities', async () => {
  const top = await classify(tinyCfg, tinyWeights, dogJpg);
  const lines = top.map((r) => `${(Math.fround(r.probability) * 100).toFixed(2).padStart(5)}%: ${r.label}\n`).join('');
  assert.equal(lines, cliGolden);
  assert.deepEqual(
    top.map((r) => r.label),
    ['malamute', 'Newfoundland', 'dogsled', 'standard schnauzer', 'Eskimo dog'],
  );
  assert.ok(top.every((r, i) => i === 0 || top[i - 1].probability >= r.probability));

  const network = await loadNetwork(tinyCfg, tinyWeights);
  const page = await network.classify(dogJpg, { resize: 'min' });
  assert.equal(page.map((r) => `${r.label}: ${r.probability.toFixed(6)}\n`).join(''), pageGolden);
  assert.equal(network.width, 224);
  assert.equal(network.height, 224);
  assert.equal(network.channels, 3);
  assert.equal(network.outputs, 1000);
  assert.equal(network.parameters, 1046488); // the shared README's payload count
  assert.equal(network.layers.length, 22);
  assert.equal(network.layers[0].type, 'convolutional');
  assert.deepEqual(network.layers[0].output, [224, 224, 16]);
  assert.equal(network.layers.at(-1).type, 'softmax');
  const top10 = await network.classify(dogJpg, { top: 10 });
  assert.equal(top10.length, 10);
  assert.deepEqual(top10.slice(0, 5), top);
  await network.close();
});
