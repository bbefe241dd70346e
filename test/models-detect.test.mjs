// The catalogue's YOLO detectors: each weights size is what darknet's loader
// needs for its cfg (20-byte header + 4 bytes a parameter), computed here.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadNetwork } from '../dist/index.js';
import { findModel, MODELS, modelCfg } from '../dist/models/catalogue.js';
import { darknetDir } from './support/paths.mjs';

const DETECTORS = ['yolov3-tiny', 'yolov3', 'yolov3-spp', 'yolov2', 'yolov2-tiny', 'yolov2-voc', 'yolov2-tiny-voc', 'yolo9000'];

test('the detectors of the catalogue, their sizes computed from the cfgs with our loader', async () => {
  assert.deepEqual(MODELS.filter((m) => m.task === 'detect').map((m) => m.name), DETECTORS);
  const cwd = process.cwd();
  process.chdir(darknetDir); // yolo9000.cfg's tree=data/9k.tree is relative, as darknet reads it
  try {
    for (const name of DETECTORS) {
      const model = findModel(name);
      assert.equal(model.url, `https://pjreddie.com/media/files/${name}.weights`);
      const network = await loadNetwork(modelCfg(model), undefined, { limitNetworkBytes: false });
      try {
        assert.equal(network.task, 'detect', name);
        assert.equal(model.size, 20 + 4 * network.parameters, `${name}: size`);
      } finally {
        await network.close();
      }
    }
  } finally {
    process.chdir(cwd);
  }
  assert.equal(findModel('yolov3-tiny').size, 35434956);
  assert.equal(findModel('yolov3').size, 248007048);
});
