// Bulk classification: a folder of 200 images (copies of darknet's samples and
// of their PNG/BMP/TGA re-encodings, other images, corrupt files) through the
// CLI and classifyMany.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { classifyMany, loadedNetworkCount, loadNetwork } from '../dist/index.js';
import { runOurCli } from './support/child.mjs';
import { darknetDir, sampleImages, tempDir, tinyCfg } from './support/paths.mjs';
import { corruptImages, derivedImages } from './support/corpus.mjs';
import { tinyWeights } from './support/weights.mjs';

const dir = tempDir();
const folder = join(dir, 'photos');
const corrupt = new Set();
/** file -> the sample or pattern file it is a copy of (whose sequential result is the reference) */
const sourceOf = new Map();

before(() => {
  mkdirSync(join(folder, 'more'), { recursive: true });
  let n = 0;
  const add = (sub, name, write, source) => {
    const file = join(folder, sub, `${String(n++).padStart(3, '0')}-${name}`);
    write(file);
    sourceOf.set(file, source ?? file);
  };
  // darknet's samples re-encoded (by darknet's own code), and patterns of ours
  const references = derivedImages(dir);
  while (n < 196) {
    const k = n % (sampleImages.length + references.length);
    const source = k < sampleImages.length ? join(darknetDir, sampleImages[k]) : references[k - sampleImages.length];
    const ext = source.slice(source.lastIndexOf('.'));
    add(n % 3 === 0 ? 'more' : '', `image${ext}`, (file) => copyFileSync(source, file), source);
  }
  for (const [name, bytes] of corruptImages) {
    add('', name, (file) => writeFileSync(file, bytes));
    corrupt.add([...sourceOf.keys()].at(-1));
  }
  assert.equal(sourceOf.size, 200);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** The sequential reference: one network, one image at a time. */
async function expectedResults() {
  const network = await loadNetwork(tinyCfg, tinyWeights);
  const cache = new Map();
  const results = new Map();
  for (const [file, source] of sourceOf) {
    if (corrupt.has(file)) continue;
    if (!cache.has(source)) cache.set(source, await network.classify(source));
    results.set(file, cache.get(source));
  }
  await network.close();
  return results;
}

function parseLines(stdout) {
  return new Map(
    stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .map((r) => [r.file, r]),
  );
}

test('the CLI classifies a folder recursively: one line per image, right labels, errors for corrupt files; --jobs 1 and 2 agree', async () => {
  const expected = await expectedResults();
  const outputs = {};
  for (const jobs of ['1', '2']) {
    const result = await runOurCli(['classify', tinyCfg, tinyWeights, folder, '--recursive', '--jobs', jobs]);
    assert.equal(result.code, 1, 'corrupt images make the exit status 1');
    assert.match(result.stderr, new RegExp(`200 images, 4 failed, .* with ${jobs} job`));
    const lines = parseLines(result.stdout);
    assert.equal(result.stdout.trim().split('\n').length, 200);
    assert.deepEqual([...lines.keys()].sort(), [...sourceOf.keys()].sort());
    for (const [file, line] of lines) {
      if (corrupt.has(file)) {
        assert.ok(line.error, file);
        assert.match(line.error.code, /^ERR_(INVALID_IMAGE|EMPTY_FILE)$/);
        assert.ok(line.error.message.includes(file));
      } else {
        assert.deepEqual(line.predictions, expected.get(file), file);
      }
    }
    outputs[jobs] = lines;
  }
  assert.deepEqual(outputs['1'], outputs['2']);
  // without --recursive, the subfolder is left out
  const flat = await runOurCli(['classify', tinyCfg, tinyWeights, folder, '--jobs', '2', '-q']);
  assert.equal(parseLines(flat.stdout).size, [...sourceOf.keys()].filter((f) => !f.includes('/more/')).length);
});

test('globs, --csv and --top', async () => {
  const result = await runOurCli(['classify', tinyCfg, tinyWeights, `${folder}/more/*.jpg`, '--csv', '--top', '2', '-q']);
  assert.equal(result.code, 0, result.stderr);
  const [header, ...rows] = result.stdout.trim().split('\n');
  assert.equal(header, 'file,label_1,probability_1,index_1,label_2,probability_2,index_2,error');
  const jpgsInMore = [...sourceOf.keys()].filter((f) => f.includes('/more/') && f.endsWith('.jpg'));
  assert.equal(rows.length, jpgsInMore.length);
  assert.ok(rows.every((row) => row.split(',').length === 8 && row.endsWith(',')));
});

test('classifyMany: completion order, each result with its input, the same answers with 1 and 3 networks', async () => {
  const expected = await expectedResults();
  const inputs = [...sourceOf.keys()];
  for (const concurrency of [1, 3]) {
    const before = loadedNetworkCount();
    const progress = [];
    const seen = new Map();
    for await (const result of classifyMany({ cfg: tinyCfg, weights: tinyWeights }, inputs, { concurrency, onProgress: (p) => progress.push(p) })) {
      seen.set(result.input, result);
    }
    assert.equal(seen.size, 200);
    for (const [file, result] of seen) {
      if (corrupt.has(file)) assert.ok(result.error);
      else assert.deepEqual(result.predictions, expected.get(file));
    }
    assert.deepEqual(progress.at(-1), { ...progress.at(-1), done: 200, failed: 4, total: 200 });
    assert.equal(loadedNetworkCount(), before, 'its networks are closed at the end');
  }
});

test('classifyMany with a loaded network, stopped early: its own network stays open, the copies are closed', async () => {
  const network = await loadNetwork(tinyCfg, tinyWeights);
  const before = loadedNetworkCount();
  let taken = 0;
  for await (const result of classifyMany(network, [...sourceOf.keys()], { concurrency: 2, top: 1 })) {
    assert.ok(result.input);
    if (++taken === 5) break;
  }
  assert.equal(loadedNetworkCount(), before);
  assert.equal(network.closed, false);
  assert.equal((await network.classify(join(darknetDir, 'data', 'dog.jpg'), { top: 1 }))[0].label, 'malamute');
  await network.close();
});
