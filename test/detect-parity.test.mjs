// Detection against the oracle: for darknet's detector cfgs and every
// darknet/data/*.jpg, the raw output of every head is bit-equal between our
// default engine, engine 'darknet' and darknet's own detector test flow
// (test/reference/reference_detect.c, built from the untouched sources), and
// detect() returns exactly the reference's detection list: classes,
// probabilities, objectness and boxes to the bit, in darknet's order.
// Synthetic weights (test/helpers.mjs: the convolutions feeding each head
// scaled so that boxes pass the thresholds).
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { loadNetwork } from '../dist/index.js';
import { writeSyntheticWeights } from './helpers.mjs';
import { darknetCfg, darknetDir, sampleImages, tempDir } from './support/paths.mjs';
import { referenceDetections } from './support/reference.mjs';

/** The cfgs, their labels' class count, and a thresh that gives tens to hundreds of lines per image. */
const MODELS = [
  { name: 'yolov3-tiny', seed: 31, classes: 80, thresh: 0.5, names: 'coco.names', images: sampleImages },
  { name: 'yolov2-tiny', seed: 32, classes: 80, thresh: 0.45, names: 'coco.names', images: sampleImages },
  { name: 'yolov2-tiny-voc', seed: 33, classes: 20, thresh: 0.45, names: 'voc.names', images: sampleImages },
];
// yolov3 at 608x608 costs about 140 GFLOPs a prediction, tens of seconds for
// darknet's single-threaded code on each of the reference and engine
// 'darknet': one image, and only with DARKNET_NAPI_DETECT_YOLOV3=1. Its
// synthetic weights make most of its 22,743 boxes pass 0.5 (darknet's NMS
// would take half a minute, over the addon's bound): thresh 0.9.
if (process.env.DARKNET_NAPI_DETECT_YOLOV3 === '1') {
  MODELS.push({ name: 'yolov3', seed: 34, classes: 80, thresh: 0.9, names: 'coco.names', images: [join('data', 'dog.jpg')] });
}

const dir = tempDir('darknet-napi-detect-');
after(() => rmSync(dir, { recursive: true, force: true }));
const weightsOf = new Map();
before(async () => {
  for (const model of MODELS) {
    weightsOf.set(model.name, await writeSyntheticWeights(darknetCfg(model.name), join(dir, `${model.name}.weights`), model.seed));
  }
});

// Under npm run test:sanitize, ASan and UBSan change how gcc compiles
// darknet's float loops (vectorized math becomes scalar), so the instrumented
// addon meets the uninstrumented reference only within a tolerance there (as
// parity.test.mjs); the bit-exact checks then compare our two engines, both
// instrumented. npm test checks the reference bit for bit.
const SANITIZED = Boolean(process.env.DARKNET_NAPI_SANITIZED);

/** Each value within 1e-4 of the reference's, relative to max(1, |value|): the sanitized build's check. */
function assertHeadsClose(actual, expected, what) {
  assert.deepEqual(actual.map((h) => h.layer), expected.map((h) => h.layer), `${what}: head layers`);
  for (const [k, head] of expected.entries()) {
    const a = actual[k].output;
    assert.equal(a.length, head.output.length, `${what}: head ${head.layer} size`);
    for (let i = 0; i < a.length; ++i) {
      const e = head.output[i];
      assert.ok(Math.abs(a[i] - e) <= 1e-4 * Math.max(1, Math.abs(e)), `${what}: head ${head.layer} at ${i}: ${a[i]} vs ${e}`);
    }
  }
}

/** Float32 bits, so that -0 and NaN payloads compare as darknet's bytes do. */
const bits = (array) => new Uint32Array(Float32Array.from(array).buffer);

function assertHeadsEqual(actual, expected, what) {
  assert.deepEqual(actual.map((h) => h.layer), expected.map((h) => h.layer), `${what}: head layers`);
  for (const [k, head] of expected.entries()) {
    const a = bits(actual[k].output);
    const e = bits(head.output);
    assert.equal(a.length, e.length, `${what}: head ${head.layer} size`);
    let first = -1;
    for (let i = 0; i < e.length && first < 0; ++i) if (a[i] !== e[i]) first = i;
    assert.equal(first, -1, `${what}: head ${head.layer} differs first at ${first}: ${actual[k].output[first]} vs ${head.output[first]}`);
  }
}

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
/** detect.c's conversion: C's truncation, saturating where C's is undefined (NaN, out of int range). */
const toInt = (v) => (!(v > INT_MIN) ? INT_MIN : v >= INT_MAX ? INT_MAX : Math.trunc(v) + 0); // + 0: C's ints have no -0

/**
 * draw_detections' rectangle from the reference's floats, in the same
 * doubles: checked against the ints the reference printed wherever darknet's
 * own conversion is defined. Where an edge is out of int range (huge boxes
 * from synthetic weights) darknet's conversion is undefined behaviour (x86-64
 * gives INT_MIN, which then escapes the clamps; arm64 saturates): we
 * saturate, and there the reference's int must be one of the two.
 */
function drawnRect(d, width, height) {
  const edges = {
    left: (d.x - d.w / 2) * width,
    right: (d.x + d.w / 2) * width,
    top: (d.y - d.h / 2) * height,
    bottom: (d.y + d.h / 2) * height,
  };
  const rect = Object.fromEntries(Object.entries(edges).map(([k, v]) => [k, toInt(v)]));
  if (rect.left < 0) rect.left = 0;
  if (rect.right > width - 1) rect.right = width - 1;
  if (rect.top < 0) rect.top = 0;
  if (rect.bottom > height - 1) rect.bottom = height - 1;
  for (const [k, v] of Object.entries(edges)) {
    if (v > INT_MIN && v < INT_MAX) assert.equal(rect[k], d[k], `${k} of ${JSON.stringify(d)}`);
    else assert.ok(d[k] === INT_MIN || d[k] === rect[k], `${k} out of int range: darknet gave ${d[k]}`);
  }
  return rect;
}

/** The reference's lines as detect() returns them. */
function expectedDetections(reference, labels) {
  return reference.detections.map((d) => {
    const r = drawnRect(d, reference.width, reference.height);
    return {
      label: labels[d.classIndex] ?? String(d.classIndex),
      classIndex: d.classIndex,
      probability: d.probability,
      objectness: d.objectness,
      box: { x: r.left, y: r.top, width: r.right - r.left, height: r.bottom - r.top },
      relativeBox: { x: d.x - d.w / 2, y: d.y - d.h / 2, width: d.w, height: d.h },
    };
  });
}

const summary = [];
after(() => {
  console.log('\ndetect parity (cfg x image: lines printed, heads bit-equal, lists identical)');
  for (const row of summary) console.log(`  ${row.join('  ')}`);
});

describe('detection parity with darknet\'s detector test flow', () => {
  for (const model of MODELS) {
    test(`${model.name}: heads bit-equal across engines and the reference, detections identical, on ${model.images.length} image(s)`, async () => {
      const cfg = darknetCfg(model.name);
      const weights = weightsOf.get(model.name);
      const fast = await loadNetwork(cfg, weights);
      const stock = await loadNetwork(cfg, weights, { engine: 'darknet' });
      try {
        assert.equal(fast.task, 'detect');
        assert.equal(fast.classes, model.classes);
        assert.equal(fast.labels.length, model.classes, `the default names (${model.names})`);
        const options = { thresh: model.thresh };
        // the reference (one thread) and engine 'darknet' (one thread) side by side
        const [references, stockResults] = await Promise.all([
          referenceDetections(cfg, weights, model.images, options),
          Promise.all(model.images.map((image) => stock.detectWithHeads(join(darknetDir, image), options))),
        ]);
        let lines = 0;
        for (const [i, image] of model.images.entries()) {
          const reference = references[i];
          assert.equal(reference.image, image);
          const ours = await fast.detectWithHeads(join(darknetDir, image), options);
          const expected = expectedDetections(reference, fast.labels);
          if (SANITIZED) {
            assertHeadsEqual(ours.heads, stockResults[i].heads, `${model.name} ${image} (fast against darknet)`);
            assertHeadsClose(ours.heads, reference.heads, `${model.name} ${image} (fast)`);
            assert.deepEqual(ours.detections, stockResults[i].detections, `${model.name} ${image}: detections (fast against darknet)`);
          } else {
            assertHeadsEqual(ours.heads, reference.heads, `${model.name} ${image} (fast)`);
            assertHeadsEqual(stockResults[i].heads, reference.heads, `${model.name} ${image} (darknet)`);
            assert.deepEqual(ours.detections, expected, `${model.name} ${image}: detections (fast)`);
            assert.deepEqual(stockResults[i].detections, expected, `${model.name} ${image}: detections (darknet)`);
          }
          // detect() is detectWithHeads' list
          assert.deepEqual(await fast.detect(join(darknetDir, image), options), ours.detections);
          lines += expected.length;
          summary.push([model.name.padEnd(16), image.padEnd(16), String(expected.length).padStart(5), 'yes', 'yes']);
        }
        // a test without detections would compare nothing
        assert.ok(lines >= 10 * model.images.length, `${model.name}: only ${lines} lines on ${model.images.length} image(s)`);
      } finally {
        await fast.close();
        await stock.close();
      }
    });
  }

  test("a [detection] head (YOLOv1): examples/yolo.c's flow, both engines equal to the reference", async () => {
    const cfg = join(dir, 'yolov1-small.cfg');
    // side 3, num 2, coords 4, classes 3: 3*3*((1+4)*2+3) = 117 outputs
    writeFileSync(cfg, '[net]\nwidth=64\nheight=64\nchannels=3\n[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\nstride=2\npad=1\nactivation=leaky\n' +
      '[maxpool]\nsize=2\nstride=2\n[connected]\noutput=117\nactivation=linear\n[detection]\nclasses=3\ncoords=4\nrescore=1\nside=3\nnum=2\nsqrt=1\n');
    const weights = await writeSyntheticWeights(cfg, join(dir, 'yolov1-small.weights'), 35);
    const fast = await loadNetwork(cfg, weights, { labels: ['a', 'b', 'c'] });
    const stock = await loadNetwork(cfg, weights, { engine: 'darknet', labels: ['a', 'b', 'c'] });
    try {
      assert.equal(fast.task, 'detect');
      const options = { thresh: 0.2 };
      const references = await referenceDetections(cfg, weights, sampleImages, options);
      let lines = 0;
      for (const [i, image] of sampleImages.entries()) {
        const results = [];
        for (const network of [fast, stock]) {
          const ours = await network.detectWithHeads(join(darknetDir, image), options);
          results.push(ours);
          if (SANITIZED) {
            assertHeadsClose(ours.heads, references[i].heads, `${image} (${network.engine})`);
          } else {
            assertHeadsEqual(ours.heads, references[i].heads, `${image} (${network.engine})`);
            assert.deepEqual(ours.detections, expectedDetections(references[i], fast.labels), `${image} (${network.engine})`);
          }
        }
        assert.deepEqual(results[0]?.detections, results[1]?.detections, `${image}: fast against darknet`);
        lines += references[i].detections.length;
      }
      assert.ok(lines > 0, 'some detections');
    } finally {
      await fast.close();
      await stock.close();
    }
  });

  test('yolov3-tiny: other thresholds and nms 0 (no NMS) match the reference too', async () => {
    const cfg = darknetCfg('yolov3-tiny');
    const weights = weightsOf.get('yolov3-tiny');
    const network = await loadNetwork(cfg, weights);
    try {
      for (const options of [{ thresh: 0.55 }, { thresh: 0.6, nms: 0 }, { thresh: 0.5, nms: 0.3 }]) {
        const image = join('data', 'giraffe.jpg');
        const [reference] = await referenceDetections(cfg, weights, [image], options);
        const ours = await network.detect(join(darknetDir, image), options);
        assert.deepEqual(ours, expectedDetections(reference, network.labels), JSON.stringify(options));
      }
    } finally {
      await network.close();
    }
  });
});
