// Network.detect's API: what loadNetwork says about a detector, its labels,
// its options and their errors, its inputs, NMS's bound, and calls at once.
// (Exactness against darknet's own flow: detect-parity.test.mjs.)
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { classifyMany, detectMany, loadNetwork, DarknetError } from '../dist/index.js';
import { writeSyntheticWeights } from './helpers.mjs';
import { darknetCfg, darknetDir, dogJpg, sampleImages, tempDir, tinyCfg } from './support/paths.mjs';
import { tinyWeights } from './support/weights.mjs';

const dir = tempDir('darknet-napi-detect-api-');
after(() => rmSync(dir, { recursive: true, force: true }));
const yolo = darknetCfg('yolov3-tiny');
let yoloWeights;
let network;
before(async () => {
  yoloWeights = await writeSyntheticWeights(yolo, join(dir, 'yolov3-tiny.weights'), 41);
  network = await loadNetwork(yolo, yoloWeights);
});
after(() => network?.close());

const rejects = (promise, code, message) =>
  assert.rejects(promise, (error) => {
    assert.ok(error instanceof DarknetError, `a DarknetError, got ${error}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });

describe('a detector, as loadNetwork sees it', () => {
  test("task 'detect', the head's classes, COCO's names by default", () => {
    assert.equal(network.task, 'detect');
    assert.equal(network.classes, 80);
    assert.equal(network.labels.length, 80);
    assert.equal(network.labels[0], 'person');
    assert.equal(network.labels[79], 'toothbrush');
  });

  test("a classifier: task 'classify', classes = outputs", async () => {
    const tiny = await loadNetwork(tinyCfg, tinyWeights);
    try {
      assert.equal(tiny.task, 'classify');
      assert.equal(tiny.classes, tiny.outputs);
      await rejects(tiny.detect(dogJpg), 'ERR_WRONG_TASK', /detect: network .*tiny\.cfg is not a detector/);
      // and the network still works
      assert.equal((await tiny.classify(dogJpg)).length, 5);
    } finally {
      await tiny.close();
    }
  });

  test('classify() on a detector is refused; predict() gives the last head', async () => {
    await rejects(network.classify(dogJpg), 'ERR_WRONG_TASK', /classify: network .*yolov3-tiny\.cfg is a detector \(use detect\(\)\)/);
    const output = await network.predict(dogJpg);
    assert.equal(output.length, network.outputs);
    const { heads } = await network.detectWithHeads(dogJpg);
    assert.deepEqual(Array.from(heads.at(-1).output), Array.from(output));
    assert.deepEqual(heads.map((h) => h.layer), [16, 23]);
  });

  test("the default names follow the class count: voc.names for 20 (yolov2-tiny-voc), none for others", async () => {
    const voc = await loadNetwork(darknetCfg('yolov2-tiny-voc'));
    try {
      assert.equal(voc.classes, 20);
      assert.deepEqual(voc.labels, readFileSync(join(darknetDir, 'data', 'voc.names'), 'utf8').trim().split('\n'));
    } finally {
      await voc.close();
    }
    const file = join(dir, 'three-classes.cfg');
    writeFileSync(file, '[net]\nwidth=32\nheight=32\nchannels=3\n[convolutional]\nfilters=8\nsize=1\n[yolo]\nmask=0\nnum=1\nclasses=3\n');
    const three = await loadNetwork(file);
    try {
      assert.equal(three.classes, 3);
      assert.deepEqual(three.labels, []);
      for (const d of await three.detect(dogJpg, { thresh: 0.2 })) assert.equal(d.label, String(d.classIndex));
    } finally {
      await three.close();
    }
  });

  test('labels: an array, a names file, a .data file; fewer names than classes is ERR_INVALID_LABELS', async () => {
    const names = Array.from({ length: 80 }, (_, i) => `class-${i}`);
    const custom = await loadNetwork(yolo, yoloWeights, { labels: names });
    try {
      const detections = await custom.detect(dogJpg);
      assert.ok(detections.length > 0);
      for (const d of detections) assert.equal(d.label, `class-${d.classIndex}`);
    } finally {
      await custom.close();
    }
    const data = await loadNetwork(yolo, yoloWeights, { labels: join(darknetDir, 'cfg', 'coco.data') });
    assert.equal(data.labels[1], 'bicycle');
    await data.close();
    await rejects(loadNetwork(yolo, yoloWeights, { labels: names.slice(0, 79) }), 'ERR_INVALID_LABELS', /79 names for a detector with 80 classes/);
    await rejects(loadNetwork(yolo, yoloWeights, { labels: join(darknetDir, 'data', 'voc.names') }), 'ERR_INVALID_LABELS', /20 names for a detector with 80 classes/);
    // and the process's networks are fine
    assert.ok((await network.detect(dogJpg)).length > 0);
  });
});

describe('detect()', () => {
  test('detections: darknet order, classes within a box ascending, pixel boxes from the relative ones', async () => {
    const image = { width: 768, height: 576 }; // dog.jpg
    const detections = await network.detect(dogJpg);
    assert.ok(detections.length >= 10, `${detections.length} detections`);
    for (const d of detections) {
      assert.ok(d.probability > 0.5 && d.probability <= d.objectness, JSON.stringify(d));
      assert.ok(Number.isInteger(d.box.x) && d.box.x >= 0 && Number.isInteger(d.box.y) && d.box.y >= 0);
      assert.ok(d.box.x + d.box.width <= image.width - 1 && d.box.y + d.box.height <= image.height - 1);
      // draw_detections' edges: (b.x - b.w/2.) * im.w (relativeBox.x is that
      // difference, in the same doubles) truncated, then clamped
      assert.equal(d.box.x, Math.max(0, Math.trunc(d.relativeBox.x * image.width)));
      assert.equal(d.box.y, Math.max(0, Math.trunc(d.relativeBox.y * image.height)));
    }
  });

  test('thresh, hierThresh and nms: finite numbers in [0, 1], thresh above 0', async () => {
    for (const [options, message] of [
      [{ thresh: 0 }, /thresh must be a number above 0 and at most 1, got 0/],
      [{ thresh: -0.1 }, /thresh must be/],
      [{ thresh: 1.5 }, /thresh must be/],
      [{ thresh: Number.NaN }, /thresh must be .* got NaN/],
      [{ thresh: '0.5' }, /thresh must be/],
      [{ hierThresh: Infinity }, /hierThresh must be a number from 0 to 1, got Infinity/],
      [{ nms: 2 }, /nms must be a number from 0 to 1, got 2/],
      [{ nms: -1 }, /nms must be/],
    ]) {
      await rejects(network.detect(dogJpg, options), 'ERR_INVALID_INPUT', message);
    }
    assert.deepEqual(await network.detect(dogJpg, { thresh: 1 }), []);
    assert.ok((await network.detect(dogJpg, { nms: 0, hierThresh: 0 })).length >= (await network.detect(dogJpg)).length);
  });

  test('the same detections from a path, an encoded buffer and raw pixels', async () => {
    const fromPath = await network.detect(dogJpg);
    assert.deepEqual(await network.detect(readFileSync(dogJpg)), fromPath);
    // a raw RGB image: what the decoder gives for a PNG of it is the same image
    const pixels = new Uint8Array(64 * 48 * 3).map((_, i) => (i * 37) % 256);
    const raw = await network.detect({ data: pixels, width: 64, height: 48, channels: 3 }, { thresh: 0.3 });
    assert.ok(Array.isArray(raw));
  });

  test('bad inputs reject with the input named; a closed network is ERR_NETWORK_CLOSED', async () => {
    await rejects(network.detect(join(dir, 'missing.jpg')), 'ERR_FILE_NOT_FOUND');
    await rejects(network.detect(Buffer.from('not an image')), 'ERR_INVALID_IMAGE');
    const other = await loadNetwork(yolo, yoloWeights);
    await other.close();
    await rejects(other.detect(dogJpg), 'ERR_NETWORK_CLOSED');
  });

  test("darknet's NMS bound: a threshold that leaves too many boxes is refused, fast; nms 0 still runs", async () => {
    // 64x64x3 anchors = 12,288 boxes and 30 classes: at thresh 1e-6 every box
    // and class passes, 30 x 12,288^2 = 4.5e9 comparisons' bound
    const file = join(dir, 'many-boxes.cfg');
    writeFileSync(file, '[net]\nwidth=64\nheight=64\nchannels=3\n[convolutional]\nfilters=105\nsize=1\n[yolo]\nmask=0,1,2\nnum=3\nclasses=30\n');
    const many = await loadNetwork(file);
    try {
      const started = performance.now();
      await rejects(many.detect(dogJpg, { thresh: 1e-6 }), 'ERR_INVALID_INPUT', /thresh 1e-06 leaves 12288 boxes for darknet's NMS, about 4\.53e\+09 box comparisons \(more than 4e\+09\): raise thresh, or pass nms: 0/);
      assert.ok(performance.now() - started < 5000, 'refused before the NMS');
      const all = await many.detect(dogJpg, { thresh: 1e-6, nms: 0 });
      assert.equal(all.length, 12288 * 30);
      // and a threshold that leaves fewer boxes runs with NMS
      assert.ok(Array.isArray(await many.detect(dogJpg, { thresh: 0.6 })));
    } finally {
      await many.close();
    }
  });

  test('32 concurrent detect calls equal 32 sequential ones, across two networks and both engines', async () => {
    const stock = await loadNetwork(yolo, yoloWeights, { engine: 'darknet' });
    try {
      const calls = Array.from({ length: 32 }, (_, i) => ({
        target: i % 4 === 3 ? stock : network,
        image: join(darknetDir, sampleImages[i % sampleImages.length]),
        options: { thresh: [0.5, 0.55][i % 2] },
      }));
      const sequential = [];
      for (const c of calls) sequential.push(await c.target.detect(c.image, c.options));
      const concurrent = await Promise.all(calls.map((c) => c.target.detect(c.image, c.options)));
      assert.deepEqual(concurrent, sequential);
      assert.ok(sequential.some((d) => d.length > 0));
    } finally {
      await stock.close();
    }
  });
});

describe('detectMany: the bulk loop classifyMany uses', () => {
  test('2 copies of the network give what one network gives image by image, and an unreadable image its error', async () => {
    const images = [...sampleImages.map((image) => join(darknetDir, image)), join(dir, 'missing.jpg'), join(darknetDir, sampleImages[0])];
    const want = new Map();
    for (const image of images) want.set(image, await network.detect(image, { thresh: 0.55 }).catch((error) => error.code));
    const progress = [];
    const seen = [];
    for await (const r of detectMany({ cfg: yolo, weights: yoloWeights }, images, { concurrency: 2, thresh: 0.55, onProgress: (p) => progress.push(p.done) })) {
      seen.push(r.input);
      assert.deepEqual(r.error ? r.error.code : r.detections, want.get(r.input), r.input);
    }
    assert.deepEqual([...seen].sort(), [...images].sort());
    assert.deepEqual(progress, images.map((_, i) => i + 1));
    assert.equal(want.get(join(dir, 'missing.jpg')), 'ERR_FILE_NOT_FOUND');
    assert.ok([...want.values()].some((d) => Array.isArray(d) && d.length > 0), 'the synthetic weights detect');
  });

  test('the wrong task is refused once, before any image', async () => {
    await assert.rejects(detectMany({ cfg: tinyCfg, weights: tinyWeights }, [dogJpg]).next(), { code: 'ERR_WRONG_TASK', message: /detectMany: .*tiny\.cfg is not a detector \(use classifyMany\(\)\)/ });
    await assert.rejects(classifyMany(network, [dogJpg]).next(), { code: 'ERR_WRONG_TASK', message: /classifyMany: .*yolov3-tiny\.cfg is a detector \(use detectMany\(\)\)/ });
    assert.ok(Array.isArray(await network.detect(dogJpg)), 'the given network still works');
  });
});
