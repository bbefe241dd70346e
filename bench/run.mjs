#!/usr/bin/env node
// `npm run bench [-- --iterations N --images N --quick]`: Tiny Darknet with
// its real weights (got as the tests get them, test/support/weights.mjs) on
// darknet/data/dog.jpg, every figure from this one run, as ratios against baselines measured in the same process or
// command (the machines are shared and noisy):
//   - predict alone (a network-sized raw image: no decode), median ms and
//     GFLOP/s: our fast engine at 1 thread and the default threads against
//     onnxruntime-node on our ONNX export at the same threads, in alternating
//     blocks with a pause between them and then interleaved call by call (a
//     robustness row), engine 'darknet' (darknet's own code), and shelling
//     out to the reference CLI;
//   - the core's FMA peak and its peak for darknet's arithmetic (a rounded
//     multiply, then a rounded add: bench/peak.c), the fraction of each that
//     predict reaches, tiny.cfg per layer at 1 thread (Network#profile: ms,
//     GFLOP/s, %), and beside every ratio against onnxruntime the least
//     ratio any engine with darknet's bits could reach here (bench/bound.mjs);
//   - classify(path) end to end (read, decode, letterbox, predict, top-5);
//   - bulk throughput with 1 and 2 networks (loading them included), against
//     the shell-out loop;
//   - RSS per additional loaded network (in a child process);
//   - darknet.cfg, darknet19.cfg and resnet18.cfg with synthetic weights,
//     against onnxruntime likewise;
//   - detection (synthetic detecting weights): yolov3-tiny at 416x416 and
//     (without --quick) yolov3 at 608x608: predict for both engines and
//     onnxruntime on our export, detect end to end, the box extraction and
//     NMS, shelling out to the reference's `detector test`, RSS per network;
//   - video (bench/video.mjs): a 720p clip through network.video() against
//     the predict loop on its frames, with and without output, and a live
//     source's frame age in realtime.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

import { leastMs, leastRoundedOps } from './bound.mjs';
import { videoRows } from './video.mjs';
import { middle, medianTimer } from './timing.mjs';
import { build, classifyMany, exportOnnx, loadNetwork, setThreads, threads } from '../dist/index.js';
import { writeSyntheticWeights } from '../test/helpers.mjs';
import { darknetDir as darknet, distIndex, dogJpg as dog, tinyCfg } from '../test/support/paths.mjs';
import { randomBytes } from '../test/support/random.mjs';
import { referenceCli as reference } from '../test/support/reference.mjs';
import { tinyWeights } from '../test/support/weights.mjs';

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}
const quick = process.argv.includes('--quick');
const iterations = option('iterations', quick ? 20 : 50);
// Enough images that loading the networks (each run's first tens of ms) is a
// small part of the run, as in the batch jobs this stands for.
const bulkImages = option('images', quick ? 56 : 210);
const defaultThreads = threads();

const median = medianTimer(iterations);

const flopsOf = (network) => network.layers.reduce((sum, layer) => sum + (layer.flops ?? 0), 0);
const fmt = (ms) => ms.toFixed(2);

/** A deterministic network-sized RGB image: predict() then skips decoding. */
function rawImage(width, height) {
  return { data: randomBytes(width * height * 3, 1), width, height, channels: 3 };
}

/** The float NCHW tensor darknet makes of that image (planar RGB / 255). */
function nchw(image) {
  const { width, height, data: pixels } = image;
  const data = new Float32Array(3 * width * height);
  for (let c = 0; c < 3; ++c)
    for (let i = 0; i < width * height; ++i) data[c * width * height + i] = pixels[i * 3 + c] / 255;
  return data;
}

async function onnxRuntime() {
  try {
    return await import('onnxruntime-node');
  } catch {
    return undefined;
  }
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Ours against onnxruntime at `count` threads: three alternating blocks
 * (ours, pause, theirs, pause), the median of each side's block medians;
 * then call by call, interleaved (a robustness row: onnxruntime's threads
 * spin after each run, on the cores ours wants).
 */
async function versus(predict, run, count, predictFast) {
  setThreads(count);
  const ours = [];
  const theirs = [];
  const fast = []; // precision 'fast', in the same blocks (issue 27)
  for (let block = 0; block < 3; ++block) {
    ours.push(await median(predict));
    await pause(200);
    if (predictFast) {
      fast.push(await median(predictFast));
      await pause(200);
    }
    theirs.push(await median(run));
    await pause(200);
  }
  const oursInterleaved = [];
  const theirsInterleaved = [];
  for (let i = 0; i < iterations; ++i) {
    let started = process.hrtime.bigint();
    await predict();
    oursInterleaved.push(Number(process.hrtime.bigint() - started) / 1e6);
    started = process.hrtime.bigint();
    await run();
    theirsInterleaved.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  setThreads(defaultThreads);
  return { ours: middle(ours), theirs: middle(theirs), fast: fast.length ? middle(fast) : undefined, oursInterleaved: middle(oursInterleaved), theirsInterleaved: middle(theirsInterleaved) };
}

/** Ours against onnxruntime on `model` at `count` threads (one session): versus()'s times, the ratio row and onnxruntime's output. */
async function versusOrt(ort, model, image, predict, count, predictFast) {
  const feeds = { input: new ort.Tensor('float32', nchw(image), [1, 3, image.height, image.width]) };
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: count, interOpNumThreads: 1, executionProviders: ['cpu'] });
  try {
    // The first output (a classifier's only one; a detector has one per head).
    const output = (await session.run(feeds))[session.outputNames[0] ?? 'output']?.data;
    const v = await versus(predict, () => session.run(feeds), count, predictFast);
    return { ...v, output, ratio: { threads: count, ratio: v.ours / v.theirs, interleaved: v.oursInterleaved / v.theirsInterleaved, theirs: v.theirs, ...(v.fast ? { fast: v.fast / v.theirs } : {}) } };
  } finally {
    await session.release();
  }
}

/** Thread counts measured: 1 and the default (the pool's size). */
const threadCounts = [...new Set([1, defaultThreads])];

/** The row of precision 'fast' (issue 27): its kernel and ratio to onnxruntime. */
const fastWay = (prefix) => `${prefix}precision 'fast' (${build.fastPrecision.kernel}, batch norm folded)`;

async function predictRows(cfg, weights, { ort, dir, withOrt = true }) {
  const fast = await loadNetwork(cfg, weights, { labels: [] });
  const folded = await loadNetwork(cfg, weights, { labels: [], precision: 'fast' });
  const stock = await loadNetwork(cfg, weights, { labels: [], engine: 'darknet' });
  const image = rawImage(fast.width, fast.height);
  const gflop = flopsOf(fast) / 1e9;
  const ops = leastRoundedOps((await fast.layerParameters()).layers);
  const rows = [];
  const ratios = [];
  const predict = () => fast.predict(image);
  const predictFast = () => folded.predict(image);
  const expected = await fast.predict(image);
  let model;
  if (ort && withOrt) {
    model = join(dir, 'model.onnx');
    writeFileSync(model, await exportOnnx(cfg, weights));
  }
  for (const count of threadCounts) {
    if (!model) {
      setThreads(count);
      rows.push({ way: `ours, fast engine (${build.kernel})`, threads: count, ms: await median(predict) });
      rows.push({ way: fastWay('ours, '), threads: count, ms: await median(predictFast) });
      setThreads(defaultThreads);
      continue;
    }
    const v = await versusOrt(ort, model, image, predict, count, predictFast);
    let diff = 0;
    for (let i = 0; i < v.output.length; ++i) diff = Math.max(diff, Math.abs(v.output[i] - expected[i]));
    const theirs = `onnxruntime-node ${ort.env.versions?.node ?? ''} (CPU EP, our ONNX export; max |diff| ${diff.toExponential(1)})`;
    rows.push({ way: `ours, fast engine (${build.kernel})`, threads: count, ms: v.ours });
    rows.push({ way: fastWay('ours, '), threads: count, ms: v.fast });
    rows.push({ way: theirs, threads: count, ms: v.theirs });
    rows.push({ way: `ours, interleaved call by call with onnxruntime`, threads: count, ms: v.oursInterleaved });
    rows.push({ way: `onnxruntime, interleaved call by call with ours`, threads: count, ms: v.theirsInterleaved });
    ratios.push(v.ratio);
  }
  setThreads(1);
  rows.push({ way: "ours, engine: 'darknet' (darknet's own code)", threads: 1, ms: await median(() => stock.predict(image), Math.min(iterations, 20), 2) });
  setThreads(defaultThreads);
  await fast.close();
  await folded.close();
  await stock.close();
  return { gflop, ops, rows, ratios };
}

/**
 * One core's peaks (bench/peak.c, built here with the system's cc), GFLOP/s
 * per instruction set: `fma` (fused multiply-adds) and `multiplyAdd` (a
 * rounded multiply, then a rounded add: darknet's arithmetic), with the best
 * of each; undefined without a compiler or on a CPU it has no loop for.
 */
function corePeaks(dir) {
  const binary = join(dir, 'peak');
  const compiled = spawnSync('cc', ['-O2', '-ffp-contract=off', '-o', binary, join(import.meta.dirname, 'peak.c')], { encoding: 'utf8' });
  if (compiled.status !== 0) return undefined;
  const run = spawnSync(binary, [], { encoding: 'utf8' });
  if (run.status !== 0) return undefined;
  const { fma, multiplyAdd } = JSON.parse(run.stdout);
  const best = (peaks) => (Object.keys(peaks).length ? Math.max(...Object.values(peaks)) : undefined);
  return { fma, multiplyAdd, fmaBest: best(fma), multiplyAddBest: best(multiplyAdd) };
}

/**
 * The least ratio to onnxruntime any engine with darknet's bits could reach
 * here: the network's least rounded operations (bench/bound.mjs) on `threads`
 * cores, each at this core's multiply-then-add peak, against onnxruntime's
 * median. Undefined without the peak.
 */
const leastRatio = (ops, theirsMs, threads) =>
  peaks?.multiplyAddBest ? leastMs(ops, peaks.multiplyAddBest, threads) / theirsMs : undefined;

const ratioLine = (ratios, ops) =>
  ratios
    .map((r) => {
      const least = leastRatio(ops, r.theirs, r.threads);
      return `${r.threads} thread${r.threads > 1 ? 's' : ''}: ${r.ratio.toFixed(2)} (interleaved ${r.interleaved.toFixed(2)}${least ? `; the least any engine with darknet's bits could reach here: ${least.toFixed(2)}` : ''})`;
    })
    .join('; ');

/** precision 'fast''s ratio to onnxruntime at each thread count (issue 27's goal: <= 0.65). */
const fastRatioLine = (ratios) =>
  `ratio precision 'fast' / onnxruntime: ${ratios.map((r) => `${r.threads} thread${r.threads > 1 ? 's' : ''}: ${r.fast?.toFixed(2)}`).join(', ')} (goal: <= 0.65 at each)`;

function shellOutMs(count) {
  const times = [];
  for (let i = 0; i < count; ++i) {
    const started = process.hrtime.bigint();
    const result = spawnSync(reference, ['classify', 'cfg/tiny.cfg', tinyWeights, 'data/dog.jpg'], { cwd: darknet, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`reference CLI failed: ${result.stderr}`);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

function rssPerNetwork() {
  const script = `
    import { loadNetwork } from ${JSON.stringify(distIndex)};
    const image = { data: new Uint8Array(224 * 224 * 3), width: 224, height: 224, channels: 3 };
    const warm = await loadNetwork(${JSON.stringify(tinyCfg)}, ${JSON.stringify(tinyWeights)}, { labels: [] });
    await warm.predict(image);
    globalThis.gc();
    const before = process.memoryUsage().rss;
    const networks = [];
    for (let i = 0; i < 8; ++i) {
      const network = await loadNetwork(${JSON.stringify(tinyCfg)}, ${JSON.stringify(tinyWeights)}, { labels: [] });
      await network.predict(image);
      networks.push(network);
    }
    globalThis.gc();
    console.log((process.memoryUsage().rss - before) / 8);`;
  const child = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(child.stderr);
  return Number(child.stdout.trim());
}

const bulkSamples = ['dog', 'eagle', 'giraffe', 'horses', 'kite', 'person', 'scream'].map((n) => join(darknet, 'data', `${n}.jpg`));

async function bulk(count, concurrency, precision = 'exact') {
  const files = Array.from({ length: count }, (_, i) => bulkSamples[i % bulkSamples.length]);
  const started = process.hrtime.bigint();
  for await (const result of classifyMany({ cfg: tinyCfg, weights: tinyWeights }, files, { concurrency, precision })) {
    if (result.error) throw result.error;
  }
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}

/** RSS per additional loaded network of cfg/weights (3 loaded, each after one predict), in a child. */
function rssPerLoaded(cfg, weights, count = 3) {
  const script = `
    import { loadNetwork } from ${JSON.stringify(distIndex)};
    const load = async () => {
      const network = await loadNetwork(${JSON.stringify(cfg)}, ${JSON.stringify(weights)}, { labels: [] });
      await network.predict({ data: new Uint8Array(network.width * network.height * 3), width: network.width, height: network.height, channels: 3 });
      return network;
    };
    await load();
    globalThis.gc();
    const before = process.memoryUsage().rss;
    const networks = [];
    for (let i = 0; i < ${count}; ++i) networks.push(await load());
    globalThis.gc();
    console.log((process.memoryUsage().rss - before) / ${count});`;
  const child = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(child.stderr);
  return Number(child.stdout.trim());
}

/** A detector's rows: predict (both engines, onnxruntime on our export), detect, boxes + NMS, shell-out, RSS. */
async function detectionRows(name, { ort, dir, runs, stockRuns, thresh }) {
  const cfg = join(darknet, 'cfg', `${name}.cfg`);
  const weights = await writeSyntheticWeights(cfg, join(dir, `${name}.weights`), 41);
  const fast = await loadNetwork(cfg, weights);
  const folded = await loadNetwork(cfg, weights, { precision: 'fast' });
  const stock = await loadNetwork(cfg, weights, { engine: 'darknet' });
  const image = rawImage(fast.width, fast.height);
  const gflop = flopsOf(fast) / 1e9;
  const ops = leastRoundedOps((await fast.layerParameters()).layers);
  const rows = [];
  const time = (fn, count = runs, warmup = 2) => median(fn, count, warmup);
  setThreads(defaultThreads);
  const ratios = [];
  const predict = () => fast.predict(image);
  const predictFast = () => folded.predict(image);
  const model = join(dir, `${name}.onnx`);
  if (ort) writeFileSync(model, await exportOnnx(cfg, weights));
  for (const count of [...threadCounts].reverse()) {
    if (!ort) {
      setThreads(count);
      rows.push({ way: `predict, fast engine (${build.kernel})`, threads: count, ms: await time(predict) });
      rows.push({ way: fastWay('predict, '), threads: count, ms: await time(predictFast) });
      setThreads(defaultThreads);
      continue;
    }
    const v = await versusOrt(ort, model, image, predict, count, predictFast);
    rows.push({ way: `predict, fast engine (${build.kernel})`, threads: count, ms: v.ours });
    rows.push({ way: fastWay('predict, '), threads: count, ms: v.fast });
    rows.push({ way: 'onnxruntime-node (CPU EP, our ONNX export: the heads)', threads: count, ms: v.theirs });
    ratios.push(v.ratio);
  }
  const predictMs = rows[0].ms;
  rows.push({ way: "predict, engine: 'darknet'", threads: 1, ms: await time(() => stock.predict(image), stockRuns, 1) });
  // predict(path) reads, decodes and letterboxes as detect does: the difference is get_network_boxes and do_nms_sort.
  const predictDogMs = await time(() => fast.predict(dog));
  rows.push({ way: 'predict(dog.jpg): read, decode, letterbox, predict', threads: defaultThreads, ms: predictDogMs });
  const detectDogMs = await time(() => fast.detect(dog, { thresh }));
  rows.push({ way: 'detect(dog.jpg) end to end: and get_network_boxes, do_nms_sort', threads: defaultThreads, ms: detectDogMs });
  rows.push({ way: 'detect(dog.jpg, { draw: true }): and the JPEG drawn', threads: defaultThreads, ms: await time(() => fast.detect(dog, { thresh, draw: true })) });
  const found = (await fast.detect(dog, { thresh })).length;
  await fast.close();
  await folded.close();
  await stock.close();
  // darknet's own CLI: cfg/coco.data, data/coco.names and data/labels/ in its working directory.
  const cwd = join(dir, `shell-${name}`);
  mkdirSync(cwd);
  symlinkSync(join(darknet, 'cfg'), join(cwd, 'cfg'));
  symlinkSync(join(darknet, 'data'), join(cwd, 'data'));
  const shell = [];
  for (let i = 0; i < stockRuns; ++i) {
    const started = process.hrtime.bigint();
    // stdout (a line per detection: 10^5 of them for yolov3 here) is not kept: it is past spawnSync's buffer.
    const result = spawnSync(reference, ['detector', 'test', 'cfg/coco.data', `cfg/${name}.cfg`, weights, 'data/dog.jpg', '-thresh', String(thresh)], { cwd, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
    if (result.status !== 0) throw new Error(`reference CLI failed: ${result.stderr}`);
    shell.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  shell.sort((a, b) => a - b);
  rows.push({ way: 'shelling out to the reference `detector test` (new process, dog.jpg)', threads: 1, ms: shell[shell.length >> 1] ?? Number.NaN });
  return { gflop, ops, rows, ratios, boxesMs: detectDogMs - predictDogMs, found, rss: rssPerLoaded(cfg, weights), weightsBytes: statSync(weights).size };
}

const dir = mkdtempSync(join(tmpdir(), 'darknet-bench-'));
// Measured first, on a quiet core: every ratio below is set beside the least
// one darknet's arithmetic allows at this peak.
const peaks = corePeaks(dir);
try {
  const ort = await onnxRuntime();
  console.log(`darknet-napi benchmark: ${cpus()[0]?.model ?? process.arch}, ${availableParallelism()} cores, node ${process.version}`);
  console.log(`fast engine kernel: ${build.kernel}; pool threads: ${defaultThreads}; ${iterations} timed runs after warm-up, medians`);
  if (process.env.OPENBLAS_CORETYPE) console.log(`(OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE} is set; neither engine uses OpenBLAS)`);
  if (!ort) console.log('onnxruntime-node is not installed (a dev dependency): its rows are left out');

  const perIsa = (values) => Object.entries(values).map(([isa, g]) => `${isa} ${g.toFixed(1)}`).join(', ');
  if (peaks?.fmaBest && peaks.multiplyAddBest) {
    console.log(`\none core's peaks (bench/peak.c), GFLOP/s: fused multiply-add ${perIsa(peaks.fma)}; darknet's arithmetic, a rounded multiply then a rounded add, ${perIsa(peaks.multiplyAdd)}`);
  } else console.log('\nno C compiler (cc), or no peak loop for this CPU: the peaks and least ratios are not measured');

  const tiny = await predictRows(tinyCfg, tinyWeights, { ort, dir });
  const shell = shellOutMs(quick ? 5 : 15);
  tiny.rows.push({ way: 'shelling out to the reference CLI (new process per image, dog.jpg)', threads: 1, ms: shell });
  const ours = tiny.rows[0].ms;
  console.log(`\nTiny Darknet predict (${tiny.gflop.toFixed(3)} GFLOP per 224x224 image), network-sized raw input`);
  console.log('| way | threads | ms/image | GFLOP/s | ours (1 thread) / this |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const row of tiny.rows) {
    console.log(`| ${row.way} | ${row.threads} | ${fmt(row.ms)} | ${(tiny.gflop / (row.ms / 1e3)).toFixed(1)} | ${(ours / row.ms).toFixed(2)} |`);
  }
  if (tiny.ratios.length) console.log(`ratio ours / onnxruntime, ${ratioLine(tiny.ratios, tiny.ops)} (goal: <= 1.0 at each)`);
  if (tiny.ratios.length) console.log(fastRatioLine(tiny.ratios));

  const oneThread = tiny.rows[0];
  const fmaPeak = peaks?.fmaBest;
  const exactPeak = peaks?.multiplyAddBest;
  if (exactPeak) {
    console.log(
      `darknet's bits need at least ${(tiny.ops / 1e9).toFixed(3)} G rounded multiplies and adds for tiny.cfg (bench/bound.mjs): ` +
        threadCounts.map((count) => `${fmt(leastMs(tiny.ops, exactPeak, count))} ms on ${count} core${count > 1 ? 's' : ''}`).join(', ') +
        ` at that peak`,
    );
    console.log(`fast engine at 1 thread: ${(tiny.gflop / (oneThread.ms / 1e3)).toFixed(1)} GFLOP/s = ${((100 * tiny.gflop) / (oneThread.ms / 1e3) / fmaPeak).toFixed(0)}% of the FMA peak, ${((100 * tiny.ops) / 1e9 / (oneThread.ms / 1e3) / exactPeak).toFixed(0)}% of darknet's arithmetic's, the whole predict`);
  }
  {
    // Network#profile: each layer timed inside each prediction, medians.
    const network = await loadNetwork(tinyCfg, tinyWeights, { labels: [] });
    const fastNetwork = await loadNetwork(tinyCfg, tinyWeights, { labels: [], precision: 'fast' });
    setThreads(1);
    const layers = await network.profile(rawImage(network.width, network.height), { runs: 2 * iterations });
    const fastLayers = await fastNetwork.profile(rawImage(network.width, network.height), { runs: 2 * iterations });
    setThreads(defaultThreads);
    const shapes = network.layers;
    const parameters = (await network.layerParameters()).layers;
    await network.close();
    await fastNetwork.close();
    const percent = (value, peak) => (value && peak ? ((100 * value) / peak).toFixed(0) : '');
    console.log(`\ntiny.cfg per layer, fast engine (${build.kernel}; precision 'fast': ${build.fastPrecision.kernel}), 1 thread (Network#profile, medians of ${2 * iterations} runs; effective GFLOP/s: darknet's flops over the time)`);
    console.log("| layer | type | output | ms | GFLOP/s | % of FMA peak | least ms, darknet's bits | % of darknet's arithmetic's peak | 'fast' ms | 'fast' algorithm | 'fast' GFLOP/s | 'fast' % of FMA peak |");
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const { index, type, ms, flops } of layers) {
      const fastLayer = fastLayers.find((l) => l.index === index);
      const fastGflops = fastLayer && flops ? flops / 1e9 / (fastLayer.ms / 1e3) : undefined;
      const fastCells = fastLayer ? `${fastLayer.ms.toFixed(3)} | ${fastLayer.algorithm ?? ''} | ${fastGflops ? fastGflops.toFixed(1) : ''} | ${percent(fastGflops, fmaPeak)}` : ' | | | ';
      const shape = shapes[index];
      const gflops = flops ? flops / 1e9 / (ms / 1e3) : undefined;
      const layerOps = parameters[index] ? leastRoundedOps([parameters[index]]) : 0;
      const least = layerOps && exactPeak ? leastMs(layerOps, exactPeak, 1) : undefined;
      const kernel = shape?.size ? ` ${shape.size}x${shape.size}` : '';
      const out = shape && type !== 'softmax' ? shape.output.join('x') : '';
      console.log(`| ${index} | ${type}${kernel} | ${out} | ${ms.toFixed(3)} | ${gflops ? gflops.toFixed(1) : ''} | ${percent(gflops, fmaPeak)} | ${least ? least.toFixed(3) : ''} | ${least ? ((100 * least) / ms).toFixed(0) : ''} | ${fastCells} |`);
    }
    const fastTotal = fastLayers.reduce((sum, { ms }) => sum + ms, 0);
    console.log(`precision 'fast': sum of the layers ${fastTotal.toFixed(2)} ms`);
    const total = layers.reduce((sum, { ms }) => sum + ms, 0);
    const conv = layers.filter((l) => l.flops).reduce((sum, { ms }) => sum + ms, 0);
    const convGflops = tiny.gflop / (conv / 1e3);
    console.log(`sum of the layers: ${total.toFixed(2)} ms; the convolutions ${conv.toFixed(2)} ms at ${convGflops.toFixed(1)} GFLOP/s${fmaPeak && exactPeak ? ` (${percent(convGflops, fmaPeak)}% of the FMA peak, ${percent(leastMs(tiny.ops, exactPeak, 1), conv)}% of darknet's arithmetic's)` : ''}`);
  }

  // classify end to end, against predict alone.
  const network = await loadNetwork(tinyCfg, tinyWeights);
  const image = rawImage(network.width, network.height);
  const predictMs = await median(() => network.predict(image));
  const classifyMs = await median(() => network.classify(dog));
  const bytes = readFileSync(dog);
  const classifyBytesMs = await median(() => network.classify(bytes));
  await network.close();
  console.log('\nclassify end to end (dog.jpg, 768x576: read, decode, letterbox, predict, top-5)');
  console.log('| call | ms | / predict alone |');
  console.log('| --- | --- | --- |');
  console.log(`| predict(raw 224x224) | ${fmt(predictMs)} | 1.00 |`);
  console.log(`| classify(path) | ${fmt(classifyMs)} | ${(classifyMs / predictMs).toFixed(2)} (goal: <= 1.3) |`);
  console.log(`| classify(Buffer) | ${fmt(classifyBytesMs)} | ${(classifyBytesMs / predictMs).toFixed(2)} (goal: <= 1.3) |`);

  // Bulk.
  const one = await bulk(bulkImages, 1);
  const two = await bulk(bulkImages, 2);
  const fastOne = await bulk(bulkImages, 1, 'fast');
  const fastTwo = await bulk(bulkImages, 2, 'fast');
  const shellPerSecond = 1000 / shell;
  const loadMsOf = async (precision) => {
    const started = process.hrtime.bigint();
    await (await loadNetwork(tinyCfg, tinyWeights, { precision })).close();
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  const loadMs = await loadMsOf('exact');
  const fastLoadMs = await loadMsOf('fast');
  console.log(`\nbulk: ${bulkImages} sample images through classifyMany (each run includes loading its networks: ${fmt(loadMs)} ms for one, ${fmt(fastLoadMs)} in precision 'fast')`);
  console.log('| way | images/s | / shell-out loop |');
  console.log('| --- | --- | --- |');
  console.log(`| shell-out loop (from the median above) | ${shellPerSecond.toFixed(1)} | 1.0 |`);
  console.log(`| classifyMany, 1 network | ${one.toFixed(1)} | ${(one / shellPerSecond).toFixed(1)} |`);
  console.log(`| classifyMany, 2 networks | ${two.toFixed(1)} | ${(two / shellPerSecond).toFixed(1)} |`);
  console.log(`| classifyMany, 1 network, precision 'fast' | ${fastOne.toFixed(1)} | ${(fastOne / shellPerSecond).toFixed(1)} |`);
  console.log(`| classifyMany, 2 networks, precision 'fast' | ${fastTwo.toFixed(1)} | ${(fastTwo / shellPerSecond).toFixed(1)} (goal: >= 25) |`);
  {
    // Where a bulk image's time goes, 1 thread, means over the bulk's images:
    // read + decode (darknet's stb_image) + letterbox, then predict, each precision.
    const timesOf = async (precision) => {
      const network = await loadNetwork(tinyCfg, tinyWeights, { labels: [], precision });
      setThreads(1);
      const raw = await median(() => network.predict(image), 10, 2);
      let whole = 0;
      for (const file of bulkSamples) whole += (await median(() => network.classify(file), 10, 2)) / bulkSamples.length;
      setThreads(defaultThreads);
      await network.close();
      return { raw, whole };
    };
    const exactTimes = await timesOf('exact');
    const fastTimes = await timesOf('fast');
    const decode = Math.max(0, exactTimes.whole - exactTimes.raw);
    const cores = availableParallelism();
    console.log(
      `where a bulk image's time goes (1 thread, mean of the samples): classify ${fmt(exactTimes.whole)} ms exact, ${fmt(fastTimes.whole)} fast; ` +
        `of which read, decode and letterbox ${fmt(decode)} ms, predict ${fmt(exactTimes.raw)} exact, ${fmt(fastTimes.raw)} fast. ` +
        `On ${cores} cores with nothing else, precision 'fast' gives at most ${(shell / (fastTimes.whole / cores)).toFixed(1)}x the shell-out loop; ` +
        `with predict free, ${(shell / (decode / cores)).toFixed(1)}x (the decode alone)`,
    );
  }
  if (peaks?.multiplyAddBest) {
    // The most darknet's bits allow: every core at the multiply-then-add peak
    // on tiny.cfg's least arithmetic and nothing else; then with each image's
    // read, decode (darknet's stb_image) and letterbox at their measured cost
    // (predict(path) - predict(raw network-sized image), 1 thread, mean of the bulk's images).
    const cores = availableParallelism();
    const arithmeticMs = leastMs(tiny.ops, peaks.multiplyAddBest, 1);
    const network = await loadNetwork(tinyCfg, tinyWeights, { labels: [] });
    setThreads(1);
    const raw = await median(() => network.predict(image), 10, 2);
    let decodeMs = 0;
    for (const file of bulkSamples) decodeMs += Math.max(0, (await median(() => network.predict(file), 10, 2)) - raw) / bulkSamples.length;
    setThreads(defaultThreads);
    await network.close();
    console.log(
      `the most darknet's bits allow on ${cores} cores: ${(shell / (arithmeticMs / cores)).toFixed(1)}x the shell-out loop with nothing but the arithmetic at its peak; ` +
        `${(shell / ((arithmeticMs + decodeMs) / cores)).toFixed(1)}x with each image's read, decode and letterbox as measured here (${fmt(decodeMs)} ms an image on 1 thread, mean of the bulk's images)`,
    );
  }

  const rss = rssPerNetwork();
  const weightsBytes = statSync(tinyWeights).size;
  console.log(`\nRSS per additional loaded Tiny Darknet network (8 loaded, each after one predict): ${(rss / 2 ** 20).toFixed(1)} MiB = ${(rss / weightsBytes).toFixed(2)}x the weights' ${(weightsBytes / 2 ** 20).toFixed(1)} MiB (goal: < 3x)`);

  console.log("\nother cfgs, synthetic weights: fast engine, darknet's own code, onnxruntime on our export (same process)");
  console.log("| cfg | GFLOP | threads | fast ms | precision 'fast' ms | onnxruntime ms | ours / onnxruntime (interleaved) | least ratio, darknet's bits | darknet ms (1 thread) |");
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const name of ['darknet', 'darknet19', 'resnet18']) {
    const cfg = join(darknet, 'cfg', `${name}.cfg`);
    const weights = await writeSyntheticWeights(cfg, join(dir, `${name}.weights`), 11);
    const { gflop, ops, rows, ratios } = await predictRows(cfg, weights, { ort, dir });
    const stock = rows[rows.length - 1];
    for (const count of threadCounts) {
      const [fast, folded, theirs] = rows.filter((r) => r.threads === count);
      const ratio = ratios.find((r) => r.threads === count);
      const least = ratio ? leastRatio(ops, theirs.ms, count) : undefined;
      console.log(`| ${name}.cfg | ${gflop.toFixed(2)} | ${count} | ${fmt(fast.ms)} | ${fmt(folded.ms)} | ${ratio ? fmt(theirs.ms) : ''} | ${ratio ? `${ratio.ratio.toFixed(2)} (${ratio.interleaved.toFixed(2)})` : ''} | ${least ? least.toFixed(2) : ''} | ${fmt(stock.ms)} |`);
    }
  }

  for (const [name, size] of quick ? [['yolov3-tiny', 416]] : [['yolov3-tiny', 416], ['yolov3', 608]]) {
    const big = name === 'yolov3';
    // yolov3's synthetic weights pass most of its 22,743 boxes at 0.5, more than
    // the NMS bound allows (as in the parity test): 0.9 there.
    const thresh = big ? 0.9 : 0.5;
    const d = await detectionRows(name, { ort, dir, runs: big ? 5 : quick ? 10 : 20, stockRuns: big ? 1 : 3, thresh });
    const [ours] = d.rows;
    console.log(`\n${name} at ${size}x${size} (${d.gflop.toFixed(2)} GFLOP), synthetic detecting weights; ${d.found} detections on dog.jpg at thresh ${thresh}`);
    console.log('| way | threads | ms/image | GFLOP/s | ours (predict, default threads) / this |');
    console.log('| --- | --- | --- | --- | --- |');
    for (const row of d.rows) {
      const gflops = row.way.startsWith('predict') || row.way.startsWith('onnx') ? (d.gflop / (row.ms / 1e3)).toFixed(1) : '';
      console.log(`| ${row.way} | ${row.threads} | ${fmt(row.ms)} | ${gflops} | ${ours ? (ours.ms / row.ms).toFixed(2) : ''} |`);
    }
    if (d.ratios.length) console.log(`ratio ours / onnxruntime, ${ratioLine(d.ratios, d.ops)} (goal: <= 1.0 at each)`);
    if (d.ratios.length) console.log(fastRatioLine(d.ratios));
    console.log(`box extraction and NMS (detect - predict, dog.jpg): ${fmt(d.boxesMs)} ms; RSS per additional loaded network: ${(d.rss / 2 ** 20).toFixed(1)} MiB = ${(d.rss / d.weightsBytes).toFixed(2)}x the weights' ${(d.weightsBytes / 2 ** 20).toFixed(1)} MiB`);
  }
  // video: a 720p clip through video() against the predict loop (bench/video.mjs)
  await videoRows({ quick });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
