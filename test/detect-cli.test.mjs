// Drawing and the detect CLI against darknet's own: detect({ draw }) returns
// the bytes of the predictions.jpg the reference CLI writes, `darknet detect`
// and `darknet detector test` print what it prints (but the seconds) and
// write the same file; the stdin loop, errors, and draw_detections' 4096-byte
// labelstr, which must not overflow. Synthetic detecting weights
// (test/helpers.mjs).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { loadNetwork } from '../dist/index.js';
import { writeSyntheticWeights } from './helpers.mjs';
import { runOurCli } from './support/child.mjs';
import { darknetCfg, darknetDir, sampleImages, tempDir } from './support/paths.mjs';
import { runReferenceCli } from './support/reference.mjs';

const dir = tempDir('darknet-napi-detect-cli-');
after(() => rmSync(dir, { recursive: true, force: true }));

// darknet's CLI reads cfg/coco.data, data/coco.names and data/labels/ from
// its working directory and writes predictions.jpg there: a folder of ours
// with darknet's cfg/ and data/ linked in, for the reference and for us.
const work = join(dir, 'work');
mkdirSync(work);
symlinkSync(join(darknetDir, 'cfg'), join(work, 'cfg'));
symlinkSync(join(darknetDir, 'data'), join(work, 'data'));

const weightsOf = new Map();
const MODELS = [
  { name: 'yolov3-tiny', seed: 31, data: 'cfg/coco.data', images: sampleImages },
  { name: 'yolov2-tiny', seed: 32, data: 'cfg/coco.data', images: sampleImages },
  { name: 'yolov2-tiny-voc', seed: 33, data: 'cfg/voc.data', images: sampleImages },
];
before(async () => {
  for (const model of MODELS) {
    weightsOf.set(model.name, await writeSyntheticWeights(darknetCfg(model.name), join(dir, `${model.name}.weights`), model.seed));
  }
});

/** The seconds of `<image>: Predicted in <seconds> seconds.`, the one thing that may differ. */
const masked = (stdout) => stdout.replace(/: Predicted in \d+\.\d{6} seconds\.\n/g, ': Predicted in S seconds.\n');

describe('drawn detections', () => {
  test('draw_detections\' labelstr: many long names above a low threshold are cut, never overflow', async () => {
    // one box (a 1x1 grid, one anchor) of a 601-class head; every class
    // passes thresh 0.1, their names joined would be about 27,000 bytes
    const cfg = join(dir, 'head601.cfg');
    writeFileSync(cfg, '[net]\nwidth=32\nheight=32\nchannels=3\n\n[maxpool]\nsize=32\nstride=32\n\n[convolutional]\nsize=1\nstride=1\npad=0\nfilters=606\nactivation=linear\n\n[yolo]\nmask=0\nanchors=10,10\nclasses=601\nnum=1\n');
    const weights = await writeSyntheticWeights(cfg, join(dir, 'head601.weights'), 7, { headGains: { yolo: 1 } });
    const labels = Array.from({ length: 601 }, (_, i) => `class number ${i} with a long, long name, é ${'x'.repeat(i === 3 ? 5000 : 0)}`);
    const network = await loadNetwork(cfg, weights, { labels });
    try {
      for (const size of [32, 400]) {
        const data = new Uint8Array(size * size * 3).fill(128);
        const started = Date.now();
        const { detections, image, format } = await network.detect({ data, width: size, height: size, channels: 3 }, { thresh: 0.1, draw: 'png' });
        assert.equal(detections.length, 601);
        assert.equal(format, 'png');
        assert.deepEqual([...image.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
        assert.ok(Date.now() - started < 5000, `drawing took ${Date.now() - started} ms`);
      }
      // the process is fine, and so is another network
      const again = await network.detect({ data: new Uint8Array(32 * 32 * 3), width: 32, height: 32, channels: 3 }, { thresh: 0.1, draw: true });
      assert.equal(again.image[0], 0xff);
    } finally {
      await network.close();
    }
  });

  test('options: draw false/undefined return the list, a bad draw is ERR_INVALID_INPUT, a missing alphabet ERR_FILE_NOT_FOUND', async () => {
    const network = await loadNetwork(darknetCfg('yolov3-tiny'), weightsOf.get('yolov3-tiny'));
    try {
      const image = join(darknetDir, 'data', 'dog.jpg');
      assert.ok(Array.isArray(await network.detect(image, { draw: false })));
      await assert.rejects(network.detect(image, { draw: 'gif' }), { code: 'ERR_INVALID_INPUT', message: /draw must be/ });
      const empty = join(dir, 'no-labels');
      mkdirSync(empty);
      process.env.DARKNET_NAPI_ALPHABET_DIR = empty;
      try {
        await assert.rejects(network.detect(image, { draw: true }), { code: 'ERR_FILE_NOT_FOUND', message: /label alphabet is missing .*32_0\.png/ });
      } finally {
        delete process.env.DARKNET_NAPI_ALPHABET_DIR;
      }
      const { detections, image: jpeg } = await network.detect(image, { draw: true });
      assert.deepEqual(detections, await network.detect(image));
      assert.deepEqual([...jpeg.subarray(0, 3)], [0xff, 0xd8, 0xff]);
    } finally {
      await network.close();
    }
  });
});
