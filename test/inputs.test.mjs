// The same image as a path, an encoded Buffer (in several formats) and raw
// pixels gives the same predictions.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { loadNetwork } from '../dist/index.js';
import { runCommand } from './support/child.mjs';
import { darknetDir, dogJpg, fixturesDir, sampleImages, tempDir, tinyCfg } from './support/paths.mjs';
import { cText, maxAbsDiff, referenceOutput, referenceRgbaDecode } from './support/reference.mjs';
import { tinyWeights } from './support/weights.mjs';
import { bmp, pattern, pgm, png, ppm, tga } from './images.mjs';

const dir = tempDir();
let network;
before(async () => {
  network = await loadNetwork(tinyCfg, tinyWeights);
});
after(async () => {
  await network.close();
  rmSync(dir, { recursive: true, force: true });
});

const W = 300;
const H = 200;
const rgb = pattern(W, H);

test('dog.jpg as a path, a Buffer and a Uint8Array gives identical outputs', async () => {
  const bytes = readFileSync(dogJpg);
  const fromPath = await network.predict(dogJpg);
  assert.deepEqual(await network.predict(bytes), fromPath);
  assert.deepEqual(await network.predict(new Uint8Array(bytes)), fromPath);
  assert.deepEqual(await network.classify(bytes), await network.classify(dogJpg));
});

test('one set of pixels as PPM, BMP, TGA, PNG (paths and buffers) and raw RGB gives identical outputs', async () => {
  const raw = await network.predict({ data: rgb, width: W, height: H, channels: 3 });
  const encodings = { ppm: ppm(W, H, rgb), bmp: bmp(W, H, rgb), tga: tga(W, H, rgb), png: png(W, H, rgb) };
  for (const [format, bytes] of Object.entries(encodings)) {
    assert.deepEqual(await network.predict(bytes), raw, `${format} buffer`);
    const file = join(dir, `pattern.${format}`);
    writeFileSync(file, bytes);
    assert.deepEqual(await network.predict(file), raw, `${format} file`);
  }
  // and it is darknet's own result for that file
  const file = join(dir, 'pattern.png');
  assert.ok(maxAbsDiff(raw, await referenceOutput(tinyCfg, tinyWeights, file)) <= 1e-6);
});

test('a progressive JPEG, whose first DC scan names an AC table it defines only later, decodes as darknet decodes it', async () => {
  // (test/fixtures/dog-progressive.jpg: libjpeg's cjpeg -progressive of dog.jpg
  // at a quarter size; the JPEG check refuses a scan that uses an undefined
  // table, and must not refuse this one, which does not use it)
  const file = join(fixturesDir, 'dog-progressive.jpg');
  const output = await network.predict(file);
  assert.deepEqual(await network.predict(readFileSync(file)), output);
  assert.ok(maxAbsDiff(output, await referenceOutput(tinyCfg, tinyWeights, file)) <= 1e-6);
  assert.equal((await network.classify(file))[0]?.label, (await network.classify(dogJpg))[0]?.label);
});

test('raw RGBA ignores alpha, raw grey equals a PGM and equal R=G=B', async () => {
  const rgba = new Uint8Array(W * H * 4);
  const grey = new Uint8Array(W * H);
  const greyRgb = new Uint8Array(W * H * 3);
  for (let i = 0; i < W * H; ++i) {
    rgba.set(rgb.subarray(i * 3, i * 3 + 3), i * 4);
    rgba[i * 4 + 3] = (i * 31) & 255;
    grey[i] = rgb[i * 3];
    greyRgb.fill(rgb[i * 3], i * 3, i * 3 + 3);
  }
  const fromRgb = await network.predict({ data: rgb, width: W, height: H, channels: 3 });
  assert.deepEqual(await network.predict({ data: rgba, width: W, height: H, channels: 4 }), fromRgb);
  const fromGrey = await network.predict({ data: grey, width: W, height: H, channels: 1 });
  assert.deepEqual(await network.predict(pgm(W, H, grey)), fromGrey);
  assert.deepEqual(await network.predict({ data: greyRgb, width: W, height: H, channels: 3 }), fromGrey);
  assert.notDeepEqual(fromGrey, fromRgb);
  // Uint8ClampedArray (canvas ImageData) is accepted too.
  assert.deepEqual(await network.predict({ data: new Uint8ClampedArray(rgb), width: W, height: H, channels: 3 }), fromRgb);
});

test('the caller may reuse its buffer as soon as the call is made', async () => {
  const data = new Uint8Array(rgb);
  const expected = await network.predict({ data: rgb, width: W, height: H, channels: 3 });
  const pending = network.predict({ data, width: W, height: H, channels: 3 });
  data.fill(0);
  assert.deepEqual(await pending, expected);
});

test('JPEGs are decoded to 4 channels (stb\'s SIMD colour conversion) with the RGB of stb\'s 3-channel decode', async () => {
  // every (Y, Cb, Cr) through both conversions, then each sample JPEG both ways
  const all = await runCommand(referenceRgbaDecode, []);
  assert.equal(all.code, 0, all.stdout + all.stderr);
  assert.match(all.stdout, /^same: every \(Y, Cb, Cr\)|^same: no SIMD/);
  const jpegs = sampleImages.map((name) => join(darknetDir, name));
  assert.ok(jpegs.length >= 7, jpegs.join(' '));
  const each = await runCommand(referenceRgbaDecode, jpegs);
  assert.equal(each.code, 0, each.stdout + each.stderr);
  assert.deepEqual(cText(each.stdout).trim().split('\n'), jpegs.map((path) => `same: ${path}`));
});
