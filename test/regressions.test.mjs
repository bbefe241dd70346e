// Every input the fuzzers (npm run fuzz) found crashing something, replayed
// through the addon in a child process: the child must end normally with a
// DarknetError that says what is wrong.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { root, tinyCfg, tinyWeights } from './helpers.mjs';

const corpus = join(root, 'test', 'fuzz-regressions');
const index = join(root, 'dist', 'index.js');

/** What each kind of input goes through (the same path as its fuzz target). */
const scripts = {
  cfg: (file) => `const network = await loadNetwork(${JSON.stringify(file)}); await network.close();`,
  weights: (file) => `const network = await loadNetwork('fuzz/weights_target.cfg', ${JSON.stringify(file)}); await network.close();`,
  image: (file) =>
    `const network = await loadNetwork(${JSON.stringify(tinyCfg)}, ${JSON.stringify(tinyWeights)});
     try { await network.classify(${JSON.stringify(file)}); } finally { await network.close(); }`,
};

for (const kind of Object.keys(scripts)) {
  for (const name of readdirSync(join(corpus, kind))) {
    test(`${kind}/${name}: a clear error, and the process ends normally`, () => {
      const file = join(corpus, kind, name);
      const source = `import { loadNetwork, DarknetError } from ${JSON.stringify(index)};
        try { ${scripts[kind](file)} console.log(JSON.stringify({ ok: true })); }
        catch (error) { console.log(JSON.stringify({ ok: false, darknet: error instanceof DarknetError, code: error.code, message: error.message })); }`;
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', source], { cwd: root, encoding: 'utf8', timeout: 60_000 });
      assert.equal(child.signal, null, `killed by ${child.signal}: ${child.stderr}`);
      assert.equal(child.status, 0, child.stderr);
      const result = JSON.parse(child.stdout.trim().split('\n').at(-1));
      assert.equal(result.ok, false, 'this input is invalid and must be refused');
      assert.equal(result.darknet, true);
      assert.match(result.code, /^ERR_/);
      assert.ok(result.message.includes(file) || kind === 'image', result.message);
    });
  }
}
