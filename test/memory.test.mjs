// Repeated work does not grow the process: 1000 classifies on one network and
// 100 load/close cycles leave RSS within a fixed bound after warm-up.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { loadNetwork, loadedNetworkCount } from '../dist/index.js';
import { dogJpg, rss, tinyCfg, tinyWeights } from './helpers.mjs';

const MB = 1024 * 1024;

test('1000 classifies on one network keep RSS within 32 MB of the warmed-up level', async () => {
  const network = await loadNetwork(tinyCfg, tinyWeights);
  const bytes = readFileSync(dogJpg);
  for (let i = 0; i < 50; ++i) await network.classify(i % 2 ? bytes : dogJpg); // warm-up
  const base = rss();
  let peak = base;
  for (let i = 0; i < 1000; ++i) {
    const [best] = await network.classify(i % 2 ? bytes : dogJpg);
    if (best.label !== 'malamute') assert.fail(`classify ${i} gave ${best.label}`);
    if (i % 50 === 0) peak = Math.max(peak, rss());
  }
  const growth = (Math.max(peak, rss()) - base) / MB;
  console.log(`classify x1000: RSS ${(base / MB).toFixed(1)} MB -> ${(rss() / MB).toFixed(1)} MB (peak growth ${growth.toFixed(1)} MB)`);
  assert.ok(growth < 32, `RSS grew by ${growth.toFixed(1)} MB`);
  await network.close();
});

test('100 load/close cycles keep RSS within 48 MB of the warmed-up level', async () => {
  for (let i = 0; i < 10; ++i) await (await loadNetwork(tinyCfg, tinyWeights)).close(); // warm-up
  const base = rss();
  let peak = base;
  for (let i = 0; i < 100; ++i) {
    const network = await loadNetwork(tinyCfg, tinyWeights);
    if (i % 10 === 0) assert.equal((await network.classify(dogJpg, { top: 1 }))[0].label, 'malamute');
    await network.close();
    peak = Math.max(peak, rss());
  }
  const growth = (peak - base) / MB;
  console.log(`load/close x100: RSS ${(base / MB).toFixed(1)} MB -> ${(rss() / MB).toFixed(1)} MB (peak growth ${growth.toFixed(1)} MB)`);
  assert.ok(growth < 48, `RSS grew by ${growth.toFixed(1)} MB`);
});

test('networks nobody closes are freed by the garbage collector', { skip: typeof global.gc !== 'function' && 'needs --expose-gc' }, async () => {
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
