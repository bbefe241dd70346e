// lib/models/catalogue.ts and lib/models/cache.ts: the catalogue of pjreddie's classifiers and
// where their weights are kept. No addon, no download.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, test } from 'node:test';

import { cacheDir } from '../../dist/models/cache.js';
import { findModel, isDownloaded, modelCfg, modelLabels, modelNamed, MODELS, modelWeights } from '../../dist/models/catalogue.js';
import { darknetDir, tempDir } from '../support/paths.mjs';

const dir = tempDir('darknet-napi-models-');
const saved = { cache: process.env.DARKNET_NAPI_CACHE, xdg: process.env.XDG_CACHE_HOME };
const restore = (name, value) => (value === undefined ? delete process.env[name] : (process.env[name] = value));
afterEach(() => {
  restore('DARKNET_NAPI_CACHE', saved.cache);
  restore('XDG_CACHE_HOME', saved.xdg);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('cacheDir: DARKNET_NAPI_CACHE, else the platform cache folder', () => {
  process.env.DARKNET_NAPI_CACHE = join(dir, 'mine');
  assert.equal(cacheDir(), join(dir, 'mine'));
  delete process.env.DARKNET_NAPI_CACHE;
  if (process.platform === 'darwin') {
    assert.equal(cacheDir(), join(homedir(), 'Library', 'Caches', 'darknet-napi'));
  } else {
    process.env.XDG_CACHE_HOME = join(dir, 'xdg');
    assert.equal(cacheDir(), join(dir, 'xdg', 'darknet-napi'));
    delete process.env.XDG_CACHE_HOME;
    assert.equal(cacheDir(), join(homedir(), '.cache', 'darknet-napi'));
  }
});

test("every catalogue model has a cfg and labels in darknet's sources and a pjreddie URL of its own", () => {
  assert.ok(MODELS.length >= 16);
  assert.ok(Object.isFrozen(MODELS));
  assert.equal(new Set(MODELS.map((m) => m.name)).size, MODELS.length, 'unique names');
  assert.equal(new Set(MODELS.map((m) => m.url)).size, MODELS.length, 'unique URLs');
  for (const model of MODELS) {
    assert.ok(existsSync(modelCfg(model)), `${model.name}: ${modelCfg(model)}`);
    assert.ok(modelCfg(model).startsWith(join(darknetDir, 'cfg')));
    assert.ok(existsSync(modelLabels(model)), `${model.name}: ${modelLabels(model)}`);
    assert.match(model.url, /^https:\/\/pjreddie\.com\/media\/files\/[\w.-]+\.weights$/);
  }
  const tiny = findModel('tiny');
  assert.equal(tiny.size, 4185968);
  assert.match(tiny.sha256, /^[0-9a-f]{64}$/);
  assert.equal(findModel('no-such-model'), undefined);
});

test('weights live in the cache as <name>.weights; isDownloaded looks there', () => {
  process.env.DARKNET_NAPI_CACHE = join(dir, 'cache');
  const tiny = findModel('tiny');
  assert.equal(modelWeights(tiny), join(dir, 'cache', 'tiny.weights'));
  assert.equal(isDownloaded(tiny), false);
  mkdirSync(join(dir, 'cache'));
  writeFileSync(join(dir, 'cache', 'tiny.weights'), 'x');
  assert.equal(isDownloaded(tiny), true);
});

test('modelNamed: a catalogue name, unless a file of that name is there (a path wins)', () => {
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    assert.equal(modelNamed('darknet19')?.name, 'darknet19');
    assert.equal(modelNamed('cfg/tiny.cfg'), undefined);
    writeFileSync(join(dir, 'darknet19'), '[net]\n');
    assert.equal(modelNamed('darknet19'), undefined);
    mkdirSync(join(dir, 'resnet18'));
    assert.equal(modelNamed('resnet18')?.name, 'resnet18', 'a folder is not a cfg');
  } finally {
    process.chdir(cwd);
  }
});
