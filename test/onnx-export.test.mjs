// `darknet export --onnx` / exportOnnx(): the ONNX model, run in
// onnxruntime-node, computes what darknet computes, on the same pixels.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import * as ort from 'onnxruntime-node';

import { DarknetError, exportOnnx, loadNetwork } from '../dist/index.js';
import { weightsHeaderBytes, weightsLayout } from '../dist/models/weights-file.js';
import { writeSyntheticWeights } from './helpers.mjs';
import { runOurCli } from './support/child.mjs';
import { darknetDir, tempDir, tinyCfg } from './support/paths.mjs';
import { tinyWeights } from './support/weights.mjs';

const dir = tempDir('darknet-napi-onnx-');
after(() => rmSync(dir, { recursive: true, force: true }));

/** The max |difference| per cfg, printed at the end. */
const table = [];
after(() => {
  console.log('\nONNX export vs darknet (max |probability diff| / max |log-probability diff|)');
  for (const row of table) console.log(`  ${row.cfg.padEnd(14)} ${row.diff.toExponential(2)}  ${row.logDiff.toExponential(2)}`);
});

/**
 * A deterministic RGB8 image of exactly the network's size (so darknet's
 * letterbox is the identity), and the same pixels as ONNX's NCHW input, /255
 * as darknet's load_image does.
 */
function syntheticImage(width, height) {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; ++y) {
    for (let x = 0; x < width; ++x) {
      for (let c = 0; c < 3; ++c) {
        data[(y * width + x) * 3 + c] = Math.round(127.5 + 120 * Math.sin(x / 9 + 2 * c) * Math.cos(y / 13 - c));
      }
    }
  }
  const planar = new Float32Array(3 * width * height);
  for (let c = 0; c < 3; ++c) {
    for (let i = 0; i < width * height; ++i) planar[c * width * height + i] = data[i * 3 + c] / 255;
  }
  return { raw: { data, width, height, channels: 3 }, planar };
}

async function runOnnx(model, planar, width, height) {
  const session = await ort.InferenceSession.create(model);
  try {
    assert.deepEqual(session.inputNames, ['input']);
    assert.deepEqual(session.outputNames, ['output']);
    const result = await session.run({ input: new ort.Tensor('float32', planar, [1, 3, height, width]) });
    return result.output;
  } finally {
    await session.release();
  }
}

function topK(values, k = 5) {
  return Array.from(values.keys())
    .sort((a, b) => values[b] - values[a] || a - b)
    .slice(0, k);
}

/** Exports cfg + weights, runs both engines on the same pixels, compares. */
async function compare(name, cfg, weights) {
  const model = await exportOnnx(cfg, weights);
  assert.ok(model instanceof Uint8Array);
  const network = await loadNetwork(cfg, weights, { labels: [] });
  try {
    const { raw, planar } = syntheticImage(network.width, network.height);
    const expected = await network.predict(raw);
    const output = await runOnnx(model, planar, network.width, network.height);
    assert.deepEqual(output.dims, [1, network.outputs]);
    const actual = output.data;
    let diff = 0;
    let logDiff = 0;
    for (let i = 0; i < expected.length; ++i) {
      diff = Math.max(diff, Math.abs(expected[i] - actual[i]));
      logDiff = Math.max(logDiff, Math.abs(Math.log(expected[i]) - Math.log(actual[i])));
    }
    table.push({ cfg: name, diff, logDiff });
    assert.ok(diff <= 1e-4, `${name}: max |diff| ${diff}`);
    // Synthetic weights give nearly uniform probabilities: compare the logits too.
    assert.ok(logDiff <= 1e-3, `${name}: max |log diff| ${logDiff}`);
    assert.deepEqual(topK(actual), topK(expected));
    return expected;
  } finally {
    await network.close();
  }
}

describe('the exported ONNX model computes what darknet computes', () => {
  test('tiny.cfg with the real Tiny Darknet weights', async () => {
    const expected = await compare('tiny', tinyCfg, tinyWeights);
    assert.ok(expected[topK(expected, 1)[0]] > 0.05, 'a confident top class, not a flat output');
  });

  for (const [name, seed] of [
    ['darknet', 11],
    ['resnet18', 13],
  ]) {
    test(`${name}.cfg with synthetic weights`, async () => {
      const cfg = join(darknetDir, 'cfg', `${name}.cfg`);
      const weights = await writeSyntheticWeights(cfg, join(dir, `${name}.weights`), seed);
      await compare(name, cfg, weights);
      rmSync(weights);
    });
  }

  test('the other layers and options: crop, asymmetric maxpool, groups, shortcut between sizes, route, connected, softmax groups and temperature, cost', async () => {
    // ([batchnorm] is left out: darknet's own forward of it crashes at inference, l.x is never allocated.)
    const cfg = join(dir, 'mixed.cfg');
    const section = (type, options = {}) => `[${type}]\n${Object.entries(options).map(([k, v]) => `${k}=${v}\n`).join('')}`;
    writeFileSync(
      cfg,
      [
        section('net', { width: 20, height: 20, channels: 3 }),
        section('crop', { crop_height: 18, crop_width: 18, flip: 0 }),
        section('convolutional', { filters: 8, size: 3, stride: 1, pad: 1, batch_normalize: 1, activation: 'leaky' }),
        section('maxpool', { size: 2, stride: 1 }),
        section('convolutional', { filters: 8, size: 3, stride: 2, pad: 1, groups: 2, batch_normalize: 1, activation: 'relie' }),
        section('maxpool', { size: 3, stride: 2 }),
        section('convolutional', { filters: 8, size: 1, stride: 1, activation: 'logistic' }),
        section('shortcut', { from: -3, beta: 0.5, activation: 'tanh' }),
        section('route', { layers: '-1,-3' }),
        section('activation', { activation: 'elu' }),
        section('convolutional', { filters: 6, size: 3, stride: 1, activation: 'ramp' }),
        section('activation', { activation: 'plse' }),
        section('activation', { activation: 'lhtan' }),
        section('connected', { output: 12, batch_normalize: 1, activation: 'selu' }),
        section('dropout', { probability: 0.5 }),
        section('connected', { output: 10, activation: 'loggy' }),
        section('connected', { output: 12, activation: 'hardtan' }),
        section('softmax', { groups: 3, temperature: 2 }),
        section('cost'),
      ].join('\n'),
    );
    const weights = await writeSyntheticWeights(cfg, join(dir, 'mixed.weights'), 5);
    const expected = await compare('mixed', cfg, weights);
    assert.equal(expected.length, 12);
  });

  test('transposed layouts: a weights format > 1000 (connected weights stored inputs x outputs, 32-bit seen) and flipped=1', async () => {
    const cfg = join(dir, 'transposed.cfg');
    writeFileSync(
      cfg,
      '[net]\nwidth=6\nheight=5\nchannels=3\n\n[convolutional]\nfilters=4\nsize=3\npad=1\nflipped=1\nactivation=leaky\n\n' +
        '[connected]\noutput=7\nactivation=linear\n\n[softmax]\n',
    );
    const floats = 4 + 3 * 4 * 9 + 7 + 7 * 6 * 5 * 4;
    const values = Float32Array.from({ length: floats }, (_, i) => Math.sin(i * 1.7) * 0.3);
    const header = Buffer.alloc(16);
    header.writeInt32LE(1001, 0); // major > 1000: transpose, and `seen` is an int
    const weights = join(dir, 'transposed.weights');
    writeFileSync(weights, Buffer.concat([header, Buffer.from(values.buffer)]));
    await compare('transposed', cfg, weights);
  });
});

describe('what the export reads: darknet\'s loaded network (Network#layerParameters)', () => {
  test('the arrays are the weights file\'s floats, in the order lib/models/weights-file.ts lays them out', async () => {
    const bytes = readFileSync(tinyWeights);
    const network = await loadNetwork(tinyCfg, tinyWeights, { labels: [] });
    const parameters = await network.layerParameters();
    const layout = weightsLayout(network.layers);
    await network.close();
    assert.deepEqual([parameters.width, parameters.height, parameters.channels, parameters.outputs], [224, 224, 3, 1000]);
    assert.equal(parameters.layers.length, network.layers.length);
    assert.equal(parameters.outputLayer, network.layers.length - 1);
    let at = weightsHeaderBytes({ major: bytes.readInt32LE(0), minor: bytes.readInt32LE(4) });
    for (const block of layout) {
      const expected = new Float32Array(bytes.buffer.slice(bytes.byteOffset + at, bytes.byteOffset + at + block.count * 4));
      const actual = parameters.layers[block.layer][block.array];
      assert.ok(actual instanceof Float32Array, `layer ${block.layer} ${block.array}`);
      assert.deepEqual(actual, expected, `layer ${block.layer} ${block.array}`);
      at += block.count * 4;
    }
    assert.equal(at, bytes.length);
    const conv = parameters.layers[0];
    assert.deepEqual(
      [conv.type, conv.activation, conv.filters, conv.size, conv.stride, conv.pad, conv.groups, conv.batchNormalize],
      ['convolutional', 'leaky', 16, 3, 1, 1, 1, true],
    );
    await assert.rejects(network.layerParameters(), (error) => error.code === 'ERR_NETWORK_CLOSED');
  });

  test('the filters a weights file does not hold (numload=, dontload=) keep darknet\'s random initial weights; the others are the file\'s', async () => {
    // A load whose file overwrites every weight skips drawing them (zeros
    // until the file is read): these two layers must still draw theirs.
    const dir = tempDir();
    const cfg = join(dir, 'random-init.cfg');
    writeFileSync(
      cfg,
      '[net]\nwidth=8\nheight=8\nchannels=3\n' +
        '[convolutional]\nfilters=4\nsize=1\nnumload=2\nactivation=linear\n' +
        '[convolutional]\nfilters=3\nsize=1\ndontload=1\nactivation=linear\n' +
        '[convolutional]\nfilters=2\nsize=1\nactivation=linear\n',
    );
    // format 0.2 (a 20-byte header), then what load_weights reads: layer 0's
    // 2 biases and 2 x 3 weights, layer 2's 2 biases and 2 x 3 weights
    const floats = Float32Array.from({ length: 16 }, (_, i) => (i + 1) / 16);
    const header = Buffer.alloc(20);
    header.writeInt32LE(2, 4);
    const weights = join(dir, 'random-init.weights');
    writeFileSync(weights, Buffer.concat([header, Buffer.from(floats.buffer)]));
    const network = await loadNetwork(cfg, weights, { labels: [] });
    const [numload, dontload, full] = (await network.layerParameters()).layers;
    await network.close();
    assert.deepEqual(Array.from(numload.weights.subarray(0, 6)), Array.from(floats.subarray(2, 8)));
    assert.ok(numload.weights.subarray(6).every((w) => w !== 0 && Number.isFinite(w)), 'filters 2 and 3: random');
    assert.ok(dontload.weights.length === 4 * 3 && dontload.weights.every((w) => w !== 0 && Number.isFinite(w)), 'all random');
    assert.deepEqual(Array.from(full.weights), Array.from(floats.subarray(10, 16)));
  });
});

describe('export errors are DarknetErrors naming the file', () => {
  const rejects = (promise, code, fragment) =>
    assert.rejects(promise, (error) => {
      assert.ok(error instanceof DarknetError, String(error));
      assert.equal(error.code, code, error.message);
      assert.ok(error.message.includes(fragment), error.message);
      return true;
    });

  test('truncated weights, and weights with bytes to spare', async () => {
    const bytes = readFileSync(tinyWeights);
    const truncated = join(dir, 'truncated.weights');
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 4));
    await rejects(exportOnnx(tinyCfg, truncated), 'ERR_INVALID_WEIGHTS', truncated);
    await rejects(exportOnnx(tinyCfg, truncated), 'ERR_INVALID_WEIGHTS', 'truncated');
    const longer = join(dir, 'longer.weights');
    writeFileSync(longer, Buffer.concat([bytes, Buffer.alloc(4)]));
    await rejects(exportOnnx(tinyCfg, longer), 'ERR_INVALID_WEIGHTS', longer);
    const header = join(dir, 'header.weights');
    writeFileSync(header, bytes.subarray(0, 8));
    await rejects(exportOnnx(tinyCfg, header), 'ERR_INVALID_WEIGHTS', header);
    // weights of another cfg
    await rejects(exportOnnx(join(darknetDir, 'cfg', 'darknet.cfg'), tinyWeights), 'ERR_INVALID_WEIGHTS', tinyWeights);
  });

  test('an unknown layer type, an unsupported one, a cfg without [net]', async () => {
    const unknown = join(dir, 'unknown.cfg');
    writeFileSync(unknown, '[net]\nwidth=8\nheight=8\nchannels=3\n\n[frobnicate]\nsize=3\n');
    await rejects(exportOnnx(unknown, tinyWeights), 'ERR_INVALID_CFG', unknown);
    await rejects(exportOnnx(unknown, tinyWeights), 'ERR_INVALID_CFG', '[frobnicate]');
    const unsupported = join(dir, 'reorg.cfg');
    writeFileSync(unsupported, '[net]\nwidth=8\nheight=8\nchannels=3\n\n[convolutional]\nfilters=4\n\n[reorg]\nstride=2\n');
    // darknet loads [reorg]; the export has no translation for it (and says so before the weights' mismatch).
    await rejects(exportOnnx(unsupported, tinyWeights), 'ERR_UNSUPPORTED_LAYER', '[reorg] is not supported by the ONNX export');
    await rejects(exportOnnx(unsupported, tinyWeights), 'ERR_UNSUPPORTED_LAYER', 'layer 1 [reorg]');
    const noNet = join(dir, 'nonet.cfg');
    writeFileSync(noNet, '[convolutional]\nfilters=4\n');
    await rejects(exportOnnx(noNet, tinyWeights), 'ERR_INVALID_CFG', noNet);
  });

  test('a cfg loadNetwork refuses is refused with the same DarknetError: a line without "="', async () => {
    const cfg = join(dir, 'noequals.cfg');
    writeFileSync(cfg, '[net]\nwidth=8\nheight=8\nchannels=3\n\n[convolutional]\nfilters=4\nbatch_normalize\n');
    const loadError = await loadNetwork(cfg, tinyWeights).then(
      () => assert.fail('loadNetwork accepted a line without "="'),
      (error) => error,
    );
    assert.equal(loadError.code, 'ERR_INVALID_CFG');
    await rejects(exportOnnx(cfg, tinyWeights), loadError.code, loadError.message);
    await rejects(exportOnnx(cfg, tinyWeights), 'ERR_INVALID_CFG', 'batch_normalize');
  });

  test('a layer darknet loads but the export cannot translate: ERR_UNSUPPORTED_LAYER naming the layer', async () => {
    const cfg = join(dir, 'lrn.cfg');
    writeFileSync(cfg, '[net]\nwidth=8\nheight=8\nchannels=3\n\n[convolutional]\nfilters=4\nsize=3\npad=1\n\n[lrn]\nsize=3\n\n[softmax]\n');
    const weights = await writeSyntheticWeights(cfg, join(dir, 'lrn.weights'), 3);
    // darknet loads and runs it...
    const network = await loadNetwork(cfg, weights, { labels: [] });
    const { raw } = syntheticImage(8, 8);
    assert.equal((await network.predict(raw)).length, 256);
    await network.close();
    // ...the export refuses it, by index and darknet's type name.
    await rejects(exportOnnx(cfg, weights), 'ERR_UNSUPPORTED_LAYER', `${cfg}: layer 1 [normalization] is not supported by the ONNX export`);

    // An option of a supported layer type.
    const binary = join(dir, 'binary.cfg');
    writeFileSync(binary, '[net]\nwidth=8\nheight=8\nchannels=3\n\n[convolutional]\nfilters=4\nsize=3\nbinary=1\n\n[softmax]\n');
    const binaryWeights = await writeSyntheticWeights(binary, join(dir, 'binary.weights'), 3);
    await rejects(exportOnnx(binary, binaryWeights), 'ERR_UNSUPPORTED_LAYER', 'layer 0 [convolutional]: binary/xnor');
  });

  test('missing files', async () => {
    const missing = join(dir, 'missing.cfg');
    await rejects(exportOnnx(missing, tinyWeights), 'ERR_FILE_NOT_FOUND', missing);
    const missingWeights = join(dir, 'missing.weights');
    await rejects(exportOnnx(tinyCfg, missingWeights), 'ERR_FILE_NOT_FOUND', missingWeights);
  });
});

describe('darknet export --onnx', () => {
  test('writes <cfg name>.onnx in the working directory, or -o FILE; takes a model name', async () => {
    const work = join(dir, 'cli');
    mkdirSync(work);
    const result = await runOurCli(['export', '--onnx', tinyCfg, tinyWeights], { cwd: work });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'tiny.onnx\n');
    const model = readFileSync(join(work, 'tiny.onnx'));
    const { raw, planar } = syntheticImage(224, 224);
    const output = await runOnnx(model, planar, 224, 224);
    assert.deepEqual(output.dims, [1, 1000]);

    // A catalogue name, with its weights in the cache.
    const cache = join(dir, 'cache');
    mkdirSync(cache);
    symlinkSync(tinyWeights, join(cache, 'tiny.weights'));
    const named = await runOurCli(['export', '--onnx', 'tiny', '-o', 'named.onnx'], { cwd: work, env: { DARKNET_NAPI_CACHE: cache } });
    assert.equal(named.code, 0, named.stderr);
    assert.equal(named.stdout, 'named.onnx\n');
    assert.deepEqual(readFileSync(join(work, 'named.onnx')), model);

    // The model computes darknet's output.
    const network = await loadNetwork(tinyCfg, tinyWeights);
    try {
      const expected = await network.predict(raw);
      assert.deepEqual(topK(output.data), topK(expected));
    } finally {
      await network.close();
    }
  });

  test('usage errors exit 2, export failures 1', async () => {
    const noFormat = await runOurCli(['export', tinyCfg, tinyWeights]);
    assert.equal(noFormat.code, 2);
    assert.match(noFormat.stderr, /^darknet: export needs a format/);
    const tooFew = await runOurCli(['export', '--onnx', join(dir, 'nothing.cfg')]);
    assert.equal(tooFew.code, 2);
    const out = join(dir, 'never.onnx');
    const missing = await runOurCli(['export', '--onnx', tinyCfg, join(dir, 'nothing.weights'), '-o', out]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^darknet: weights file not found: .*nothing\.weights/);
    assert.equal(existsSync(out), false);
  });
});
