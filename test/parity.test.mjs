// The original is the oracle: for every cfg and every darknet/data/*.jpg, our
// CLI prints byte for byte what darknet's own CLI (built from the same
// sources by our CMake) prints, and predict() returns its output vector.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { loadNetwork } from '../dist/index.js';
import { writeSyntheticWeights } from './helpers.mjs';
import { runOurCli } from './support/child.mjs';
import { loopImages } from './support/cases.mjs';
import { darknetCfg, darknetDir, sampleImages, tempDir } from './support/paths.mjs';
import { maxAbsDiff, referenceOutput, runReferenceCli } from './support/reference.mjs';
import { tinyWeights } from './support/weights.mjs';

// An ASan+UBSan build (npm run test:sanitize) instruments darknet's loops, and
// -Ofast then vectorizes some differently from the reference CLI's build:
// outputs within 1e-5 there (about 1e-6 seen, in resize 'min'), 1e-6 here.
const tolerance = process.env.DARKNET_NAPI_SANITIZED ? 1e-5 : 1e-6;

/** The cfgs covered, with their weights (real for tiny, synthetic for the rest; only those `names` selects). */
async function parityModels(dir, names) {
  const models = [{ name: 'tiny', cfg: 'cfg/tiny.cfg', weights: tinyWeights }];
  for (const [name, seed] of [
    ['darknet', 11],
    ['darknet19', 12],
    ['resnet18', 13],
  ]) {
    if (!names.has(name)) continue; // under emulation, darknet19's 21M synthetic floats alone take tens of seconds
    const weights = join(dir, `${name}.weights`);
    await writeSyntheticWeights(darknetCfg(name), weights, seed);
    models.push({ name, cfg: `cfg/${name}.cfg`, weights });
  }
  return models;
}

// DARKNET_NAPI_PARITY narrows the run where every forward pass is slow (under
// emulation, scripts/test-arm64.sh) or the CI step is short of time
// (scripts/test-windows.sh): a comma list of cfg names, each with all sample
// images or `name:image.jpg` for one, e.g. `tiny,resnet18:dog.jpg`.
// "All" is loopImages: every sample image, or DARKNET_NAPI_IMAGES' few.
const allModels = ['tiny', 'darknet', 'darknet19', 'resnet18'];
const selection = new Map(
  (process.env.DARKNET_NAPI_PARITY ?? allModels.join(','))
    .split(',')
    .map((entry) => entry.trim().split(':'))
    .map(([name, image]) => [name, image === undefined ? loopImages : [join('data', image)]]),
);
for (const [name, images] of selection) {
  if (!allModels.includes(name)) throw new Error(`DARKNET_NAPI_PARITY: no cfg ${name} (${allModels.join(', ')})`);
  for (const image of images) if (!sampleImages.includes(image)) throw new Error(`DARKNET_NAPI_PARITY: no sample image ${image}`);
}

const dir = tempDir();
let models = [];
before(async () => {
  models = await parityModels(dir, new Set(selection.keys()));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** CLI stdout per cfg and image: identical to the reference's or not. */
const cliIdentical = new Map();
/** Parity results, printed at the end as the table the closing note quotes. */
const table = [];
after(() => {
  console.log('\nparity (cfg x image: CLI stdout byte-identical / max |predict - reference|)');
  for (const row of table) console.log(`  ${row.cfg.padEnd(18)} ${row.image.padEnd(18)} ${row.cli.padEnd(10)} ${row.diff}`);
});

describe('parity with the reference darknet CLI', () => {
  for (const [name, images] of selection) {
    const every = images === sampleImages ? 'every sample image' : images.join(', ');
    test(`${name}: CLI stdout identical on ${every} (stdin loop and one image per run)`, async () => {
      const model = models.find((m) => m.name === name);
      const input = `${images.join('\n')}\n`;
      const [theirs, ours] = await Promise.all([
        runReferenceCli(['classify', model.cfg, model.weights], { input }),
        runOurCli(['classify', model.cfg, model.weights], { input }),
      ]);
      assert.equal(theirs.code, 0, theirs.stderr);
      assert.equal(ours.code, 0, ours.stderr);
      // Sanity: 5 lines per image plus the prompts, and a spread of classes.
      assert.equal(theirs.stdout.split('\n').length, images.length * 5 + 1);
      const blocks = (text) => text.split('Enter Image Path: ').slice(1, -1);
      const theirBlocks = blocks(theirs.stdout);
      const ourBlocks = blocks(ours.stdout);
      for (const [i, image] of images.entries()) {
        cliIdentical.set(`${name} ${image}`, theirBlocks[i] !== undefined && ourBlocks[i] === theirBlocks[i]);
      }
      assert.equal(ours.stdout, theirs.stdout);
      for (const image of images) {
        // the path literally: on Windows data\dog.jpg, whose \d a RegExp reads as a digit
        const path = image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        assert.match(ours.stderr, new RegExp(`${path}: Predicted in \\d+\\.\\d{6} seconds\\.`));
      }
      if (name === 'tiny') {
        // The one-image form too, for each image.
        for (const image of images) {
          const [a, b] = await Promise.all([
            runReferenceCli(['classify', model.cfg, model.weights, image]),
            runOurCli(['classify', model.cfg, model.weights, image]),
          ]);
          assert.equal(b.code, 0, b.stderr);
          assert.equal(b.stdout, a.stdout, image);
        }
      }
    });

    test(`${name}: predict() equals the reference output vector within ${tolerance} on ${every}, with either engine, and the engines agree to the bit`, async () => {
      const model = models.find((m) => m.name === name);
      const network = await loadNetwork(join(darknetDir, model.cfg), model.weights);
      const stock = await loadNetwork(join(darknetDir, model.cfg), model.weights, { engine: 'darknet' });
      assert.equal(network.engine, 'fast');
      try {
        for (const image of images) {
          const expected = await referenceOutput(model.cfg, model.weights, image);
          const actual = await network.predict(join(darknetDir, image));
          const actualStock = await stock.predict(join(darknetDir, image));
          assert.equal(actual.length, network.outputs);
          assert.equal(actual.length, expected.length);
          assert.ok(actual.every(Number.isFinite), 'finite outputs');
          const diff = maxAbsDiff(actual, expected);
          assert.ok(diff <= tolerance, `${name} ${image}: max |diff| ${diff}`);
          const stockDiff = maxAbsDiff(actualStock, expected);
          assert.ok(stockDiff <= tolerance, `${name} ${image} (engine darknet): max |diff| ${stockDiff}`);
          // Same arithmetic in the same order (binding/sgemm_kernel.c): the same bits.
          assert.deepEqual(Array.from(actual), Array.from(actualStock), `${name} ${image}: engines differ`);
          // A network whose outputs are all alike would make this test vacuous.
          assert.ok(Math.max(...actual) > Math.min(...actual), 'outputs differ between classes');
          table.push({ cfg: model.cfg, image, cli: { true: 'identical', false: 'DIFFERENT' }[cliIdentical.get(`${name} ${image}`)] ?? 'not run', diff: diff.toExponential(1) });
        }
      } finally {
        await network.close();
        await stock.close();
      }
    });
  }

  // Where the loops are cut (qemu, Wine), the landscape and the portrait
  // image: resize_min's two branches (a square one takes the landscape's);
  // under qemu each image here costs about 160 s of a core.
  const cut = loopImages.filter((image) => /(dog|scream)\.jpg$/.test(image));
  const minImages = loopImages === sampleImages || cut.length === 0 ? loopImages : cut;
  test(`resize 'min' equals the reference's 2016 flow (resize_min + resize_network) for tiny on ${minImages === sampleImages ? 'every sample image' : minImages.join(', ')}`, async () => {
    const model = models.find((m) => m.name === 'tiny');
    const network = await loadNetwork(join(darknetDir, model.cfg), model.weights);
    try {
      for (const image of minImages) {
        const expected = await referenceOutput(model.cfg, model.weights, image, 'min');
        const actual = await network.predict(join(darknetDir, image), { resize: 'min' });
        assert.ok(maxAbsDiff(actual, expected) <= tolerance, `${image}: max |diff| ${maxAbsDiff(actual, expected)}`);
        // and the network is back to its own size for the next letterbox call
        const letterbox = await network.predict(join(darknetDir, image));
        assert.ok(maxAbsDiff(letterbox, await referenceOutput(model.cfg, model.weights, image)) <= tolerance, image);
      }
    } finally {
      await network.close();
    }
  });
});
