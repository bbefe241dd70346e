#!/usr/bin/env node
// `npm run bench:precision [-- --iterations N --skip-reference]`: precision
// 'exact' against 'fast' (issue 27) and onnxruntime-node on our ONNX export,
// predict on a network-sized raw image (no decode, no letterbox), Tiny
// Darknet (real weights) and yolov3-tiny (synthetic weights, as the tests
// make them) at 1 and 2 threads: three alternating blocks per way (exact,
// fast, onnxruntime, a pause between), the median of the block medians, and
// the effective GFLOP/s (darknet's count of the network's flops over the
// time). Then the accuracy: the largest difference of each precision from a
// float64 forward pass of the same network (written here, from
// layerParameters()), relative to the output's largest value, and of fast
// from exact. The machines are shared: every figure is from this run.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

import { middle, medianTimer } from './timing.mjs';
import { build, exportOnnx, loadNetwork, setThreads, threads } from '../dist/index.js';
import { writeSyntheticWeights } from '../test/helpers.mjs';
import { darknetCfg, tinyCfg } from '../test/support/paths.mjs';
import { randomBytes } from '../test/support/random.mjs';
import { tinyWeights } from '../test/support/weights.mjs';

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}
const iterations = option('iterations', 30);
const withReference = !process.argv.includes('--skip-reference');
const defaultThreads = threads();
const threadCounts = [1, 2];

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const median = medianTimer(iterations);

function rawImage(width, height) {
  return { data: randomBytes(width * height * 3, 1), width, height, channels: 3 };
}

/** The input darknet makes of a network-sized raw image: planar RGB / 255. */
function nchw(image) {
  const { width, height, data: pixels } = image;
  const data = new Float32Array(3 * width * height);
  for (let c = 0; c < 3; ++c) for (let i = 0; i < width * height; ++i) data[c * width * height + i] = pixels[i * 3 + c] / 255;
  return data;
}

// ---- a float64 forward pass: the layers tiny.cfg and yolov3-tiny.cfg use ----

function activate(x, activation) {
  if (activation === 'leaky') return x > 0 ? x : 0.1 * x;
  if (activation === 'linear') return x;
  if (activation === 'logistic') return 1 / (1 + Math.exp(-x));
  if (activation === 'relu') return x > 0 ? x : 0;
  throw new Error(`float64 reference: no activation ${activation}`);
}

function convolution(l, input) {
  const [w, h, c] = l.input;
  const [ow, oh, n] = l.output;
  const { size, stride, pad } = l;
  const out = new Float64Array(ow * oh * n);
  const K = c * size * size;
  for (let f = 0; f < n; ++f) {
    const filter = l.weights.subarray(f * K, (f + 1) * K);
    let factor = 1;
    let shift = l.biases[f];
    if (l.batchNormalize) {
      // darknet's (x - mean) / (sqrt(variance) + .000001f) * scale + bias, in doubles
      factor = l.scales[f] / (Math.sqrt(l.rollingVariance[f]) + Math.fround(0.000001));
      shift = l.biases[f] - l.rollingMean[f] * factor;
    }
    for (let y = 0; y < oh; ++y) {
      for (let x = 0; x < ow; ++x) {
        let sum = 0;
        for (let ch = 0; ch < c; ++ch) {
          for (let ky = 0; ky < size; ++ky) {
            const iy = y * stride + ky - pad;
            if (iy < 0 || iy >= h) continue;
            const row = (ch * h + iy) * w;
            const k0 = (ch * size + ky) * size;
            for (let kx = 0; kx < size; ++kx) {
              const ix = x * stride + kx - pad;
              if (ix >= 0 && ix < w) sum += filter[k0 + kx] * input[row + ix];
            }
          }
        }
        out[(f * oh + y) * ow + x] = activate(sum * factor + shift, l.activation);
      }
    }
  }
  return out;
}

function maxpool(l, input) {
  const [w, h, c] = l.input;
  const [ow, oh] = l.output;
  const offset = -Math.trunc(l.pad / 2);
  const out = new Float64Array(ow * oh * c);
  for (let k = 0; k < c; ++k)
    for (let i = 0; i < oh; ++i)
      for (let j = 0; j < ow; ++j) {
        let max = -Infinity;
        for (let n = 0; n < l.size; ++n)
          for (let m = 0; m < l.size; ++m) {
            const y = offset + i * l.stride + n;
            const x = offset + j * l.stride + m;
            if (y >= 0 && y < h && x >= 0 && x < w) max = Math.max(max, input[(k * h + y) * w + x]);
          }
        out[(k * oh + i) * ow + j] = max;
      }
  return out;
}

function forward64(parameters, input) {
  const outputs = [];
  const heads = [];
  let x = Float64Array.from(input);
  for (const l of parameters.layers) {
    if (l.type === 'convolutional') x = convolution(l, x);
    else if (l.type === 'maxpool') x = maxpool(l, x);
    else if (l.type === 'avgpool') {
      const [w, h, c] = l.input;
      const out = new Float64Array(c);
      for (let k = 0; k < c; ++k) {
        let sum = 0;
        for (let i = 0; i < w * h; ++i) sum += x[k * w * h + i];
        out[k] = sum / (w * h);
      }
      x = out;
    } else if (l.type === 'softmax') {
      const max = Math.max(...x);
      const e = x.map((v) => Math.exp((v - max) / (l.temperature || 1)));
      const total = e.reduce((a, b) => a + b, 0);
      x = e.map((v) => v / total);
    } else if (l.type === 'route') {
      const parts = l.layers.map((i) => outputs[i]);
      x = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
      let at = 0;
      for (const p of parts) {
        x.set(p, at);
        at += p.length;
      }
    } else if (l.type === 'upsample') {
      const [w, h, c] = l.input;
      const s = l.stride;
      const out = new Float64Array(w * s * h * s * c);
      for (let k = 0; k < c; ++k)
        for (let y = 0; y < h * s; ++y)
          for (let xx = 0; xx < w * s; ++xx) out[(k * h * s + y) * w * s + xx] = (l.scale || 1) * x[(k * h + Math.floor(y / s)) * w + Math.floor(xx / s)];
      x = out;
    } else if (l.type === 'yolo') {
      const [w, h, c] = l.input;
      const entries = 4 + 1 + l.classes;
      const out = Float64Array.from(x);
      for (let a = 0; a < c / entries; ++a) {
        const base = a * entries * w * h;
        for (let i = 0; i < 2 * w * h; ++i) out[base + i] = activate(out[base + i], 'logistic');
        for (let i = 4 * w * h; i < entries * w * h; ++i) out[base + i] = activate(out[base + i], 'logistic');
      }
      x = out;
      heads.push(x);
    } else throw new Error(`float64 reference: no layer ${l.type}`);
    outputs.push(x);
  }
  return { output: x, heads };
}

/** The largest |a - b| and that over max |reference|. */
function difference(values, reference) {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < reference.length; ++i) {
    diff = Math.max(diff, Math.abs(values[i] - reference[i]));
    scale = Math.max(scale, Math.abs(reference[i]));
  }
  return { diff, relative: diff / scale };
}

const fmtDiff = ({ diff, relative }) => `${relative.toExponential(2)} (abs ${diff.toExponential(2)})`;

async function onnxRuntime() {
  try {
    return await import('onnxruntime-node');
  } catch {
    return undefined;
  }
}

async function measure(name, cfg, weights, ort, dir) {
  const exact = await loadNetwork(cfg, weights, { labels: [] });
  const fast = await loadNetwork(cfg, weights, { labels: [], precision: 'fast' });
  const image = rawImage(exact.width, exact.height);
  const gflop = exact.layers.reduce((sum, layer) => sum + (layer.flops ?? 0), 0) / 1e9;
  const detector = exact.task === 'detect';
  const outputsOf = async (network) =>
    detector ? (await network.detectWithHeads(image, { thresh: 0.5 })).heads.map((h) => h.output) : [await network.predict(image)];
  let model;
  if (ort) {
    model = join(dir, `${name}.onnx`);
    writeFileSync(model, await exportOnnx(cfg, weights));
  }
  console.log(`\n${name}: ${gflop.toFixed(3)} GFLOP per ${exact.width}x${exact.height} image, predict on a network-sized raw image`);
  console.log('| threads | exact ms | fast ms | onnxruntime ms | exact GFLOP/s | fast GFLOP/s | onnxruntime GFLOP/s | fast / exact | fast / onnxruntime |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const count of threadCounts) {
    setThreads(count);
    const session = ort ? await ort.InferenceSession.create(model, { intraOpNumThreads: count, interOpNumThreads: 1, executionProviders: ['cpu'] }) : undefined;
    const feeds = ort ? { input: new ort.Tensor('float32', nchw(image), [1, 3, image.height, image.width]) } : undefined;
    const blocks = { exact: [], fast: [], ort: [] };
    for (let block = 0; block < 3; ++block) {
      blocks.exact.push(await median(() => exact.predict(image)));
      await pause(200);
      blocks.fast.push(await median(() => fast.predict(image)));
      await pause(200);
      if (session) {
        blocks.ort.push(await median(() => session.run(feeds)));
        await pause(200);
      }
    }
    await session?.release();
    const ms = { exact: middle(blocks.exact), fast: middle(blocks.fast), ort: session ? middle(blocks.ort) : Number.NaN };
    const rate = (t) => (gflop / (t / 1e3)).toFixed(1);
    console.log(`| ${count} | ${ms.exact.toFixed(2)} | ${ms.fast.toFixed(2)} | ${ms.ort.toFixed(2)} | ${rate(ms.exact)} | ${rate(ms.fast)} | ${rate(ms.ort)} | ${(ms.fast / ms.exact).toFixed(2)} | ${(ms.fast / ms.ort).toFixed(2)} |`);
  }
  setThreads(defaultThreads);
  const exactOut = await outputsOf(exact);
  const fastOut = await outputsOf(fast);
  const worst = (pairs) => pairs.reduce((w, d) => (d.relative > w.relative ? d : w), { diff: 0, relative: 0 });
  console.log(`largest difference, relative to the output's largest value: fast from exact ${fmtDiff(worst(fastOut.map((o, i) => difference(o, exactOut[i]))))}`);
  if (withReference) {
    const reference = forward64(await exact.layerParameters(), nchw(image));
    const ref = detector ? reference.heads : [reference.output];
    console.log(
      `  from a float64 forward pass (bench/precision.mjs): exact ${fmtDiff(worst(exactOut.map((o, i) => difference(o, ref[i]))))}, ` +
        `fast ${fmtDiff(worst(fastOut.map((o, i) => difference(o, ref[i]))))}`,
    );
  }
  await exact.close();
  await fast.close();
}

const dir = mkdtempSync(join(tmpdir(), 'darknet-bench-precision-'));
const ort = await onnxRuntime();
console.log(`precision bench: ${cpus()[0]?.model ?? process.arch}, ${availableParallelism()} cores, node ${process.version}`);
console.log(`exact: kernel ${build.kernel}; fast: kernel ${build.fastPrecision.kernel} (${build.fastPrecision.uses.join('; ')}); ${iterations} timed runs a block after warm-up`);
if (!ort) console.log('onnxruntime-node is not installed (a dev dependency): its columns are NaN');
await measure('tiny.cfg (Tiny Darknet, real weights)', tinyCfg, tinyWeights, ort, dir);
const yolo = darknetCfg('yolov3-tiny');
await measure('yolov3-tiny.cfg (synthetic weights)', yolo, await writeSyntheticWeights(yolo, join(dir, 'yolov3-tiny.weights'), 41), ort, dir);
