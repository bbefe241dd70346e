// Repeated work does not grow the process: 1000 classifies on one network and
// 100 load/close cycles leave RSS within a fixed bound after warm-up.
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { join } from 'node:path';

import { loadNetwork, loadedNetworkCount } from '../dist/index.js';
import { runInChild } from './support/child.mjs';
import { writeSyntheticWeights } from './helpers.mjs';
import { MB, rss } from './support/memory.mjs';
import { darknetCfg, dogJpg, fixturesDir, tempDir, tinyCfg } from './support/paths.mjs';
import { tinyWeights } from './support/weights.mjs';

// The measuring children run with a glibc malloc whose RSS follows what is
// live. One arena: loads run on several thread-pool threads, and per-thread
// arenas would otherwise fill up over the cycles whatever our code frees (see
// test/stress.test.mjs). Fixed mmap and trim thresholds: by default glibc
// raises both after the first large free, and from then on keeps freed
// network buffers in its heap; how much it keeps depends on the order of
// frees across threads (one CI run went from 61 MB to 135 MB after warm-up,
// flat from cycle 50 to 100). With them fixed, a closed network's buffers go
// back to the system and only a leak stays.
const measurableMalloc = { MALLOC_ARENA_MAX: '1', MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_TRIM_THRESHOLD_: '262144' };

/** 1000 classifies on one network after 50 of warm-up; returns RSS before, at its peak and at the end. */
async function classifyCycles() {
  const network = await loadNetwork(tinyCfg, tinyWeights);
  const bytes = readFileSync(dogJpg);
  for (let i = 0; i < 50; ++i) await network.classify(i % 2 ? bytes : dogJpg); // warm-up
  const base = rss();
  let peak = base;
  for (let i = 0; i < 1000; ++i) {
    const [best] = await network.classify(i % 2 ? bytes : dogJpg);
    if (best.label !== 'malamute') throw new Error(`classify ${i} gave ${best.label}`);
    if (i % 50 === 0) peak = Math.max(peak, rss());
  }
  const end = rss();
  await network.close();
  return { base, peak: Math.max(peak, end), end };
}

/** 100 load/close cycles after 10 of warm-up; returns RSS before and at its peak. */
async function loadCloseCycles() {
  // Warm-up, with a classify each: the first ones on each thread allocate
  // what stays for the process (the fast engine's packing scratch, thread pools).
  for (let i = 0; i < 10; ++i) {
    const network = await loadNetwork(tinyCfg, tinyWeights);
    await network.classify(dogJpg, { top: 1 });
    await network.close();
  }
  global.gc?.();
  const base = rss();
  const halves = [base, base];
  for (let i = 0; i < 100; ++i) {
    const network = await loadNetwork(tinyCfg, tinyWeights);
    if (i % 10 === 0 && (await network.classify(dogJpg, { top: 1 }))[0].label !== 'malamute') throw new Error('wrong answer');
    await network.close();
    global.gc?.(); // RSS then measures darknet's memory, not garbage waiting for V8
    halves[i < 50 ? 0 : 1] = Math.max(halves[i < 50 ? 0 : 1], rss());
  }
  return { base, peak: Math.max(...halves), firstHalf: halves[0], secondHalf: halves[1], end: rss() };
}

/** 20 load/predict/close cycles of a cfg with an [rnn] layer, whose nested layers darknet's free_layer forgets. */
async function nestedLayerCycles() {
  const cfg = join(fixturesDir, 'rnn.cfg');
  const image = { data: new Uint8Array(16 * 16), width: 16, height: 16, channels: 1 };
  const cycle = async () => {
    const network = await loadNetwork(cfg, undefined, { labels: [] });
    const output = await network.predict(image);
    if (output.length !== 10 || !output.every(Number.isFinite)) throw new Error('bad output');
    await network.close();
    global.gc?.();
  };
  for (let i = 0; i < 3; ++i) await cycle();
  const base = rss();
  for (let i = 0; i < 20; ++i) await cycle();
  return { base, end: rss() };
}

/** 150 detect calls on yolov3-tiny with the boxes drawn, after 20 of warm-up; returns RSS before, at its peak and at the end. */
async function detectCycles() {
  const dir = tempDir('darknet-napi-memory-detect-');
  const cfg = darknetCfg('yolov3-tiny');
  const network = await loadNetwork(cfg, await writeSyntheticWeights(cfg, join(dir, 'yolov3-tiny.weights'), 41));
  const bytes = readFileSync(dogJpg);
  const once = async (i) => {
    const { detections, image } = await network.detect(i % 2 ? bytes : dogJpg, { thresh: 0.5, draw: i % 3 === 0 ? 'png' : 'jpeg' });
    if (detections.length === 0 || image.length === 0) throw new Error(`detect ${i} found nothing`);
  };
  for (let i = 0; i < 20; ++i) await once(i);
  global.gc?.();
  const base = rss();
  let peak = base;
  for (let i = 0; i < 150; ++i) {
    await once(i);
    if (i % 10 === 0) peak = Math.max(peak, rss());
  }
  const end = rss();
  await network.close();
  return { base, peak: Math.max(peak, end), end };
}

/** RSS growth of loading cfg/weights and one predict of a width x width
 * image, per engine (fast first); the sum of the layers' outputs; whether
 * both engines gave the same bits. */
async function growthPerEngine(cfg, weights, width) {
  const image = { data: new Uint8Array(width * width * 3).map((_, i) => (i * 31) % 256), width, height: width, channels: 3 };
  const result = {};
  const outputs = {};
  for (const engine of ['fast', 'darknet']) {
    global.gc?.();
    const base = rss();
    const network = await loadNetwork(cfg, weights, { engine, labels: [] });
    outputs[engine] = await network.predict(image);
    result[engine] = rss() - base;
    result.layerOutputs = network.layers.reduce((sum, l) => sum + l.outputs * 4, 0);
    await network.close();
  }
  result.same = Buffer.compare(Buffer.from(outputs.fast.buffer), Buffer.from(outputs.darknet.buffer)) === 0;
  return result;
}

/** growthPerEngine of a network of large activations and small weights
 * (384x384: 9 MB per 16-channel output, 18 layers, with a shortcut and
 * routes that keep outputs alive). */
async function outputResidency() {
  const dir = tempDir('darknet-napi-memory-outputs-');
  const conv = (filters) => `[convolutional]\nfilters=${filters}\nsize=3\nstride=1\npad=1\nactivation=leaky\n`;
  const cfg = join(dir, 'wide.cfg');
  writeFileSync(cfg, ['[net]\nwidth=384\nheight=384\nchannels=3\n', conv(16), conv(16), conv(16), '[shortcut]\nfrom=-3\nactivation=linear\n',
    conv(16), '[route]\nlayers=-1,-4\n', conv(16), conv(16), '[maxpool]\nsize=2\nstride=2\n', '[upsample]\nstride=2\n',
    '[route]\nlayers=-1,-3\n', ...Array.from({ length: 6 }, () => conv(16)), conv(4)].join('\n'));
  return growthPerEngine(cfg, await writeSyntheticWeights(cfg, join(dir, 'wide.weights'), 3), 384);
}

/** growthPerEngine of a network of heavy weights and light activations
 * (32x32, eight 3x3 convolutions of 16 to 512 channels: 40 MB of weights),
 * and the weights file's size. */
async function weightsResidency() {
  const dir = tempDir('darknet-napi-memory-weights-');
  const conv = (filters) => `[convolutional]\nfilters=${filters}\nsize=3\nstride=1\npad=1\nbatch_normalize=1\nactivation=leaky\n`;
  const cfg = join(dir, 'heavy.cfg');
  writeFileSync(cfg, ['[net]\nwidth=32\nheight=32\nchannels=3\n', conv(256), conv(512), conv(512), conv(512), conv(512), conv(256), conv(256), conv(16)].join('\n'));
  const weights = await writeSyntheticWeights(cfg, join(dir, 'heavy.weights'), 5);
  return { ...(await growthPerEngine(cfg, weights, 32)), weightsBytes: statSync(weights).size };
}

/** Runs one of the measurements above in a child with measurableMalloc; returns its result. */
function inChild(kind) {
  return runInChild(new URL(import.meta.url), { nodeArgs: ['--expose-gc'], env: { ...measurableMalloc, DARKNET_NAPI_MEMORY_CHILD: kind } });
}

if (process.env.DARKNET_NAPI_MEMORY_CHILD === 'classify') {
  console.log(JSON.stringify(await classifyCycles()));
} else if (process.env.DARKNET_NAPI_MEMORY_CHILD === '1') {
  console.log(JSON.stringify(await loadCloseCycles()));
} else if (process.env.DARKNET_NAPI_MEMORY_CHILD === 'detect') {
  console.log(JSON.stringify(await detectCycles()));
} else if (process.env.DARKNET_NAPI_MEMORY_CHILD === 'weights') {
  console.log(JSON.stringify(await weightsResidency()));
} else if (process.env.DARKNET_NAPI_MEMORY_CHILD === 'outputs') {
  console.log(JSON.stringify(await outputResidency()));
} else if (process.env.DARKNET_NAPI_MEMORY_CHILD === 'nested') {
  console.log(JSON.stringify(await nestedLayerCycles()));
} else {
  test('1000 classifies on one network keep RSS within 32 MB of the warmed-up level', () => {
    // In a child, as the load/close cycles: the images' buffers come and go
    // on several libuv threads (one CI run kept 34 MB of them in glibc's heaps).
    const { base, peak, end } = inChild('classify');
    const growth = (peak - base) / MB;
    console.log(`classify x1000: RSS ${(base / MB).toFixed(1)} MB -> ${(end / MB).toFixed(1)} MB (peak growth ${growth.toFixed(1)} MB)`);
    assert.ok(growth < 32, `RSS grew by ${growth.toFixed(1)} MB`);
  });

  test('150 detect calls with the boxes drawn keep RSS within 32 MB of the warmed-up level', () => {
    const { base, peak, end } = inChild('detect');
    const growth = (peak - base) / MB;
    console.log(`detect x150 (drawn): RSS ${(base / MB).toFixed(1)} MB -> ${(end / MB).toFixed(1)} MB (peak growth ${growth.toFixed(1)} MB)`);
    assert.ok(growth < 32, `RSS grew by ${growth.toFixed(1)} MB`);
  });

  test('the fast engine keeps a layer\'s output only while a later layer reads it (darknet: every output, every delta)', (t) => {
    const { fast, darknet, layerOutputs, same } = inChild('outputs');
    console.log(`load + predict, RSS growth: fast ${(fast / MB).toFixed(1)} MB, darknet ${(darknet / MB).toFixed(1)} MB; the layers' outputs ${(layerOutputs / MB).toFixed(1)} MB`);
    assert.ok(same, 'both engines give the same bits');
    if (process.env.DARKNET_NAPI_SANITIZED) {
      t.diagnostic('RSS not checked under the sanitizers (their allocator touches what it hands out)');
      return;
    }
    // the control: darknet's run makes every layer's output resident
    assert.ok(darknet > layerOutputs, `darknet's run grew RSS by ${(darknet / MB).toFixed(1)} MB only`);
    // ours: the arena (at most 4 outputs of 9 MB live at once here), the input, the output
    assert.ok(fast < 0.6 * layerOutputs, `the fast engine's run grew RSS by ${(fast / MB).toFixed(1)} MB`);
  });

  test('the fast engine keeps one copy of the weights (its packed panels): darknet\'s is given up', (t) => {
    const { fast, darknet, weightsBytes, same } = inChild('weights');
    console.log(`load + predict, RSS growth: fast ${(fast / MB).toFixed(1)} MB, darknet ${(darknet / MB).toFixed(1)} MB; the weights ${(weightsBytes / MB).toFixed(1)} MB`);
    assert.ok(same, 'both engines give the same bits');
    if (process.env.DARKNET_NAPI_SANITIZED) {
      t.diagnostic('RSS not checked under the sanitizers (their allocator touches what it hands out)');
      return;
    }
    assert.ok(darknet > 0.9 * weightsBytes, `darknet's run grew RSS by ${(darknet / MB).toFixed(1)} MB only`);
    // two copies would be twice the weights
    assert.ok(fast < 1.4 * weightsBytes, `the fast engine's run grew RSS by ${(fast / MB).toFixed(1)} MB`);
  });

  test('closing a network with rnn layers frees their nested layers (about 9 MB a load otherwise)', (t) => {
    const { base, end } = inChild('nested');
    const growth = (end - base) / MB;
    console.log(`rnn load/predict/close x20: RSS ${(base / MB).toFixed(1)} MB -> ${(end / MB).toFixed(1)} MB`);
    if (process.env.DARKNET_NAPI_SANITIZED) {
      // ASan's quarantine keeps freed memory resident; what it checks here is
      // that freeing the nested layers is no double free or use after free.
      t.diagnostic(`RSS grew ${growth.toFixed(1)} MB (not checked under the sanitizers)`);
    } else {
      assert.ok(growth < 40, `RSS grew by ${growth.toFixed(1)} MB over 20 cycles`);
    }
  });

  test('100 load/close cycles keep RSS within 48 MB of the warmed-up level', () => {
    const { base, peak, end, firstHalf, secondHalf } = inChild('1');
    const growth = (peak - base) / MB;
    const drift = (secondHalf - firstHalf) / MB;
    console.log(`load/close x100: RSS ${(base / MB).toFixed(1)} MB -> ${(end / MB).toFixed(1)} MB (peak growth ${growth.toFixed(1)} MB, second half vs first ${drift.toFixed(1)} MB)`);
    assert.ok(growth < 48, `RSS grew by ${growth.toFixed(1)} MB`);
    // A leak per cycle shows as a second half above the first.
    assert.ok(drift < 8, `RSS peak of cycles 51-100 is ${drift.toFixed(1)} MB above that of cycles 1-50`);
  });
}

if (!process.env.DARKNET_NAPI_MEMORY_CHILD) test('networks nobody closes are freed by the garbage collector', { skip: typeof global.gc !== 'function' && 'needs --expose-gc' }, async () => {
  const before = loadedNetworkCount();
  const open = await loadNetwork(tinyCfg, tinyWeights); // kept: must stay loaded
  for (let i = 0; i < 20; ++i) await loadNetwork(tinyCfg, tinyWeights); // dropped without close()
  assert.ok(loadedNetworkCount() >= before + 1);
  for (let k = 0; k < 10 && loadedNetworkCount() > before + 1; ++k) {
    global.gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(loadedNetworkCount(), before + 1, 'every dropped network was freed, the kept one was not');
  assert.equal((await open.classify(dogJpg, { top: 1 }))[0].label, 'malamute');
  await open.close();
  assert.equal(loadedNetworkCount(), before);
});
