// The fast engine (binding/fast_engine.c): the same output bits as darknet's
// own code with every GEMM kernel this CPU runs and any thread count, a pool
// that goes quiet after a classify, and its options validated.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

import { build, DarknetError, loadNetwork, setThreads, threads } from '../dist/index.js';
import { writeSyntheticWeights } from './helpers.mjs';
import { runInChild } from './support/child.mjs';
import { emulated, loopImages } from './support/cases.mjs';
import { darknetDir, distIndex, dogJpg, sampleImages, tempDir, tinyCfg } from './support/paths.mjs';
import { randomBytes } from './support/random.mjs';
import { tinyWeights } from './support/weights.mjs';

/** The sample images the loops below run (every one, or DARKNET_NAPI_IMAGES': support/cases.mjs). */
const imagesTitle = loopImages === sampleImages ? 'every sample image' : loopImages.join(', ');

/** Output vectors of tiny on the loop's sample images, in a child process with `env`. */
function outputsInChild(env, engine = 'fast') {
  const images = loopImages.map((image) => join(darknetDir, image));
  const source = `import { build, loadNetwork } from ${JSON.stringify(distIndex)};
    const network = await loadNetwork(${JSON.stringify(tinyCfg)}, ${JSON.stringify(tinyWeights)}, { engine: ${JSON.stringify(engine)} });
    const outputs = [];
    for (const image of ${JSON.stringify(images)}) outputs.push(Array.from(await network.predict(image)));
    await network.close();
    console.log(JSON.stringify({ kernel: build.kernel, fusedBatchNorm: build.fusedBatchNorm, outputs }));`;
  return runInChild(source, { env });
}

test(`every GEMM kernel this CPU runs gives the bits of darknet's own code on ${imagesTitle}`, () => {
  const stock = outputsInChild({}, 'darknet').outputs;
  const kernels = build.kernels;
  assert.ok(kernels.includes(build.kernel), `${build.kernel} is one of ${kernels}`);
  if (process.arch === 'x64') assert.ok(kernels.includes('sse2'), 'every x86-64 CPU runs the SSE2 kernel');
  for (const kernel of kernels) {
    for (const fused of ['1', '0']) {
      const run = outputsInChild({ DARKNET_NAPI_KERNEL: kernel, DARKNET_NAPI_FUSED_BATCHNORM: fused });
      assert.equal(run.kernel, kernel, 'DARKNET_NAPI_KERNEL picks a kernel the CPU runs');
      assert.equal(run.fusedBatchNorm, fused === '1' && build.fusedBatchNorm);
      assert.deepEqual(run.outputs, stock, `kernel ${kernel}, batch norm ${run.fusedBatchNorm ? 'fused' : "darknet's"}`);
    }
  }
});

test('batch norm runs fused into the convolution wherever our arithmetic matches darknet\'s build', () => {
  // The startup check compares with darknet's normalize_cpu as this build
  // compiled it; on x86-64 with gcc's -Ofast (what CI and the prebuilds use)
  // the rule is known to match, so a false here means the check or the rule broke.
  if (process.arch === 'x64' && build.compiler.startsWith('GNU')) assert.equal(build.fusedBatchNorm, true);
  else assert.equal(typeof build.fusedBatchNorm, 'boolean');
});

// (a property of x86's float arithmetic, checked with the host's C compiler:
// there is none in npm run test:windows, and Linux runs it natively)
test('the epilogue\'s leaky slope x / 10.0f is darknet\'s (float)(.1 * (double)x) for every one of the 2^32 floats', { skip: process.platform === 'win32' && 'no C compiler on Windows: checked natively on Linux' }, () => {
  const program = join(tempDir(), 'leaky-division');
  const source = fileURLToPath(new URL('./support/leaky-division.c', import.meta.url));
  const compiled = spawnSync(process.env.CC ?? 'cc', ['-O2', '-ffp-contract=off', '-o', program, source], { encoding: 'utf8' });
  assert.equal(compiled.status, 0, compiled.stderr);
  const run = spawnSync(program, { encoding: 'utf8' });
  assert.equal(run.stdout.trim(), 'differ 0');
  assert.equal(run.status, 0);
});

test(`the fast letterbox runs wherever its rows match darknet's resize_image, and gives letterbox_image's bits on ${imagesTitle} and odd raw sizes`, async () => {
  // The startup check compares with resize_image as darknet's build compiled
  // it; on x86-64 with gcc (what CI and the prebuilds use) they match.
  if (process.arch === 'x64' && build.compiler.startsWith('GNU')) assert.equal(build.fastLetterbox, true);
  else assert.equal(typeof build.fastLetterbox, 'boolean');
  // darknet's engine letterboxes with darknet's letterbox_image: the inputs
  // of both engines, hence their outputs, are the same bits (sizes that
  // shrink, stretch and pad either way).
  const fast = await loadNetwork(tinyCfg, tinyWeights, { labels: [] });
  const stock = await loadNetwork(tinyCfg, tinyWeights, { labels: [], engine: 'darknet' });
  try {
    for (const image of loopImages.map((name) => join(darknetDir, name))) {
      assert.deepEqual(Array.from(await fast.predict(image)), Array.from(await stock.predict(image)), image);
    }
    // Under emulation the three sizes that reach every line and branch the
    // seven reach (support/cases.mjs).
    const sizes = [[1, 100], [100, 1], [3, 30], [640, 7], [225, 224], [111, 113], [2000, 1500]];
    for (const [width, height] of emulated ? [[1, 100], [100, 1], [225, 224]] : sizes) {
      const data = randomBytes(width * height * 3, width + height);
      const raw = { data, width, height, channels: 3 };
      assert.deepEqual(Array.from(await fast.predict(raw)), Array.from(await stock.predict(raw)), `${width}x${height}`);
    }
  } finally {
    await fast.close();
    await stock.close();
  }
});

test('1, 2 and 3 threads give the same bits', async () => {
  const before = threads();
  assert.ok(before >= 1);
  const network = await loadNetwork(tinyCfg, tinyWeights);
  try {
    const results = [];
    for (const count of [1, 2, 3]) {
      setThreads(count);
      assert.equal(threads(), count);
      results.push(Array.from(await network.predict(dogJpg)));
    }
    assert.deepEqual(results[1], results[0]);
    assert.deepEqual(results[2], results[0]);
  } finally {
    setThreads(before);
    await network.close();
  }
});

test('raw pixels, at the network\'s size and around it, with 1, 3 and 4 channels: both engines give the same bits', async (t) => {
  // At the network's size the fast engine skips darknet's letterbox (an
  // identity there); a pixel more or less goes through it.
  const fast = await loadNetwork(tinyCfg, tinyWeights, { labels: [] });
  const stock = await loadNetwork(tinyCfg, tinyWeights, { labels: [], engine: 'darknet' });
  // Under emulation, each size and each channel count once: 224x224x1,
  // 224x223x3 and 2x2x1 reach every line and branch the twelve reach
  // (support/cases.mjs); 225x224x4 adds the size and the channel count
  // those three leave out.
  const emulatedCases = new Set(['224x224x1', '225x224x4', '224x223x3', '2x2x1']);
  try {
    for (const [width, height] of [[224, 224], [225, 224], [224, 223], [2, 2]]) {
      for (const channels of [1, 3, 4]) {
        if (emulated && !emulatedCases.has(`${width}x${height}x${channels}`)) {
          t.diagnostic(`${width}x${height}x${channels}: not under emulation (support/cases.mjs)`);
          continue;
        }
        const data = randomBytes(width * height * channels, width * 7 + height * 3 + channels);
        const image = { data, width, height, channels };
        const ours = Array.from(await fast.predict(image));
        const theirs = Array.from(await stock.predict(image));
        assert.deepEqual(ours, theirs, `${width}x${height}x${channels}`);
      }
    }
  } finally {
    await fast.close();
    await stock.close();
  }
});

test('no thread keeps spinning after a classify', async () => {
  const network = await loadNetwork(tinyCfg, tinyWeights);
  try {
    for (let i = 0; i < 5; ++i) await network.classify(dogJpg);
    await new Promise((resolve) => setTimeout(resolve, 50)); // past the pool's short spin
    const before = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const used = process.cpuUsage(before);
    const ms = (used.user + used.system) / 1000;
    // A spinning pool thread would burn the whole 500 ms.
    assert.ok(ms < 150, `${ms.toFixed(0)} ms of CPU in 500 ms of idling`);
  } finally {
    await network.close();
  }
});

test('the engine and thread options are checked', async () => {
  await assert.rejects(loadNetwork(tinyCfg, tinyWeights, { engine: 'gpu' }), (error) => error instanceof DarknetError && error.code === 'ERR_INVALID_INPUT' && /engine/.test(error.message));
  for (const bad of [0, -1, 1.5, 65, Number.NaN]) {
    assert.throws(() => setThreads(bad), (error) => error instanceof DarknetError && error.code === 'ERR_INVALID_INPUT');
  }
  const network = await loadNetwork(tinyCfg, tinyWeights, { engine: 'darknet' });
  assert.equal(network.engine, 'darknet');
  await network.close();
});

test('route, shortcut, upsample and dropout in the fast engine: the bits of darknet\'s own layers, with 1 and 3 threads', async () => {
  // shortcut between equal sizes, from a larger layer (stride 2), from one
  // with fewer and with more channels, leaky and linear (the engine's own
  // pass), with alpha/beta and another activation (darknet's steps);
  // upsample with scale= and stride 3; route of one, two and three layers;
  // dropouts, in a row, last.
  const section = (type, options = {}) => `[${type}]\n${Object.entries(options).map(([k, v]) => `${k}=${v}\n`).join('')}`;
  const cfg = join(tempDir(), 'engine-route-shortcut-upsample.cfg');
  writeFileSync(
    cfg,
    [
      section('net', { width: 40, height: 30, channels: 3 }),
      section('convolutional', { filters: 12, size: 3, stride: 1, pad: 1, activation: 'leaky' }), // 0: 40x30x12
      section('convolutional', { filters: 12, size: 3, stride: 2, pad: 1, activation: 'leaky' }), // 1: 20x15x12
      section('shortcut', { from: -2, activation: 'leaky' }), // 2: from the larger layer 0
      section('convolutional', { filters: 7, size: 1, stride: 1, activation: 'linear' }), // 3: 20x15x7
      section('shortcut', { from: -3, alpha: 0.5, beta: 2, activation: 'tanh' }), // 4: from 12 channels into 7
      section('convolutional', { filters: 16, size: 1, stride: 1, activation: 'relu' }), // 5: 20x15x16
      section('shortcut', { from: -2, activation: 'linear' }), // 6: from 7 channels into 16
      section('upsample', { stride: 2, scale: 0.25 }), // 7: 40x30x16
      section('route', { layers: '-1,0' }), // 8: 40x30x28
      section('convolutional', { filters: 5, size: 3, stride: 2, pad: 1, activation: 'leaky' }), // 9: 20x15x5
      section('upsample', { stride: 3 }), // 10: 60x45x5
      section('maxpool', { size: 3, stride: 3 }), // 11: 20x15x5
      section('route', { layers: '-1,6,-10' }), // 12: 20x15x33
      section('route', { layers: -1 }), // 13
      section('convolutional', { filters: 6, size: 3, stride: 1, pad: 1, activation: 'linear' }), // 14
      // darknet gives a [dropout] the output buffer of the layer before it
      section('dropout', { probability: 0.5 }), // 15
      section('dropout', { probability: 0.5 }), // 16
      section('convolutional', { filters: 6, size: 1, stride: 1, activation: 'leaky' }), // 17
      section('shortcut', { from: 14, activation: 'leaky' }), // 18: equal sizes
      section('shortcut', { from: 0, activation: 'linear' }), // 19: from the larger layer 0's 12 channels into 6
      section('convolutional', { filters: 8, size: 1, stride: 1, activation: 'linear' }), // 20: 20x15x8
      section('shortcut', { from: -3, activation: 'leaky' }), // 21: from 6 channels into 8
      section('dropout', { probability: 0.5 }), // 22: the network's output
    ].join('\n'),
  );
  const weights = await writeSyntheticWeights(cfg, join(tempDir(), 'engine-route-shortcut-upsample.weights'), 11);
  const fast = await loadNetwork(cfg, weights, { labels: [] });
  const stock = await loadNetwork(cfg, weights, { labels: [], engine: 'darknet' });
  const before = threads();
  try {
    for (const seed of [1, 2]) {
      const image = { data: randomBytes(40 * 30 * 3, seed), width: 40, height: 30, channels: 3 };
      const theirs = Array.from(await stock.predict(image));
      assert.equal(theirs.length, 20 * 15 * 8);
      assert.ok(theirs.some((v) => v !== 0) && theirs.every(Number.isFinite));
      for (const count of [1, 3]) {
        setThreads(count);
        assert.deepEqual(Array.from(await fast.predict(image)), theirs, `seed ${seed}, ${count} threads`);
      }
    }
  } finally {
    setThreads(before);
    await fast.close();
    await stock.close();
  }
});

test('convolutions at the GEMM\'s edges (every panel row count, uneven k blocks, image borders, column tails): every kernel gives darknet\'s bits', async () => {
  // filters 1..9 and 13: each row count of a last panel for the 4-, 6- and
  // 8-row kernels; k split in two blocks (29 channels x 3x3 = 261 as 131 +
  // 130, 11 x 5x5 = 275, 300 x 1x1); 3x3 pad 1, 5x5 pad 2 and 3x3 pad 0 on
  // a 37x23 image: panels inside it, across its borders and its rows, and a
  // column tail. The final route makes every tested layer part of the output.
  // 3 threads: the tasks' grid splits rows and columns.
  const section = (type, options = {}) => `[${type}]\n${Object.entries(options).map(([k, v]) => `${k}=${v}\n`).join('')}`;
  const conv = (filters, size, pad, activation = 'leaky') => section('convolutional', { batch_normalize: 1, filters, size, stride: 1, pad, activation });
  const strided = (filters, size, stride, activation = 'leaky') => section('convolutional', { batch_normalize: 1, filters, size, stride, pad: 1, activation });
  const rows = [conv(29, 3, 1)];
  const tested = [];
  for (const filters of [1, 2, 3, 4, 5, 6, 7, 8, 9, 13]) {
    tested.push(rows.length);
    rows.push(conv(filters, 3, 1), section('route', { layers: 0 }));
  }
  tested.push(rows.length, rows.length + 1, rows.length + 2);
  rows.push(conv(300, 1, 0, 'linear'), conv(11, 1, 0), conv(10, 5, 2), section('route', { layers: tested.join(',') }));
  const networks = [
    { name: 'edges', rows, size: 37 * 23 * (45 + 13 + 300 + 11 + 10) },
    { name: 'unpadded', rows: [conv(29, 3, 1), conv(29, 3, 0), conv(7, 3, 1, 'linear')], size: 35 * 21 * 7 },
    // strided convolutions, read from the padded input with each row's
    // column phases apart: 7x7/2 (resnet's first layer), 5x5/2 and 3x3/3;
    // and a 3x3/2 of 256 filters whose B (648 x 228, an im2col gather) the
    // threads share: packed once, every task reading it
    {
      name: 'strided',
      rows: [
        conv(72, 3, 1),
        strided(256, 3, 2),
        section('route', { layers: 0 }),
        strided(64, 7, 2),
        section('route', { layers: 0 }),
        strided(13, 5, 2, 'linear'),
        section('route', { layers: '1,3,5' }),
      ],
      size: 19 * 12 * (256 + 64 + 13),
    },
    { name: 'stride-3', rows: [conv(5, 3, 1), strided(9, 3, 3)], size: 13 * 8 * 9 },
    // windows past the image, unpadded: a 25x25/20 kernel on 23 rows and a
    // 3x3/3 on a 1x1 input, read from the phase-split copy, and a 3x3/30
    // (a stride past the kernel: packed) (darknet rounds the negative span
    // up to one output, reading zeros there; found by the cfg fuzzer)
    {
      name: 'past-the-image',
      rows: [
        section('convolutional', { filters: 6, size: 25, stride: 20, pad: 0, activation: 'leaky' }),
        section('convolutional', { filters: 4, size: 3, stride: 3, pad: 0, activation: 'linear' }),
        section('convolutional', { filters: 5, size: 3, stride: 30, pad: 0, activation: 'leaky' }),
        section('route', { layers: '0,1,2' }),
      ],
      size: 6 + 4 + 5,
    },
  ];
  const image = join(tempDir(), 'engine-gemm-edges.bin');
  writeFileSync(image, randomBytes(37 * 23 * 3, 9));
  for (const { name, rows: sections, size } of networks) {
    const cfg = join(tempDir(), `engine-gemm-${name}.cfg`);
    writeFileSync(cfg, [section('net', { width: 37, height: 23, channels: 3 }), ...sections].join('\n'));
    const weights = await writeSyntheticWeights(cfg, join(tempDir(), `engine-gemm-${name}.weights`), 5);
    const source = (engine) => `import { readFileSync } from 'node:fs';
      import { build, loadNetwork, setThreads } from ${JSON.stringify(distIndex)};
      setThreads(3);
      const network = await loadNetwork(${JSON.stringify(cfg)}, ${JSON.stringify(weights)}, { labels: [], engine: ${JSON.stringify(engine)} });
      const output = await network.predict({ data: readFileSync(${JSON.stringify(image)}), width: 37, height: 23, channels: 3 });
      await network.close();
      console.log(JSON.stringify({ kernel: build.kernel, output: Array.from(output) }));`;
    const theirs = runInChild(source('darknet')).output;
    assert.equal(theirs.length, size, name);
    assert.ok(theirs.some((v) => v !== 0) && theirs.every(Number.isFinite), name);
    for (const kernel of build.kernels) {
      const run = runInChild(source('fast'), { env: { DARKNET_NAPI_KERNEL: kernel } });
      assert.equal(run.kernel, kernel);
      assert.deepEqual(run.output, theirs, `${name}, kernel ${kernel}`);
    }
  }
});

test('profile() times each layer of the fast engine: one finite time per layer, their sum within a prediction\'s time', async () => {
  const network = await loadNetwork(tinyCfg, tinyWeights, { labels: [] });
  const stock = await loadNetwork(tinyCfg, tinyWeights, { labels: [], engine: 'darknet' });
  try {
    const image = { data: randomBytes(224 * 224 * 3, 3), width: 224, height: 224, channels: 3 };
    const started = process.hrtime.bigint();
    const layers = await network.profile(image, { runs: 3 });
    const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
    assert.deepEqual(layers.map((l) => [l.index, l.type, l.flops]), network.layers.map((l) => [l.index, l.type, l.flops]));
    assert.ok(layers.every((l) => Number.isFinite(l.ms) && l.ms >= 0), JSON.stringify(layers));
    const total = layers.reduce((sum, l) => sum + l.ms, 0);
    // medians per layer: their sum is about one prediction, 3 ran
    assert.ok(total > 0 && total < elapsed, `layers ${total} ms, 3 runs ${elapsed} ms`);
    // the convolutions are most of tiny's time
    const conv = layers.filter((l) => l.type === 'convolutional').reduce((sum, l) => sum + l.ms, 0);
    assert.ok(conv > total / 2, `convolutions ${conv} of ${total} ms`);
    await assert.rejects(network.profile(image, { runs: 0 }), { code: 'ERR_INVALID_INPUT', message: /runs must be a positive integer/ });
    await assert.rejects(stock.profile(image), { code: 'ERR_INVALID_INPUT', message: /engine 'darknet'/ });
  } finally {
    await network.close();
    await stock.close();
  }
});

test("max-pools in the fast engine: darknet's bits (2x2/2, 2x2/1 at odd and even sizes, 3x3/1, 3x3/2), both precisions' pools", async () => {
  const section = (type, options = {}) => `[${type}]\n${Object.entries(options).map(([k, v]) => `${k}=${v}\n`).join('')}`;
  const cfg = join(tempDir(), 'engine-maxpool.cfg');
  writeFileSync(
    cfg,
    [
      section('net', { width: 27, height: 19, channels: 3 }),
      section('convolutional', { filters: 6, size: 3, stride: 1, pad: 1, activation: 'linear' }), // 0: 27x19x6, negative values too
      section('maxpool', { size: 2, stride: 1 }), // 1: odd sizes, the last row and column read -FLT_MAX
      section('maxpool', { size: 3, stride: 1 }), // 2
      section('maxpool', { size: 3, stride: 2 }), // 3: 14x10
      section('upsample', { stride: 2 }), // 4: 28x20
      section('convolutional', { filters: 4, size: 3, stride: 1, pad: 1, activation: 'linear' }), // 5
      section('maxpool', { size: 2, stride: 1 }), // 6: even sizes
      section('maxpool', { size: 2, stride: 2 }), // 7: 14x10, the network's output
    ].join('\n'),
  );
  const weights = await writeSyntheticWeights(cfg, join(tempDir(), 'engine-maxpool.weights'), 13);
  const stock = await loadNetwork(cfg, weights, { labels: [], engine: 'darknet' });
  const ours = await loadNetwork(cfg, weights, { labels: [] });
  const before = threads();
  try {
    const image = { data: randomBytes(27 * 19 * 3, 3), width: 27, height: 19, channels: 3 };
    const theirs = Array.from(await stock.predict(image));
    assert.ok(theirs.some((v) => v < 0) && theirs.every(Number.isFinite));
    for (const count of [1, 3]) {
      setThreads(count);
      assert.deepEqual(Array.from(await ours.predict(image)), theirs, `${count} threads`);
    }
  } finally {
    setThreads(before);
    await stock.close();
    await ours.close();
  }
});
