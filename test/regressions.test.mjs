// Every input the fuzzers (npm run fuzz) found crashing something, replayed
// through the addon in a child process: the child must end normally with a
// DarknetError that says what is wrong.
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
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
  // a scan using an AC table the file never defines: stb decodes with whatever
  // its allocation held (found only when that was garbage)
  'image/jpeg-scan-undefined-ac-table.jpg': /corrupt Huffman table/,
  'cfg/reorg-stride-squared-overflow.cfg': /stride=65536 is out of range/,
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

// darknet sizes a [local] layer's workspace in floats but allocates bytes; the
// addon allocates the real size after darknet's parse, and that allocation
// counts against limitNetworkBytes too (the fuzzer once made it 824 GB: the
// wrap its [local] sizes make is refused by the overflow check in the addon).
test('a [local] workspace that does not fit in limitNetworkBytes is ERR_NETWORK_TOO_LARGE, not an allocation', () => {
  const cfg = join(tempDir(), 'local-workspace.cfg');
  writeFileSync(cfg, '[net]\nwidth=64\nheight=64\nchannels=3\n[local]\nfilters=1\nsize=3\nstride=1\npad=1\nactivation=linear\n');
  // limits from 200 kB up by 4%: darknet's own allocations (about 2.3 times the
  // 442,368-byte workspace) fail first, then ours, then the network loads
  const source = `import { loadNetwork } from ${JSON.stringify(index)};
    const seen = [];
    for (let limit = 200_000; limit < 4_000_000; limit = Math.ceil(limit * 1.04)) {
      try { const network = await loadNetwork(${JSON.stringify(cfg)}, undefined, { limitNetworkBytes: limit, labels: [] }); await network.close(); seen.push({ limit, ok: true }); }
      catch (error) { seen.push({ limit, code: error.code, message: error.message }); }
    }
    console.log(JSON.stringify(seen));`;
  const seen = runInChild(source, { timeout: 60_000 });
  const workspace = seen.filter((s) => /442368-byte workspace, more than the \d+ bytes left of its memory limit/.test(s.message ?? ''));
  assert.ok(workspace.length > 0, JSON.stringify(seen.map((s) => s.message ?? 'ok')));
  assert.ok(workspace.every((s) => s.code === 'ERR_NETWORK_TOO_LARGE' && s.message.includes(cfg)));
  const firstOk = seen.findIndex((s) => s.ok);
  assert.ok(firstOk > seen.indexOf(workspace.at(-1)), 'larger limits load the network');
  assert.ok(seen.slice(firstOk).every((s) => s.ok));
  assert.ok(seen.slice(0, seen.indexOf(workspace[0])).every((s) => s.code === 'ERR_NETWORK_TOO_LARGE'), 'smaller limits: darknet\'s own allocations are refused');
});
