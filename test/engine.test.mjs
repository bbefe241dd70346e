// The fast engine (binding/fast_engine.c): the same output bits as darknet's
// own code with every GEMM kernel this CPU runs and any thread count, a pool
// that goes quiet after a classify, and its options validated.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

import { build, DarknetError, loadNetwork, setThreads, threads } from '../dist/index.js';
import { darknetDir, dogJpg, root, sampleImages, tinyCfg, tinyWeights } from './helpers.mjs';

const index = join(root, 'dist', 'index.js');

/** Output vectors of tiny on every sample image, in a child process with `env`. */
function outputsInChild(env, engine = 'fast') {
  const images = sampleImages.map((image) => join(darknetDir, image));
  const source = `import { build, loadNetwork } from ${JSON.stringify(index)};
    const network = await loadNetwork(${JSON.stringify(tinyCfg)}, ${JSON.stringify(tinyWeights)}, { engine: ${JSON.stringify(engine)} });
    const outputs = [];
    for (const image of ${JSON.stringify(images)}) outputs.push(Array.from(await network.predict(image)));
    await network.close();
    console.log(JSON.stringify({ kernel: build.kernel, outputs }));`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', source], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 64 << 20,
  });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout.trim().split('\n').at(-1));
}

test('every GEMM kernel this CPU runs gives the bits of darknet\'s own code', () => {
  const stock = outputsInChild({}, 'darknet').outputs;
  const kernels = { avx512: ['avx512', 'avx2', 'sse2'], avx2: ['avx2', 'sse2'], sse2: ['sse2'] }[build.kernel] ?? [build.kernel];
  for (const kernel of kernels) {
    const run = outputsInChild({ DARKNET_NAPI_KERNEL: kernel });
    assert.equal(run.kernel, kernel, 'DARKNET_NAPI_KERNEL picks a kernel the CPU runs');
    assert.deepEqual(run.outputs, stock, `kernel ${kernel}`);
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
