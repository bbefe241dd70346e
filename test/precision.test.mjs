// precision: 'fast' (binding/engine/fast_engine.c: batch norm folded into the
// weights at load, FMA kernels with bias and leaky in their store) against
// 'exact' (darknet's bits), on every GEMM kernel this CPU runs, each in a child
// process (DARKNET_NAPI_KERNEL), at 1, 2 and 3 threads. The contract:
//   - Tiny Darknet (real weights), every sample image: the same top-5 classes
//     in the same order, but where two exact probabilities are closer than
//     the largest difference measured on that image (then either order);
//   - yolov3-tiny (synthetic detecting weights), a few images: every exact
//     detection has a fast partner of the same class with IoU >= 0.99 and
//     probability within 1e-3, and every fast one an exact partner, but
//     detections within 1e-3 of the threshold (they may fall either side).
// The largest relative differences are printed as diagnostics (the README's
// table: bench/precision.mjs also measures them against a float64 reference).
// Then the option itself: validation, the environment variable, the CLI flag,
// network.precision, darknet --version, darknet's arrays left as they are.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { build, DarknetError, loadNetwork } from '../dist/index.js';
import { encodeWeights } from '../dist/models/weights-file.js';
import { writeSyntheticWeights } from './helpers.mjs';
import { runInChild, runOurCli } from './support/child.mjs';
import { loopImages } from './support/cases.mjs';
import { darknetCfg, darknetDir, distIndex, dogJpg, tempDir, tinyCfg } from './support/paths.mjs';
import { tinyWeights } from './support/weights.mjs';

const yoloCfg = darknetCfg('yolov3-tiny');
const yoloWeights = await writeSyntheticWeights(yoloCfg, join(tempDir(), 'yolov3-tiny.weights'), 41);
// Every sample image natively; under ASan and Wine the loops' three
// (test/support/cases.mjs), of which dog.jpg is yolov3-tiny's.
const tinyImages = loopImages;
const yoloImages = ['data/dog.jpg', 'data/person.jpg', 'data/horses.jpg'].filter((image) => loopImages.includes(image));
const THRESH = 0.5;
const PROBABILITY_TOLERANCE = 1e-3;
const MIN_IOU = 0.99;

/**
 * In a child with `env`: Tiny Darknet's outputs on every sample image and
 * yolov3-tiny's detections and heads on yoloImages, exact at `threads[0]`
 * and fast at each thread count, with the fast results' largest differences
 * from exact computed there (the heads are too large to send back).
 */
function runKernel(env, threads) {
  const source = `import { build, loadNetwork, setThreads } from ${JSON.stringify(distIndex)};
    const tinyImages = ${JSON.stringify(tinyImages.map((image) => join(darknetDir, image)))};
    const yoloImages = ${JSON.stringify(yoloImages.map((image) => join(darknetDir, image)))};
    const open = (cfg, weights, precision) => loadNetwork(cfg, weights, { labels: [], precision });
    const tiny = { exact: await open(${JSON.stringify(tinyCfg)}, ${JSON.stringify(tinyWeights)}, 'exact'), fast: await open(${JSON.stringify(tinyCfg)}, ${JSON.stringify(tinyWeights)}, 'fast') };
    const yolo = { exact: await open(${JSON.stringify(yoloCfg)}, ${JSON.stringify(yoloWeights)}, 'exact'), fast: await open(${JSON.stringify(yoloCfg)}, ${JSON.stringify(yoloWeights)}, 'fast') };
    const strip = (d) => ({ classIndex: d.classIndex, probability: d.probability, box: d.relativeBox });
    // the largest |fast - exact| and the largest relative to the output's own scale (max |exact|)
    const compare = (exact, fast) => {
      let diff = 0, scale = 0;
      for (let i = 0; i < exact.length; ++i) {
        diff = Math.max(diff, Math.abs(fast[i] - exact[i]));
        scale = Math.max(scale, Math.abs(exact[i]));
      }
      return { diff, relative: diff / scale };
    };
    setThreads(${threads[0]});
    const exactTiny = [];
    for (const image of tinyImages) exactTiny.push(await tiny.exact.predict(image));
    const exactYolo = [];
    for (const image of yoloImages) exactYolo.push(await yolo.exact.detectWithHeads(image, { thresh: ${THRESH} }));
    const runs = [];
    for (const count of ${JSON.stringify(threads)}) {
      setThreads(count);
      const run = { threads: count, tiny: [], yolo: [] };
      for (const [i, image] of tinyImages.entries()) {
        const fast = await tiny.fast.predict(image);
        run.tiny.push({ output: Array.from(fast), ...compare(exactTiny[i], fast) });
      }
      for (const [i, image] of yoloImages.entries()) {
        const fast = await yolo.fast.detectWithHeads(image, { thresh: ${THRESH} });
        const heads = fast.heads.map((head, h) => compare(exactYolo[i].heads[h].output, head.output));
        run.yolo.push({ detections: fast.detections.map(strip), heads, checksum: fast.heads.reduce((s, h) => s + h.output.reduce((a, b) => a + b, 0), 0) });
      }
      runs.push(run);
    }
    for (const network of [tiny.exact, tiny.fast, yolo.exact, yolo.fast]) await network.close();
    console.log(JSON.stringify({
      kernel: build.kernel,
      exactTiny: exactTiny.map((output) => Array.from(output)),
      exactYolo: exactYolo.map((result) => result.detections.map(strip)),
      runs,
    }));`;
  return runInChild(source, { env });
}

/** The indexes of the `k` largest values, largest first (ties: lower index first, as darknet's top_k). */
function topK(values, k) {
  return Array.from(values.keys())
    .sort((a, b) => values[b] - values[a] || a - b)
    .slice(0, k);
}

/** darknet's box_iou on {x, y, width, height} boxes (x, y the top-left corner). */
function iou(a, b) {
  const overlap = (a0, a1, b0, b1) => Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
  const inter = overlap(a.x, a.x + a.width, b.x, b.x + b.width) * overlap(a.y, a.y + a.height, b.y, b.y + b.height);
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/** The detections of `from` without a partner in `to` (same class, IoU >= MIN_IOU, probability within the tolerance), but those near the threshold. */
function unpartnered(from, to) {
  return from.filter(
    (d) =>
      Math.abs(d.probability - THRESH) > PROBABILITY_TOLERANCE &&
      !to.some((e) => e.classIndex === d.classIndex && Math.abs(e.probability - d.probability) <= PROBABILITY_TOLERANCE && iou(e.box, d.box) >= MIN_IOU),
  );
}

// Each kernel with the convolutions' algorithms its first prediction picks by
// timing; then Winograd's two tile sizes forced on every 3x3 stride-1 layer
// (DARKNET_NAPI_WINOGRAD), with the selected kernel and with AVX2's.
const configurations = [
  ...build.kernels.map((kernel) => ({ kernel, env: { DARKNET_NAPI_KERNEL: kernel } })),
  ...['f2', 'f4'].map((mode) => ({ kernel: build.kernel, mode, env: { DARKNET_NAPI_KERNEL: build.kernel, DARKNET_NAPI_WINOGRAD: mode } })),
  ...(build.kernels.includes('avx2') && build.kernel !== 'avx2' ? ['f2', 'f4'].map((mode) => ({ kernel: 'avx2', mode, env: { DARKNET_NAPI_KERNEL: 'avx2', DARKNET_NAPI_WINOGRAD: mode } })) : []),
];

test(`precision 'fast' keeps the accuracy contract on every GEMM kernel this CPU runs (${build.kernels.join(', ')}), 1 to 3 threads, Winograd's tile sizes forced too`, (t) => {
  const worst = { tiny: 0, tinyAbsolute: 0, heads: 0, headsAbsolute: 0, probability: 0, iou: 1 };
  for (const { kernel, mode, env } of configurations) {
    const result = runKernel(env, [1, 2, 3]);
    assert.equal(result.kernel, kernel);
    for (const run of result.runs) {
      const where = `kernel ${kernel}${mode ? `, Winograd ${mode}` : ''}, ${run.threads} thread(s)`;
      run.tiny.forEach((fast, i) => {
        const exact = result.exactTiny[i];
        worst.tiny = Math.max(worst.tiny, fast.relative);
        worst.tinyAbsolute = Math.max(worst.tinyAbsolute, fast.diff);
        const want = topK(exact, 5);
        const got = topK(fast.output, 5);
        for (let rank = 0; rank < 5; ++rank) {
          if (got[rank] === want[rank]) continue;
          // either order where the exact probabilities are closer than the error measured on this image
          const gap = Math.abs(exact[got[rank]] - exact[want[rank]]);
          assert.ok(gap <= 2 * fast.diff, `${where}, ${tinyImages[i]}: rank ${rank + 1} is class ${got[rank]}, exact has ${want[rank]} (their exact probabilities ${gap.toExponential(2)} apart, largest difference ${fast.diff.toExponential(2)})`);
        }
      });
      run.yolo.forEach((fast, i) => {
        const exact = result.exactYolo[i];
        for (const head of fast.heads) {
          worst.heads = Math.max(worst.heads, head.relative);
          worst.headsAbsolute = Math.max(worst.headsAbsolute, head.diff);
        }
        assert.deepEqual(unpartnered(exact, fast.detections), [], `${where}, ${yoloImages[i]}: exact detections without a fast partner`);
        assert.deepEqual(unpartnered(fast.detections, exact), [], `${where}, ${yoloImages[i]}: fast detections without an exact partner`);
        for (const d of exact) {
          const partner = fast.detections.find((e) => e.classIndex === d.classIndex && iou(e.box, d.box) >= MIN_IOU);
          if (!partner) continue;
          worst.probability = Math.max(worst.probability, Math.abs(partner.probability - d.probability));
          worst.iou = Math.min(worst.iou, iou(partner.box, d.box));
        }
        assert.ok(exact.length > 0, `${yoloImages[i]}: the synthetic weights detect something at thresh ${THRESH}`);
      });
    }
    // Each output is summed in one order whatever the thread count: the fast
    // results are deterministic too.
    for (const run of result.runs.slice(1)) {
      assert.deepEqual(run.tiny.map((r) => r.output), result.runs[0].tiny.map((r) => r.output), `kernel ${kernel}: ${run.threads} threads, the bits of 1`);
      assert.deepEqual(run.yolo.map((r) => r.checksum), result.runs[0].yolo.map((r) => r.checksum), `kernel ${kernel}: ${run.threads} threads, the heads of 1`);
    }
  }
  t.diagnostic(
    `largest differences from exact: Tiny Darknet ${worst.tinyAbsolute.toExponential(2)} (${worst.tiny.toExponential(2)} of the largest probability); ` +
      `yolov3-tiny heads ${worst.headsAbsolute.toExponential(2)} (${worst.heads.toExponential(2)} of the head's largest value), ` +
      `detection probabilities ${worst.probability.toExponential(2)}, least IoU ${worst.iou.toFixed(6)}`,
  );
});

test("precision is checked: 'exact' or 'fast', 'fast' only in the fast engine", async () => {
  const invalid = (pattern) => (error) => error instanceof DarknetError && error.code === 'ERR_INVALID_INPUT' && pattern.test(error.message);
  for (const bad of ['Fast', 'double', 1, true, '']) {
    await assert.rejects(loadNetwork(tinyCfg, tinyWeights, { precision: bad }), invalid(/^precision must be 'exact' or 'fast', got /));
  }
  await assert.rejects(loadNetwork(tinyCfg, tinyWeights, { precision: 'fast', engine: 'darknet' }), invalid(/precision 'fast' runs in engine 'fast', not engine 'darknet'/));
  const exact = await loadNetwork(tinyCfg, tinyWeights, { engine: 'darknet', precision: 'exact' });
  assert.equal(exact.precision, 'exact');
  await exact.close();
});

test("precision defaults to 'exact' (darknet's bits), or DARKNET_NAPI_PRECISION's", async () => {
  const plain = await loadNetwork(tinyCfg, tinyWeights);
  const exact = await loadNetwork(tinyCfg, tinyWeights, { precision: 'exact' });
  const stock = await loadNetwork(tinyCfg, tinyWeights, { engine: 'darknet' });
  try {
    assert.equal(plain.precision, 'exact');
    const bits = Array.from(await stock.predict(dogJpg));
    assert.deepEqual(Array.from(await plain.predict(dogJpg)), bits);
    assert.deepEqual(Array.from(await exact.predict(dogJpg)), bits);
  } finally {
    await Promise.all([plain.close(), exact.close(), stock.close()]);
  }
  const source = `import { loadNetwork } from ${JSON.stringify(distIndex)};
    const report = {};
    for (const options of [{}, { precision: 'exact' }, { engine: 'darknet' }]) {
      try {
        const network = await loadNetwork(${JSON.stringify(tinyCfg)}, ${JSON.stringify(tinyWeights)}, options);
        report[JSON.stringify(options)] = network.precision;
        await network.close();
      } catch (error) {
        report[JSON.stringify(options)] = error.code + ': ' + error.message;
      }
    }
    console.log(JSON.stringify(report));`;
  assert.deepEqual(runInChild(source, { env: { DARKNET_NAPI_PRECISION: 'fast' } }), {
    '{}': 'fast',
    '{"precision":"exact"}': 'exact', // the option wins over the variable
    '{"engine":"darknet"}': "ERR_INVALID_INPUT: precision 'fast' runs in engine 'fast', not engine 'darknet'",
  });
  assert.deepEqual(runInChild(source, { env: { DARKNET_NAPI_PRECISION: 'fastest' } })['{}'], "ERR_INVALID_INPUT: precision must be 'exact' or 'fast', got DARKNET_NAPI_PRECISION=fastest");
  assert.equal(runInChild(source, { env: { DARKNET_NAPI_PRECISION: '' } })['{}'], 'exact');
});

test("precision 'fast' leaves darknet's own arrays as they are: layerParameters() is exact's", async () => {
  const exact = await loadNetwork(yoloCfg, yoloWeights);
  const fast = await loadNetwork(yoloCfg, yoloWeights, { precision: 'fast' });
  try {
    const want = (await exact.layerParameters()).layers;
    const got = (await fast.layerParameters()).layers;
    assert.equal(got.length, want.length);
    for (const [i, layer] of want.entries()) assert.deepEqual(got[i], layer, `layer ${i}`);
    // and the fast network still runs after that
    assert.ok((await fast.detect(dogJpg)).length > 0);
  } finally {
    await Promise.all([exact.close(), fast.close()]);
  }
});

test('darknet --precision fast classifies with it; --version says what it runs; a bad mode is a usage error', async () => {
  const exact = await runOurCli(['classify', 'cfg/tiny.cfg', tinyWeights, 'data/eagle.jpg']);
  const fast = await runOurCli(['classify', '--precision', 'fast', 'cfg/tiny.cfg', tinyWeights, 'data/eagle.jpg']);
  assert.equal(exact.code, 0, exact.stderr);
  assert.equal(fast.code, 0, fast.stderr);
  const labels = (text) => text.trim().split('\n').map((line) => line.replace(/^\s*[\d.]+%: /, ''));
  assert.deepEqual(labels(fast.stdout), labels(exact.stdout));
  const bad = await runOurCli(['classify', '--precision', 'half', 'cfg/tiny.cfg', tinyWeights, 'data/eagle.jpg']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--precision must be exact or fast, got half/);
  const version = await runOurCli(['--version']);
  assert.equal(version.code, 0);
  const line = version.stdout.split('\n').find((l) => l.startsWith('precision fast: '));
  assert.ok(line, version.stdout);
  assert.ok(line.includes(`kernel ${build.fastPrecision.kernel}`), line);
  assert.match(line, /batch norm and bias folded into the weights at load/);
  if (process.arch === 'x64' && build.kernels.includes('avx2') && build.fastPrecision.fma) assert.match(line, /FMA multiply-adds/);
  if (build.fastPrecision.fusedKernel) assert.match(line, /Winograd F\(2x2,3x3\) or F\(4x4,3x3\)/);
});

test("precision 'fast': profile() says how each convolution runs, chosen by timing or forced by DARKNET_NAPI_WINOGRAD", async () => {
  const fast = await loadNetwork(yoloCfg, yoloWeights, { precision: 'fast' });
  const exact = await loadNetwork(yoloCfg, yoloWeights);
  try {
    const layers = await fast.profile(dogJpg, { runs: 1 });
    for (const layer of layers) {
      // (a max-pool run inside the convolution before it says so)
      if (layer.type === 'maxpool' && layer.algorithm === 'fused') assert.equal(layer.ms, 0, `layer ${layer.index}`);
      else if (layer.type !== 'convolutional') assert.equal(layer.algorithm, undefined, `layer ${layer.index}`);
      else assert.match(layer.algorithm, /^(gemm|winograd-f2|winograd-f4)$/, `layer ${layer.index}`);
    }
    // the first layer (3 channels) and the 1x1 ones stay the GEMM's
    const shapes = fast.layers;
    for (const layer of layers.filter((l) => l.type === 'convolutional')) {
      const shape = shapes[layer.index];
      if (shape.size !== 3 || shape.stride !== 1 || layer.index === 0) assert.equal(layer.algorithm, 'gemm', `layer ${layer.index}`);
    }
    for (const layer of await exact.profile(dogJpg, { runs: 1 })) assert.equal(layer.algorithm, undefined);
  } finally {
    await Promise.all([fast.close(), exact.close()]);
  }
  const source = `import { loadNetwork } from ${JSON.stringify(distIndex)};
    const network = await loadNetwork(${JSON.stringify(yoloCfg)}, ${JSON.stringify(yoloWeights)}, { precision: 'fast' });
    const layers = await network.profile(${JSON.stringify(dogJpg)}, { runs: 1 });
    await network.close();
    console.log(JSON.stringify(layers.filter((l) => l.type === 'convolutional').map((l) => l.algorithm)));`;
  for (const [mode, want] of [['off', 'gemm'], ['f2', 'winograd-f2'], ['f4', 'winograd-f4']]) {
    const algorithms = runInChild(source, { env: { DARKNET_NAPI_WINOGRAD: mode } });
    assert.ok(algorithms.includes(want), `${mode}: ${algorithms}`);
    if (mode === 'off') assert.deepEqual(new Set(algorithms), new Set(['gemm']));
    else assert.deepEqual(new Set(algorithms), new Set(build.fastPrecision.fusedKernel ? ['gemm', want] : ['gemm']));
  }
});

test("precision 'fast': a layer shape's Winograd choice is timed once a process; later layers and networks of that shape take it (same bits)", () => {
  // Tiny Darknet repeats three 3x3 shapes (layers 5 and 7, 10 and 12, 15 and 17).
  const source = `import { loadNetwork } from ${JSON.stringify(distIndex)};
    const open = () => loadNetwork(${JSON.stringify(tinyCfg)}, ${JSON.stringify(tinyWeights)}, { labels: [], precision: 'fast' });
    const first = await open();
    const a = await first.predict(${JSON.stringify(dogJpg)});
    const [second, third] = await Promise.all([open(), open()]);
    const [b, c] = await Promise.all([second.predict(${JSON.stringify(dogJpg)}), third.predict(${JSON.stringify(dogJpg)})]);
    const algorithms = async (n) => (await n.profile(${JSON.stringify(dogJpg)}, { runs: 1 })).map((l) => l.algorithm ?? '');
    const same = (x, y) => x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
    console.log(JSON.stringify({ sameBits: same(a, b) && same(a, c), algorithms: [await algorithms(first), await algorithms(second), await algorithms(third)] }));
    await Promise.all([first.close(), second.close(), third.close()]);`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', source], {
    encoding: 'utf8',
    env: { ...process.env, DARKNET_NAPI_WINOGRAD_LOG: '1', DARKNET_NAPI_WINOGRAD: '' },
    maxBuffer: 16 << 20,
  });
  assert.equal(child.status, 0, child.stderr);
  const result = JSON.parse(child.stdout.trim().split('\n').at(-1));
  assert.equal(result.sameBits, true, 'the copies give the first network\'s outputs');
  assert.deepEqual(result.algorithms[1], result.algorithms[0]);
  assert.deepEqual(result.algorithms[2], result.algorithms[0]);
  // (counted, not split by network: under Wine the C runtime's stderr is
  // buffered apart from Node's, so no marker keeps its place among the lines)
  const lines = child.stderr.split('\n').filter((line) => line.startsWith('darknet-napi winograd:'));
  if (!build.fastPrecision.fusedKernel) {
    assert.deepEqual(lines, []);
    return;
  }
  const layerOf = (line) => Number(/layer (\d+)/.exec(line)?.[1]);
  const reused = (line) => line.includes('chosen before for this shape');
  const count = (list) => Object.fromEntries([...new Set(list)].sort((a, b) => a - b).map((layer) => [layer, list.filter((l) => l === layer).length]));
  // timed once in the process: the first layer of each shape in the first network
  assert.deepEqual(count(lines.filter((line) => !reused(line)).map(layerOf)), { 2: 1, 5: 1, 10: 1, 15: 1 }, child.stderr);
  // reused: the first network's repeats (7, 12, 17); in each copy, every
  // layer whose recorded choice is a Winograd one (a shape that chose the
  // GEMM has no Winograd weights packed in a copy, so nothing to choose or log)
  const expected = {};
  for (const layer of [2, 5, 7, 10, 12, 15, 17]) {
    const times = ([7, 12, 17].includes(layer) ? 1 : 0) + (result.algorithms[0][layer].startsWith('winograd') ? 2 : 0);
    if (times) expected[layer] = times;
  }
  assert.deepEqual(count(lines.filter(reused).map(layerOf)), expected, child.stderr);
});

test("precision 'fast': Winograd with the weights transformed on the fly (a 13x13 layer, odd channel counts) keeps the contract on every kernel, 1 to 3 threads", async () => {
  // 13x13x131 -> 517: F(4,3)'s transformed weights (2.4M floats) pass the
  // caches and its 16 tiles are one block, so they are transformed at each
  // prediction (winograd.c); 517 out channels end in a part panel, 131 input
  // channels in an odd k block.
  const dir = tempDir();
  const cfg = join(dir, 'streamed.cfg');
  writeFileSync(
    cfg,
    '[net]\nwidth=13\nheight=13\nchannels=3\n\n' +
      '[convolutional]\nbatch_normalize=1\nfilters=131\nsize=1\nstride=1\npad=0\nactivation=leaky\n\n' +
      '[convolutional]\nbatch_normalize=1\nfilters=517\nsize=3\nstride=1\npad=1\nactivation=leaky\n',
  );
  const weights = await writeSyntheticWeights(cfg, join(dir, 'streamed.weights'), 7);
  const source = `import { loadNetwork, setThreads } from ${JSON.stringify(distIndex)};
    const image = { data: Uint8Array.from({ length: 13 * 13 * 3 }, (_, i) => (i * 7919) % 251), width: 13, height: 13, channels: 3 };
    const exactNet = await loadNetwork(${JSON.stringify(cfg)}, ${JSON.stringify(weights)}, { labels: [] });
    const fastNet = await loadNetwork(${JSON.stringify(cfg)}, ${JSON.stringify(weights)}, { labels: [], precision: 'fast' });
    const exact = await exactNet.predict(image);
    const runs = [];
    for (const threads of [1, 2, 3]) {
      setThreads(threads);
      const fast = await fastNet.predict(image);
      let diff = 0, scale = 0;
      for (let i = 0; i < exact.length; ++i) { diff = Math.max(diff, Math.abs(fast[i] - exact[i])); scale = Math.max(scale, Math.abs(exact[i])); }
      runs.push({ threads, relative: diff / scale, sum: fast.reduce((s, x) => s + x, 0), first: Array.from(fast.subarray(0, 64)) });
    }
    const algorithm = (await fastNet.profile(image, { runs: 1 }))[1].algorithm;
    await Promise.all([exactNet.close(), fastNet.close()]);
    console.log(JSON.stringify({ runs, algorithm }));`;
  const modes = [undefined, 'f2', 'f4'];
  for (const kernel of build.kernels) {
    for (const mode of modes) {
      const env = { ...process.env, DARKNET_NAPI_KERNEL: kernel, DARKNET_NAPI_WINOGRAD: mode ?? '', DARKNET_NAPI_WINOGRAD_LOG: '1' };
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', source], { encoding: 'utf8', env, maxBuffer: 16 << 20 });
      assert.equal(child.status, 0, child.stderr);
      const { runs, algorithm } = JSON.parse(child.stdout.trim().split('\n').at(-1));
      const where = `kernel ${kernel}, Winograd ${mode ?? 'timed'}`;
      for (const run of runs) assert.ok(run.relative <= 1e-4, `${where}, ${run.threads} threads: ${run.relative.toExponential(2)} of the largest output from exact`);
      for (const run of runs.slice(1)) {
        assert.equal(run.sum, runs[0].sum, `${where}: ${run.threads} threads, the bits of 1`);
        assert.deepEqual(run.first, runs[0].first, `${where}: ${run.threads} threads, the bits of 1`);
      }
      if (!build.fastPrecision.fusedKernel) continue;
      if (mode) assert.equal(algorithm, `winograd-${mode}`, where);
      // the 3x3 layer's line says whether its weights stream; F(4,3)'s do on every kernel
      const line = child.stderr.split('\n').find((l) => l.startsWith('darknet-napi winograd: layer 1 '));
      assert.ok(line, `${where}: ${child.stderr}`);
      if (mode === 'f4') assert.match(line, /F\(4,3\) \(weights transformed on the fly\)/, where);
    }
  }
});

/**
 * Each case's network in precision 'fast', in a child with `env` and
 * DARKNET_NAPI_FUSE=off, then in one with it on (an environment the C
 * runtime reads at its start: Windows' does not see process.env's later
 * changes), each predicting dog.jpg twice at 1 and at 3 threads (a Winograd
 * layer pools in its transform from its second prediction), then profiled:
 * { outputs: [apart, together], layers: [apart, together] } for each.
 * `env` should force DARKNET_NAPI_WINOGRAD: two processes could time
 * different choices.
 */
function runApartAndTogether(cases, env) {
  const source = `import { loadNetwork, setThreads } from ${JSON.stringify(distIndex)};
    const results = [];
    for (const { cfg, weights } of ${JSON.stringify(cases)}) {
      const network = await loadNetwork(cfg, weights, { labels: [], precision: 'fast' });
      const runs = [];
      for (const threads of [1, 3]) {
        setThreads(threads);
        for (let i = 0; i < 2; ++i) runs.push(Array.from(await network.predict(${JSON.stringify(dogJpg)})));
      }
      const layers = (await network.profile(${JSON.stringify(dogJpg)}, { runs: 1 })).map((l) => ({ type: l.type, ms: l.ms, algorithm: l.algorithm }));
      await network.close();
      results.push({ runs, layers });
    }
    console.log(JSON.stringify(results));`;
  const [apart, together] = ['off', 'on'].map((fuse) => runInChild(source, { env: { ...env, DARKNET_NAPI_FUSE: fuse } }));
  return apart.map((a, i) => ({ outputs: [a.runs, together[i].runs], layers: [a.layers, together[i].layers] }));
}

/** Every run apart and together gives the first run's bits. */
function assertSameBits([apart, together], where) {
  assert.ok(apart[0].length > 0 && apart[0].every(Number.isFinite), where);
  for (const run of [...apart, ...together]) assert.deepEqual(run, apart[0], `${where}: the same bits apart and together, 1 and 3 threads`);
}

test("precision 'fast': a first convolution runs with the 2x2 max-pool after it where only the pool reads it, to the bits of the two apart (DARKNET_NAPI_FUSE=off), on every kernel", async () => {
  const dir = tempDir();
  const write = (name, text) => {
    const cfg = join(dir, `${name}.cfg`);
    writeFileSync(cfg, text);
    return cfg;
  };
  const conv = (filters, size, activation) => `[convolutional]\nbatch_normalize=1\nfilters=${filters}\nsize=${size}\nstride=1\npad=1\nactivation=${activation}\n\n`;
  const pool = '[maxpool]\nsize=2\nstride=2\n\n';
  // odd sizes: 15 pooled columns (a part vector), 5 filters (a part pass), a linear one
  const odd = write('odd', `[net]\nwidth=30\nheight=22\nchannels=3\n\n${conv(5, 3, 'leaky')}${pool}${conv(7, 3, 'leaky')}`);
  const linear = write('linear', `[net]\nwidth=64\nheight=64\nchannels=3\n\n${conv(16, 3, 'linear')}${pool}${conv(8, 1, 'leaky')}`);
  // a [route] reads the convolution too: it must be written, so no pass together
  const routed = write('routed', `[net]\nwidth=32\nheight=32\nchannels=3\n\n${conv(8, 3, 'leaky')}${pool}[route]\nlayers=-2\n\n${pool}`);
  const cases = [
    { cfg: odd, weights: await writeSyntheticWeights(odd, join(dir, 'odd.weights'), 3), together: true },
    { cfg: linear, weights: await writeSyntheticWeights(linear, join(dir, 'linear.weights'), 4), together: true },
    { cfg: routed, weights: await writeSyntheticWeights(routed, join(dir, 'routed.weights'), 5), together: false },
    { cfg: yoloCfg, weights: yoloWeights, together: true },
    { cfg: tinyCfg, weights: tinyWeights, together: true },
  ];
  for (const kernel of build.kernels) {
    const results = runApartAndTogether(cases, { DARKNET_NAPI_KERNEL: kernel, DARKNET_NAPI_WINOGRAD: 'off' });
    results.forEach(({ outputs, layers }, i) => {
      const where = `kernel ${kernel}, ${cases[i].cfg}`;
      assertSameBits(outputs, where);
      // apart, the pool runs on its own; together, in the convolution, its time counted there
      assert.equal(layers[0][1].algorithm, undefined, `${where}: the pool apart`);
      const fused = build.fastPrecision.fusedKernel && cases[i].together;
      assert.equal(layers[1][1].algorithm, fused ? 'fused' : undefined, `${where}: the pool ${fused ? '' : 'not '}run with the convolution`);
      if (fused) assert.equal(layers[1][1].ms, 0, where);
      assert.equal(layers[1][0].algorithm, 'gemm', where);
    });
  }
});

test("precision 'fast': the [yolo] heads' logistic stays within 2e-7 of darknet's, saturated inputs and those past float's exp included", async () => {
  // A 1x1 convolution with one nonzero weight a filter gives both precisions
  // the same head inputs (the other terms add exact zeros), from -200 to 200.
  const dir = tempDir();
  const cfg = join(dir, 'head.cfg');
  writeFileSync(cfg, '[net]\nwidth=32\nheight=32\nchannels=3\n\n[convolutional]\nfilters=12\nsize=1\nstride=1\npad=0\nactivation=linear\n\n[yolo]\nmask=0,1\nanchors=10,14,23,27\nclasses=1\nnum=2\n');
  const gains = [200, -200, 95, -95, 40, -40, 12, -12, 3, -3, 0.5, -0.5];
  const values = new Float32Array(12 + 12 * 3);
  gains.forEach((gain, f) => {
    values[f] = f % 2 ? -0.3 : 0.2; // biases
    values[12 + f * 3 + (f % 3)] = gain;
  });
  const weights = join(dir, 'head.weights');
  writeFileSync(weights, encodeWeights(values));
  const heads = {};
  for (const precision of ['exact', 'fast']) {
    const network = await loadNetwork(cfg, weights, { labels: ['thing'], precision });
    heads[precision] = (await network.detectWithHeads(dogJpg, { thresh: 0.5 })).heads[0].output;
    await network.close();
  }
  assert.equal(heads.fast.length, heads.exact.length);
  let largest = 0;
  let saturated = 0;
  for (let i = 0; i < heads.exact.length; ++i) {
    assert.ok(Number.isFinite(heads.fast[i]), `element ${i}: ${heads.fast[i]}`);
    largest = Math.max(largest, Math.abs(heads.fast[i] - heads.exact[i]));
    if (heads.exact[i] === 0 || heads.exact[i] === 1) ++saturated;
  }
  assert.ok(largest <= 2e-7, `largest |fast - exact| ${largest}`);
  assert.ok(saturated > 0, 'some inputs saturate the logistic');
});

test("precision 'fast': a Winograd F(4,3) layer pools 2x2 in its output transform where only the pool reads it, to the bits of the two apart, on every kernel", async () => {
  const dir = tempDir();
  const conv = (filters, size, activation) => `[convolutional]\nbatch_normalize=1\nfilters=${filters}\nsize=${size}\nstride=1\npad=1\nactivation=${activation}\n\n`;
  const pool = '[maxpool]\nsize=2\nstride=2\n\n';
  // 30x22 in 4x4 tiles: the last tile row and column half outside, 15x11
  // pooled; then 15x11, odd, whose pool's windows do not cover it: apart
  const cfg = join(dir, 'winograd-pool.cfg');
  writeFileSync(cfg, `[net]\nwidth=30\nheight=22\nchannels=3\n\n${conv(8, 3, 'leaky')}${conv(13, 3, 'leaky')}${pool}${conv(9, 3, 'linear')}${pool}${conv(5, 1, 'leaky')}`);
  const weights = await writeSyntheticWeights(cfg, join(dir, 'winograd-pool.weights'), 6);
  const cases = [
    { cfg, weights, pools: [2], apart: [4] },
    { cfg: yoloCfg, weights: yoloWeights, pools: [3, 5, 7], apart: [9] }, // (layer 8's output is also routed)
    { cfg: tinyCfg, weights: tinyWeights, pools: [3, 8, 13], apart: [] },
  ];
  for (const kernel of build.kernels) {
    const results = runApartAndTogether(cases, { DARKNET_NAPI_KERNEL: kernel, DARKNET_NAPI_WINOGRAD: 'f4' });
    results.forEach(({ outputs, layers }, i) => {
      const where = `kernel ${kernel}, ${cases[i].cfg}`;
      // the first prediction times and writes the convolution; the next ones pool in its transform
      assertSameBits(outputs, where);
      [...cases[i].pools, ...cases[i].apart].forEach((index, p) => {
        const fused = p < cases[i].pools.length && build.fastPrecision.fusedKernel;
        assert.equal(layers[0][index].type, 'maxpool', where);
        assert.equal(layers[0][index].algorithm, undefined, `${where}: pool ${index} apart`);
        assert.equal(layers[1][index - 1].algorithm, build.fastPrecision.fusedKernel ? 'winograd-f4' : 'gemm', where);
        assert.equal(layers[1][index].algorithm, fused ? 'fused' : undefined, `${where}: pool ${index}: ${fused ? 'in' : 'apart from'} the Winograd layer's transform`);
        if (fused) assert.equal(layers[1][index].ms, 0, where);
      });
    });
  }
});
