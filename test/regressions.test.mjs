// Every input the fuzzers (npm run fuzz) found crashing something, replayed
// through the addon in a child process: the child must end normally with a
// DarknetError that says what is wrong.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { writeSyntheticWeights } from './helpers.mjs';
import { runInChild } from './support/child.mjs';
import { distIndex as index, fixturesDir, fuzzRegressionsDir as corpus, tempDir, tinyCfg } from './support/paths.mjs';
import { tinyWeights } from './support/weights.mjs';

/** What each kind of input goes through (the same path as its fuzz target). */
const scripts = {
  cfg: (file) => `const network = await loadNetwork(${JSON.stringify(file)}); await network.close();`,
  weights: (file) => `const network = await loadNetwork('fuzz/weights_target.cfg', ${JSON.stringify(file)}); await network.close();`,
  image: (file) =>
    `const network = await loadNetwork(${JSON.stringify(tinyCfg)}, ${JSON.stringify(tinyWeights)});
     try { await network.classify(${JSON.stringify(file)}); } finally { await network.close(); }`,
};

/** Inputs whose refusal must come from a check of ours (the error another
 * path would give hides that the unchecked path reads out of bounds). */
const expectedMessages = {
  'image/jpeg-dc-symbol-16.jpg': /corrupt Huffman table/,
  'image/jpeg-huffman-counts-past-end.jpg': /corrupt Huffman table/,
};

for (const kind of Object.keys(scripts)) {
  for (const name of readdirSync(join(corpus, kind))) {
    test(`${kind}/${name}: a clear error, and the process ends normally`, () => {
      const file = join(corpus, kind, name);
      const source = `import { loadNetwork, DarknetError } from ${JSON.stringify(index)};
        try { ${scripts[kind](file)} console.log(JSON.stringify({ ok: true })); }
        catch (error) { console.log(JSON.stringify({ ok: false, darknet: error instanceof DarknetError, code: error.code, message: error.message })); }`;
      const result = runInChild(source, { timeout: 60_000 });
      assert.equal(result.ok, false, 'this input is invalid and must be refused');
      assert.equal(result.darknet, true);
      assert.match(result.code, /^ERR_/);
      assert.ok(result.message.includes(file) || kind === 'image', result.message);
      const expected = expectedMessages[`${kind}/${name}`];
      if (expected) assert.match(result.message, expected);
    });
  }
}

test('a standalone [batchnorm] layer predicts (darknet never allocates the buffer its forward writes)', async () => {
  const cfg = join(fixturesDir, 'batchnorm.cfg');
  const weights = await writeSyntheticWeights(cfg, join(tempDir(), 'batchnorm.weights'), 5);
  const source = `import { loadNetwork } from ${JSON.stringify(index)};
    const outputs = [];
    for (const engine of ['darknet', 'fast']) {
      const network = await loadNetwork(${JSON.stringify(cfg)}, ${JSON.stringify(weights)}, { engine, labels: [] });
      const pixels = new Uint8Array(32 * 32 * 3).map((_, i) => (i * 37) % 256);
      outputs.push(Array.from(await network.predict({ data: pixels, width: 32, height: 32, channels: 3 })));
      await network.close();
    }
    console.log(JSON.stringify(outputs));`;
  const [darknet, fast] = runInChild(source, { timeout: 60_000 });
  assert.equal(darknet.length, 10);
  assert.ok(darknet.every(Number.isFinite));
  assert.ok(Math.abs(darknet.reduce((a, b) => a + b, 0) - 1) < 1e-5, 'softmax output sums to 1');
  assert.deepEqual(fast, darknet);
});
