// `darknet export --onnx` of detectors: the model, run in onnxruntime-node on
// the letterboxed pixels of a sample image, outputs every [yolo] / [region]
// head's raw output as Network#detectWithHeads returns it.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import * as ort from 'onnxruntime-node';

import { DarknetError, exportOnnx, loadNetwork } from '../dist/index.js';
import { writeSyntheticWeights } from './helpers.mjs';
import { runOurCli } from './support/child.mjs';
import { darknetCfg, darknetDir, tempDir } from './support/paths.mjs';

const dir = tempDir('darknet-napi-onnx-detect-');
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Tolerance on max |onnx - darknet| over a head, relative to the head's scale,
 * max(1, max |value|). ORT's convolutions sum in another order (blocked GEMM,
 * FMA) than darknet's gemm: a float32 rounding of a few 2^-24 per
 * multiply-add, relative to the sum of the |terms| rather than to the result,
 * grown through the ~15 convolutions before a head; and its Sigmoid/Softmax
 * are vectorised approximations of darknet's exp in double. The synthetic
 * weights multiply the convolution that feeds a head by 12 ([yolo]) or 48
 * ([region]), so its outputs are small sums of large cancelling terms: the
 * largest differences are in the linear w, h entries. Measured: 4.9e-6 on a
 * scale of 1.8 (yolov3-tiny), 5.9e-5 on a scale of 16.7 (yolov2-tiny-voc), at
 * most 4e-6 relative; 5e-5 leaves a tenfold margin, and is the classifier
 * export's 1e-4 on probabilities halved.
 */
const TOLERANCE = 5e-5;

/** The max relative |difference| per head, printed at the end. */
const table = [];
after(() => {
  console.log('\nONNX export of detectors vs detectWithHeads (per head: max |diff|, max |value|, their ratio)');
  for (const row of table) {
    console.log(`  ${row.name.padEnd(16)} ${row.head.padEnd(10)} ${row.diff.toExponential(2)}  ${row.scale.toFixed(2).padStart(6)}  ${(row.diff / row.scale).toExponential(2)}`);
  }
});

/**
 * The floats darknet feeds a network of `width` x `height` for `image`
 * (load_image_color, letterbox_image): what predict() returns for a network
 * whose one layer is a linear [activation], i.e. the identity.
 */
async function letterboxed(image, width, height) {
  const cfg = join(dir, `identity-${width}x${height}.cfg`);
  writeFileSync(cfg, `[net]\nwidth=${width}\nheight=${height}\nchannels=3\n\n[activation]\nactivation=linear\n`);
  const identity = await loadNetwork(cfg, undefined, { labels: [] });
  try {
    return await identity.predict(image);
  } finally {
    await identity.close();
  }
}

async function runOnnx(model, planar, width, height) {
  const session = await ort.InferenceSession.create(model);
  try {
    assert.deepEqual(session.inputNames, ['input']);
    const result = await session.run({ input: new ort.Tensor('float32', planar, [1, 3, height, width]) });
    return { names: session.outputNames, result };
  } finally {
    await session.release();
  }
}

/**
 * Exports cfg + weights, runs the model on `image` letterboxed as darknet
 * does, and compares every output with the heads detectWithHeads returns.
 * Returns the model and our detections' count.
 */
async function compare(name, cfg, weights, image, expectedHeads) {
  const model = await exportOnnx(cfg, weights);
  const network = await loadNetwork(cfg, weights);
  try {
    const planar = await letterboxed(image, network.width, network.height);
    const { heads, detections } = await network.detectWithHeads(image, { thresh: 0.45 });
    const { names, result } = await runOnnx(model, planar, network.width, network.height);
    assert.deepEqual(
      names,
      heads.map((h) => `${network.layers[h.layer].type}_${h.layer}`),
    );
    assert.deepEqual(names, expectedHeads);
    heads.forEach((h, i) => {
      const l = network.layers[h.layer];
      const output = result[names[i]];
      assert.deepEqual(output.dims, [1, l.output[2], l.output[1], l.output[0]]);
      assert.equal(output.data.length, h.output.length);
      let diff = 0;
      let scale = 1;
      for (let k = 0; k < h.output.length; ++k) {
        diff = Math.max(diff, Math.abs(output.data[k] - h.output[k]));
        scale = Math.max(scale, Math.abs(h.output[k]));
      }
      table.push({ name, head: names[i], diff, scale });
      assert.ok(diff <= TOLERANCE * scale, `${name} ${names[i]}: max |diff| ${diff} on values up to ${scale}`);
    });
    return { model, detections: detections.length, planar };
  } finally {
    await network.close();
  }
}

describe('the exported detector computes the heads darknet computes', () => {
  const weights = {};
  before(async () => {
    for (const [name, seed] of [
      ['yolov3-tiny', 41],
      ['yolov2-tiny', 42],
      ['yolov2-tiny-voc', 43],
    ]) {
      weights[name] = await writeSyntheticWeights(darknetCfg(name), join(dir, `${name}.weights`), seed);
    }
  });

  test('yolov3-tiny ([yolo] heads, upsample, route, maxpool stride 1) on dog.jpg, letterboxed', async () => {
    const { detections, planar } = await compare('yolov3-tiny', darknetCfg('yolov3-tiny'), weights['yolov3-tiny'], join(darknetDir, 'data', 'dog.jpg'), [
      'yolo_16',
      'yolo_23',
    ]);
    // dog.jpg is 768x576: letterboxed into 416x312 between grey (0.5) bands.
    assert.equal(planar[0], 0.5);
    assert.notEqual(planar[208 * 416 + 208], 0.5);
    assert.ok(detections > 0, 'the synthetic weights detect something: the comparison is not of flat heads');
  });

  for (const [name, image] of [
    ['yolov2-tiny', 'horses.jpg'],
    ['yolov2-tiny-voc', 'person.jpg'],
  ]) {
    test(`${name} ([region] head, softmax over the classes) on ${image}`, async () => {
      const { detections } = await compare(name, darknetCfg(name), weights[name], join(darknetDir, 'data', image), ['region_15']);
      assert.ok(detections > 0);
    });
  }

  test('the options: upsample scale= and stride 3, single-input route, shortcut alpha/beta, [region] without softmax, two heads', async () => {
    const cfg = join(dir, 'mixed-detector.cfg');
    const section = (type, options = {}) => `[${type}]\n${Object.entries(options).map(([k, v]) => `${k}=${v}\n`).join('')}`;
    writeFileSync(
      cfg,
      [
        section('net', { width: 32, height: 24, channels: 3 }),
        section('convolutional', { filters: 8, size: 3, stride: 2, pad: 1, batch_normalize: 1, activation: 'leaky' }), // 0: 16x12
        section('maxpool', { size: 2, stride: 1 }), // 1
        section('convolutional', { filters: 8, size: 3, stride: 2, pad: 1, activation: 'leaky' }), // 2: 8x6
        section('upsample', { stride: 2, scale: 0.5 }), // 3: 16x12
        section('shortcut', { from: -3, alpha: 0.5, beta: 2, activation: 'linear' }), // 4
        section('route', { layers: -1 }), // 5
        section('convolutional', { filters: 21, size: 1, stride: 1, activation: 'linear' }), // 6
        section('yolo', { mask: '0,1,2', anchors: '10,14, 23,27, 37,58, 81,82', classes: 2, num: 4 }), // 7
        section('route', { layers: -4 }), // 8
        section('upsample', { stride: 3 }), // 9: 48x36
        section('convolutional', { filters: 14, size: 3, stride: 2, pad: 1, activation: 'linear' }), // 10: 24x18
        section('region', { anchors: '1,1, 2,2', classes: 2, coords: 4, num: 2, softmax: 0 }), // 11
      ].join('\n'),
    );
    const mixedWeights = await writeSyntheticWeights(cfg, join(dir, 'mixed-detector.weights'), 7);
    await compare('mixed-detector', cfg, mixedWeights, join(darknetDir, 'data', 'eagle.jpg'), ['yolo_7', 'region_11']);
  });
});

describe('what the detector export refuses', () => {
  const rejects = (promise, fragment) =>
    assert.rejects(promise, (error) => {
      assert.ok(error instanceof DarknetError, String(error));
      assert.equal(error.code, 'ERR_UNSUPPORTED_LAYER', error.message);
      assert.ok(error.message.includes(fragment), error.message);
      return true;
    });

  test('[reorg] (yolov2, yolo9000), a [region] with background=1, [detection] (yolov1): ERR_UNSUPPORTED_LAYER naming the layer', async () => {
    const cases = [
      ['reorg', '[convolutional]\nfilters=8\nsize=1\n\n[reorg]\nstride=2\n\n[convolutional]\nfilters=12\nsize=1\n\n[region]\nclasses=1\nnum=2\n', 'layer 1 [reorg] is not supported by the ONNX export'],
      ['background', '[convolutional]\nfilters=12\nsize=1\n\n[region]\nclasses=1\nnum=2\nbackground=1\n', 'layer 1 [region]: background=1'],
      ['detection', '[connected]\noutput=44\n\n[detection]\nclasses=1\ncoords=4\nnum=2\nside=2\n', 'layer 1 [detection] is not supported'],
    ];
    for (const [name, body, fragment] of cases) {
      const cfg = join(dir, `${name}.cfg`);
      writeFileSync(cfg, `[net]\nwidth=8\nheight=8\nchannels=3\n\n${body}`);
      const weights = await writeSyntheticWeights(cfg, join(dir, `${name}.weights`), 3);
      await rejects(exportOnnx(cfg, weights), `${cfg}: ${fragment}`);
    }
  });
});

describe('darknet export --onnx of a detector', () => {
  test('darknet export --onnx darknet/cfg/yolov3-tiny.cfg <weights> writes yolov3-tiny.onnx, which onnxruntime loads', async () => {
    const weights = await writeSyntheticWeights(darknetCfg('yolov3-tiny'), join(dir, 'cli-yolov3-tiny.weights'), 41);
    const work = join(dir, 'cli');
    mkdirSync(work);
    const result = await runOurCli(['export', '--onnx', darknetCfg('yolov3-tiny'), weights], { cwd: work });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'yolov3-tiny.onnx\n');
    const model = readFileSync(join(work, 'yolov3-tiny.onnx'));
    assert.deepEqual(new Uint8Array(model), await exportOnnx(darknetCfg('yolov3-tiny'), weights));
    const session = await ort.InferenceSession.create(model);
    try {
      assert.deepEqual(session.inputNames, ['input']);
      assert.deepEqual(session.outputNames, ['yolo_16', 'yolo_23']);
    } finally {
      await session.release();
    }
  });
});
