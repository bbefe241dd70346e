// Drawing and the detect CLI against darknet's own: detect({ draw }) returns
// the bytes of the predictions.jpg the reference CLI writes, `darknet detect`
// and `darknet detector test` print what it prints (but the seconds) and
// write the same file; the stdin loop, errors, and draw_detections' 4096-byte
// labelstr, which must not overflow. Synthetic detecting weights
// (test/helpers.mjs).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { detectMany, loadNetwork } from '../dist/index.js';
import { formatFixed } from '../dist/format.js';
import { writeSyntheticWeights } from './helpers.mjs';
import { runOurCli } from './support/child.mjs';
import { darknetCfg, darknetDir, sampleImages, tempDir } from './support/paths.mjs';
import { referenceDetections, runReferenceCli } from './support/reference.mjs';
import { tinyWeights } from './support/weights.mjs';

const tinyWeightsOrNull = () => tinyWeights;

const dir = tempDir('darknet-napi-detect-cli-');
after(() => rmSync(dir, { recursive: true, force: true }));

// darknet's CLI reads cfg/coco.data, data/coco.names and data/labels/ from
// its working directory and writes predictions.jpg there: a folder of ours
// with darknet's cfg/ and data/ linked in, for the reference and for us.
function darknetLikeDir(name) {
  const folder = join(dir, name);
  mkdirSync(folder);
  symlinkSync(join(darknetDir, 'cfg'), join(folder, 'cfg'));
  symlinkSync(join(darknetDir, 'data'), join(folder, 'data'));
  return folder;
}
const theirDir = darknetLikeDir('reference');
const ourDir = darknetLikeDir('ours');

const weightsOf = new Map();
// How each is run: `detect` (cfg/coco.data, thresh .5, predictions.jpg), or
// `detector test` with a data file, thresholds and -out.
const MODELS = [
  { name: 'yolov3-tiny', seed: 31, args: (w, image) => ['detect', 'cfg/yolov3-tiny.cfg', w, image], file: 'predictions.jpg', options: {} },
  {
    name: 'yolov2-tiny',
    seed: 32,
    args: (w, image) => ['detector', 'test', 'cfg/coco.data', 'cfg/yolov2-tiny.cfg', w, image, '-thresh', '0.45', '-out', 'drawn'],
    file: 'drawn.jpg',
    options: { thresh: 0.45 },
  },
  {
    name: 'yolov2-tiny-voc',
    seed: 33,
    args: (w, image) => ['detector', 'test', 'cfg/voc.data', 'cfg/yolov2-tiny-voc.cfg', w, image, '-thresh', '0.45', '-hier', '0.4'],
    file: 'predictions.jpg',
    options: { thresh: 0.45, hierThresh: 0.4 },
    labels: 'cfg/voc.data',
  },
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

describe('darknet detect and darknet detector test equal the reference CLI', () => {
  for (const model of MODELS) {
    test(`${model.name}: stdout (but the seconds) and the drawn JPEG, on ${sampleImages.length} images; detect({ draw: true }) gives the same bytes`, async () => {
      const weights = weightsOf.get(model.name);
      const network = await loadNetwork(darknetCfg(model.name), weights, model.labels ? { labels: join(darknetDir, model.labels) } : {});
      let lines = 0;
      try {
        for (const image of sampleImages) {
          const args = model.args(weights, image);
          const [theirs, ours] = await Promise.all([runReferenceCli(args, { cwd: theirDir }), runOurCli(args, { cwd: ourDir })]);
          assert.equal(theirs.code, 0, theirs.stderr);
          assert.equal(ours.code, 0, ours.stderr);
          assert.equal(masked(ours.stdout), masked(theirs.stdout), `${model.name} ${image}: stdout`);
          lines += theirs.stdout.split('\n').length - 2;
          const written = readFileSync(join(ourDir, model.file));
          const { image: drawn } = await network.detect(join(darknetDir, image), { ...model.options, draw: true });
          assert.ok(written.equals(drawn), `${model.name} ${image}: detect({ draw: true }) differs from the CLI's ${model.file}`);
          // Under the sanitizer build a box can move by a pixel (see detect-parity.test.mjs): the bytes are npm test's check.
          if (!process.env.DARKNET_NAPI_SANITIZED) {
            assert.ok(readFileSync(join(theirDir, model.file)).equals(written), `${model.name} ${image}: ${model.file} differs from the reference's`);
          }
        }
      } finally {
        await network.close();
      }
      assert.ok(lines > 20 * sampleImages.length, `${model.name}: only ${lines} label lines: the test would not test much`);
    });
  }

  test('the Enter Image Path: loop: one network, a bad image reported on stderr and the loop goes on, exit status 1', async () => {
    const weights = weightsOf.get('yolov3-tiny');
    const args = ['detect', 'cfg/yolov3-tiny.cfg', weights];
    const [theirs, ours] = await Promise.all([
      runReferenceCli(args, { cwd: theirDir, input: 'data/dog.jpg\ndata/eagle.jpg\n' }),
      runOurCli(args, { cwd: ourDir, input: 'data/dog.jpg\nno-such.jpg\ndata/eagle.jpg\n' }),
    ]);
    assert.equal(theirs.code, 0, theirs.stderr);
    assert.equal(ours.code, 1);
    const prompt = 'Enter Image Path: ';
    const [dog, eagle] = masked(theirs.stdout).split(prompt).slice(1, 3);
    assert.equal(masked(ours.stdout), `${prompt}${dog}${prompt}${prompt}${eagle}${prompt}`);
    assert.match(dog, /^data\/dog\.jpg: Predicted in S seconds\.\n(.+: \d+%\n)+$/);
    assert.equal(ours.stderr.trim().split('\n').length, 1, ours.stderr);
    assert.match(ours.stderr, /^darknet: .*no-such\.jpg/);
    // the last image's drawing is what is left in predictions.jpg
    assert.ok(readFileSync(join(theirDir, 'predictions.jpg')).equals(readFileSync(join(ourDir, 'predictions.jpg'))));
  });

  test('works from any directory: cfg/coco.data and its names from the package\'s darknet copy; --json', async () => {
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    const weights = weightsOf.get('yolov3-tiny');
    const image = join(darknetDir, 'data', 'dog.jpg');
    const [theirs, ours] = await Promise.all([
      runReferenceCli(['detect', 'cfg/yolov3-tiny.cfg', weights, image, '-out', join(elsewhere, 'theirs')], { cwd: theirDir }),
      runOurCli(['detect', darknetCfg('yolov3-tiny'), weights, image, '-out', 'ours'], { cwd: elsewhere }),
    ]);
    assert.equal(ours.code, 0, ours.stderr);
    assert.equal(masked(ours.stdout), masked(theirs.stdout));
    assert.ok(readFileSync(join(elsewhere, 'theirs.jpg')).equals(readFileSync(join(elsewhere, 'ours.jpg'))));
    const json = await runOurCli(['detect', darknetCfg('yolov3-tiny'), weights, '--json'], { cwd: elsewhere, input: `${image}\n${image}\n` });
    assert.equal(json.code, 0, json.stderr);
    const objects = json.stdout.trim().split('\n').map((line) => JSON.parse(line));
    assert.equal(objects.length, 2);
    assert.equal(objects[0].file, image);
    assert.ok(objects[0].seconds > 0);
    assert.deepEqual(Object.keys(objects[0].detections[0]).sort(), ['box', 'classIndex', 'label', 'objectness', 'probability', 'relativeBox']);
    assert.equal(objects[0].detections.length, masked(theirs.stdout).split('\n').length - 2);
  });

  test('failures: one darknet: line on stderr, nothing on stdout, exit status 1 (2 for usage)', async () => {
    const weights = weightsOf.get('yolov3-tiny');
    const names = join(dir, 'bad.data');
    writeFileSync(names, 'classes=80\nnames=no/such.names\n');
    const cases = [
      [['detect', 'cfg/no-such.cfg', weights, 'data/dog.jpg'], /no-such\.cfg/],
      [['detect', 'cfg/yolov3-tiny.cfg', join(dir, 'no-such.weights'), 'data/dog.jpg'], /no-such\.weights/],
      [['detect', 'cfg/yolov3-tiny.cfg', weights, 'data/no-such.jpg'], /no-such\.jpg/],
      [['detect', 'cfg/yolov3-tiny.cfg', weights, 'cfg/coco.data'], /coco\.data/],
      [['detect', 'cfg/tiny.cfg', tinyWeightsOrNull(), 'data/dog.jpg'], /not a detector/],
      [['detector', 'test', 'cfg/no-such.data', 'cfg/yolov3-tiny.cfg', weights, 'data/dog.jpg'], /no-such\.data/],
      [['detector', 'test', names, 'cfg/yolov3-tiny.cfg', weights, 'data/dog.jpg'], /such\.names/],
      [['detect', 'cfg/yolov3-tiny.cfg', weights, 'data/dog.jpg', '-thresh', '0'], /thresh must be/],
    ];
    for (const [args, message] of cases) {
      const ours = await runOurCli(args, { cwd: ourDir });
      assert.equal(ours.code, 1, `${args.join(' ')}: ${ours.stderr}`);
      assert.equal(ours.stdout, '', args.join(' '));
      assert.equal(ours.stderr.trim().split('\n').length, 1, ours.stderr);
      assert.match(ours.stderr, /^darknet: /);
      assert.match(ours.stderr, message, args.join(' '));
    }
    for (const args of [['detect'], ['detector', 'train', 'cfg/coco.data', 'cfg/yolov3-tiny.cfg'], ['detect', 'cfg/yolov3-tiny.cfg', weights, 'data/dog.jpg', 'data/eagle.jpg', '-out', 'drawn']]) {
      const ours = await runOurCli(args, { cwd: ourDir });
      assert.equal(ours.code, 2, args.join(' '));
      assert.match(ours.stderr, /^darknet: /);
    }
  });

  test('bulk: a folder with --jobs 2 gives detectMany\'s detections as JSON lines, a bad image its error line and exit status 1; --csv a row per detection', async () => {
    const weights = weightsOf.get('yolov3-tiny');
    const folder = join(dir, 'bulk');
    mkdirSync(folder);
    for (const image of sampleImages) writeFileSync(join(folder, image.replace(/^data\//, '')), readFileSync(join(darknetDir, image)));
    writeFileSync(join(folder, 'broken.jpg'), 'not an image');
    const cfg = darknetCfg('yolov3-tiny');
    const want = new Map();
    for await (const r of detectMany({ cfg, weights }, sampleImages.map((image) => join(folder, image.replace(/^data\//, ''))), { concurrency: 1, thresh: 0.55 })) {
      want.set(r.input, r.detections);
    }
    const json = await runOurCli(['detect', cfg, weights, folder, '--jobs', '2', '-thresh', '0.55', '--quiet'], { cwd: ourDir });
    assert.equal(json.code, 1, json.stderr);
    const lines = json.stdout.trim().split('\n').map((line) => JSON.parse(line));
    assert.equal(lines.length, sampleImages.length + 1, 'one line per image');
    for (const line of lines) {
      if (line.file.endsWith('broken.jpg')) assert.equal(line.error.code, 'ERR_INVALID_IMAGE');
      else assert.deepEqual(line.detections, want.get(line.file), line.file);
    }
    assert.ok([...want.values()].some((d) => d.length > 0));
    const csv = await runOurCli(['detect', cfg, weights, folder, '--csv', '-thresh', '0.55', '--quiet'], { cwd: ourDir });
    const rows = csv.stdout.trim().split('\n');
    assert.equal(rows[0], 'file,label,class_index,probability,objectness,x,y,width,height,error');
    const expectedRows = [...want.values()].reduce((sum, d) => sum + Math.max(1, d.length), 0) + 1; // + broken.jpg's
    assert.equal(rows.length - 1, expectedRows);
    assert.ok(rows.some((row) => row.includes('broken.jpg') && row.endsWith('ERR_INVALID_IMAGE: image ' + join(folder, 'broken.jpg') + ': not an image darknet can decode (stb_image: unknown image type)')));
  });
});

describe('AlexeyAB\'s batch form of detector test', () => {
  test('-ext_output -dont_show -out result.json -save_labels < list.txt (CRLF lines): the JSON, the label files and the box lines from darknet\'s boxes', async () => {
    const weights = weightsOf.get('yolov3-tiny');
    const folder = join(dir, 'batch');
    mkdirSync(folder);
    const images = ['dog', 'eagle'].map((name) => {
      const path = join(folder, `${name}.jpg`);
      writeFileSync(path, readFileSync(join(darknetDir, 'data', `${name}.jpg`)));
      return path;
    });
    const { code, stdout, stderr } = await runOurCli(
      ['detector', 'test', 'cfg/coco.data', 'cfg/yolov3-tiny.cfg', weights, '-ext_output', '-dont_show', '-out', join(folder, 'result.json'), '-save_labels'],
      { cwd: ourDir, input: images.map((path) => `${path}\r\n`).join('') },
    );
    assert.equal(code, 0, stderr);
    const expected = await referenceDetections(darknetCfg('yolov3-tiny'), weights, images);
    const names = readFileSync(join(darknetDir, 'data', 'coco.names'), 'utf8').split('\n');
    const json = JSON.parse(readFileSync(join(folder, 'result.json'), 'utf8'));
    assert.deepEqual(json.map((entry) => [entry.frame_id, entry.filename]), [[1, images[0]], [2, images[1]]]);
    const f6 = (v) => Number(formatFixed(v, 6));
    for (const [k, reference] of expected.entries()) {
      assert.ok(reference.detections.length > 0);
      assert.deepEqual(
        json[k].objects,
        reference.detections.map((d) => ({ class_id: d.classIndex, name: names[d.classIndex], relative_coordinates: { center_x: f6(d.x), center_y: f6(d.y), width: f6(d.w), height: f6(d.h) }, confidence: f6(d.probability) })),
      );
      // -save_labels: the best class of each box, "%d %2.4f %2.4f %2.4f %2.4f"
      const boxes = new Map();
      for (const d of reference.detections) {
        const key = [d.x, d.y, d.w, d.h, d.objectness].join();
        const best = boxes.get(key);
        if (!best || d.probability > best.probability) boxes.set(key, d);
      }
      const lines = [...boxes.values()].map((d) => `${d.classIndex} ${[d.x, d.y, d.w, d.h].map((v) => formatFixed(v, 4)).join(' ')}\n`).join('');
      assert.equal(readFileSync(images[k].replace(/\.jpg$/, '.txt'), 'utf8'), lines);
    }
    // each "label: NN%" line with its box, the image read from the CRLF list
    const boxLines = stdout.split('\n').filter((line) => line.includes('\t(left_x:'));
    assert.equal(boxLines.length, expected[0].detections.length + expected[1].detections.length);
    const first = expected[0].detections[0];
    const corner = Math.fround(Math.fround(first.x - Math.fround(first.w / 2)) * 768);
    const left = Math.sign(corner) * Math.round(Math.abs(corner)); // C's round()
    assert.match(boxLines[0], new RegExp(`^${names[first.classIndex]}: \\d+%\\t\\(left_x: +${left} `));
    assert.ok(existsSync(join(ourDir, 'predictions.jpg')));
  });
});
