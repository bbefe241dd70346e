// Random concurrent load/classify/close across 4 network slots with good and
// bad inputs, for DARKNET_NAPI_STRESS_SECONDS (default 60; `npm run stress --
// --seconds 600` for the long run): no crash, no deadlock, every good input
// gives the sequential reference result, RSS stays bounded.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { DarknetError, loadNetwork } from '../../dist/index.js';
import { runInChild } from '../support/child.mjs';
import { rss } from '../support/memory.mjs';
import { darknetDir, sampleImages, tinyCfg } from '../support/paths.mjs';
import { prng } from '../support/random.mjs';
import { tinyWeights } from '../support/weights.mjs';

const seconds = Number(process.env.DARKNET_NAPI_STRESS_SECONDS ?? 60);
const seed = Number(process.env.DARKNET_NAPI_STRESS_SEED ?? 12345);

/** The workload: runs in a child process (below); throws on any wrong result. */
async function workload() {
  const random = prng(seed);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const paths = sampleImages.map((image) => join(darknetDir, image));
  const good = [...paths, ...paths.map((path) => readFileSync(path))];
  const bad = [
    Buffer.from('not an image'),
    join(darknetDir, 'no-such-image.jpg'),
    { data: new Uint8Array(10), width: 3, height: 3, channels: 3 },
    join(darknetDir, 'cfg', 'tiny.cfg'),
  ];
  // The sequential reference.
  const reference = new Map();
  const first = await loadNetwork(tinyCfg, tinyWeights);
  for (const input of good) reference.set(input, await first.classify(input));
  await first.close();

  const slots = [undefined, undefined, undefined, undefined];
  const counts = { loads: 0, badLoads: 0, classifies: 0, errors: 0, closes: 0, closedRaces: 0 };
  const deadline = Date.now() + seconds * 1000;
  // glibc gives each thread-pool thread its own malloc arena, so RSS first
  // grows with fragmentation; a leak would keep it growing. Compare the peak
  // of the first half of the run with the peak of the second.
  const half = Date.now() + (seconds * 1000) / 2;
  let firstPeak = 0;
  let secondPeak = 0;

  async function step(own) {
    const r = random();
    const slot = r < 0.8 ? own : Math.floor(random() * 4); // sometimes another worker's network
    const network = slots[slot];
    if (!network) {
      if (random() < 0.1) {
        ++counts.badLoads;
        await assert.rejects(loadNetwork(join(darknetDir, 'data', 'dog.jpg'), tinyWeights), DarknetError);
        return;
      }
      slots[slot] = undefined;
      const loaded = await loadNetwork(tinyCfg, tinyWeights);
      ++counts.loads;
      if (slots[slot]) await loaded.close();
      else slots[slot] = loaded;
      return;
    }
    if (random() < 0.03) {
      slots[slot] = undefined;
      ++counts.closes;
      await network.close();
      return;
    }
    const useBad = random() < 0.2;
    const input = useBad ? pick(bad) : pick(good);
    try {
      const result = await network.classify(input);
      assert.ok(!useBad, 'a bad input was accepted');
      assert.deepEqual(result, reference.get(input));
      ++counts.classifies;
    } catch (error) {
      assert.ok(error instanceof DarknetError, String(error));
      if (error.code === 'ERR_NETWORK_CLOSED') ++counts.closedRaces;
      else {
        assert.ok(useBad, `a good input failed: ${error.message}`);
        ++counts.errors;
      }
    }
  }

  await Promise.all(
    [0, 1, 2, 3].map(async (own) => {
      while (Date.now() < deadline) {
        await step(own);
        if (Date.now() < half) firstPeak = Math.max(firstPeak, rss());
        else secondPeak = Math.max(secondPeak, rss());
      }
    }),
  );
  await Promise.all(slots.map((network) => network?.close()));
  return { counts, firstPeak, secondPeak };
}

if (process.env.DARKNET_NAPI_STRESS_CHILD === '1') {
  console.log(JSON.stringify(await workload()));
} else {
  test(`stress: ${seconds} s of random concurrent load/classify/close on 4 networks (seed ${seed})`, { timeout: (seconds + 180) * 1000 }, () => {
    // MALLOC_ARENA_MAX=1: glibc otherwise gives each thread-pool thread its own
    // arena, whose fragmentation grows RSS for a while whatever our code does;
    // with one arena, RSS measures our memory. (A server can set it too.)
    const { counts, firstPeak, secondPeak } = runInChild(new URL(import.meta.url), {
      env: { DARKNET_NAPI_STRESS_CHILD: '1', MALLOC_ARENA_MAX: '1' },
      timeout: (seconds + 150) * 1000,
    });
    const mb = (bytes) => (bytes / (1 << 20)).toFixed(1);
    console.log(`stress: ${JSON.stringify(counts)}, peak RSS ${mb(firstPeak)} MB in the first half, ${mb(secondPeak)} MB in the second`);
    assert.ok(counts.classifies > 0 && counts.errors > 0 && counts.loads > 1);
    assert.ok(secondPeak - firstPeak < 64 * (1 << 20), `RSS kept growing: ${mb(firstPeak)} MB -> ${mb(secondPeak)} MB`);
  });
}
