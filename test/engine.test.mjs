// The fast engine (binding/fast_engine.c): the same output bits as darknet's
// own code with every GEMM kernel this CPU runs and any thread count, a pool
// that goes quiet after a classify, and its options validated.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';

import { build, DarknetError, loadNetwork, setThreads, threads } from '../dist/index.js';
import { runInChild } from './support/child.mjs';
import { darknetDir, distIndex, dogJpg, sampleImages, tinyCfg } from './support/paths.mjs';
import { randomBytes } from './support/random.mjs';
import { tinyWeights } from './support/weights.mjs';

/** Output vectors of tiny on every sample image, in a child process with `env`. */
function outputsInChild(env, engine = 'fast') {
  const images = sampleImages.map((image) => join(darknetDir, image));
  const source = `import { build, loadNetwork } from ${JSON.stringify(distIndex)};
    const network = await loadNetwork(${JSON.stringify(tinyCfg)}, ${JSON.stringify(tinyWeights)}, { engine: ${JSON.stringify(engine)} });
    const outputs = [];
    for (const image of ${JSON.stringify(images)}) outputs.push(Array.from(await network.predict(image)));
    await network.close();
    console.log(JSON.stringify({ kernel: build.kernel, fusedBatchNorm: build.fusedBatchNorm, outputs }));`;
  return runInChild(source, { env });
}

test('every GEMM kernel this CPU runs gives the bits of darknet\'s own code', () => {
  const stock = outputsInChild({}, 'darknet').outputs;
  const kernels = { avx512: ['avx512', 'avx2', 'sse2'], avx2: ['avx2', 'sse2'], sse2: ['sse2'] }[build.kernel] ?? [build.kernel];
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

test('raw pixels, at the network\'s size and around it, with 1, 3 and 4 channels: both engines give the same bits', async () => {
  // At the network's size the fast engine skips darknet's letterbox (an
  // identity there); a pixel more or less goes through it.
  const fast = await loadNetwork(tinyCfg, tinyWeights, { labels: [] });
  const stock = await loadNetwork(tinyCfg, tinyWeights, { labels: [], engine: 'darknet' });
  try {
    for (const [width, height] of [[224, 224], [225, 224], [224, 223], [2, 2]]) {
      for (const channels of [1, 3, 4]) {
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
