// limitInputPixels: a huge image is refused from its header alone, before
// darknet decodes a pixel (stock darknet spends seconds and gigabytes on it).
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { constants, createDeflate, crc32 } from 'node:zlib';

import { DarknetError, loadNetwork } from '../dist/index.js';
import { rss } from './support/memory.mjs';
import { dogJpg, tempDir, tinyCfg } from './support/paths.mjs';
import { tinyWeights } from './support/weights.mjs';
import { pattern, png } from './images.mjs';

const dir = tempDir();
after(() => rmSync(dir, { recursive: true, force: true }));

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])));
  return Buffer.concat([head, data, crc]);
}

/** A valid black greyscale PNG of size x size, deflated row by row (under 1 MB for 18000 x 18000). */
async function blackPng(size) {
  const deflate = createDeflate({ level: constants.Z_BEST_COMPRESSION });
  const parts = [];
  deflate.on('data', (d) => parts.push(d));
  const done = new Promise((r) => deflate.on('end', r));
  const row = Buffer.alloc(size + 1); // filter byte 0, then black pixels
  for (let y = 0; y < size; ++y) {
    if (!deflate.write(row)) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await done;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // 8-bit greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', Buffer.concat(parts)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

test('an 18000x18000 PNG under 1 MB is refused in milliseconds, with no memory spent', async () => {
  const bytes = await blackPng(18000);
  assert.ok(bytes.length < 1 << 20, `${bytes.length} bytes`);
  const file = join(dir, 'huge.png');
  writeFileSync(file, bytes);
  const network = await loadNetwork(tinyCfg, tinyWeights);
  await network.classify(dogJpg); // warm-up
  const before = rss();
  for (const input of [file, bytes]) {
    const started = performance.now();
    await assert.rejects(network.classify(input), (error) => {
      assert.ok(error instanceof DarknetError);
      assert.equal(error.code, 'ERR_IMAGE_TOO_LARGE');
      assert.match(error.message, /18000x18000 pixels exceeds limitInputPixels \(268402689\)/);
      return true;
    });
    const ms = performance.now() - started;
    assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
  }
  const grew = (rss() - before) / (1 << 20);
  assert.ok(grew < 64, `RSS grew by ${grew.toFixed(1)} MB`);
  assert.equal(network.limitInputPixels, 268402689);
  await network.close();
});

test('a limit of our own applies to files, buffers and raw pixels; false disables it', async () => {
  const small = await loadNetwork(tinyCfg, tinyWeights, { limitInputPixels: 1000 });
  const image = png(40, 40, pattern(40, 40));
  await assert.rejects(small.classify(image), (e) => e.code === 'ERR_IMAGE_TOO_LARGE' && /40x40/.test(e.message));
  await assert.rejects(small.predict(dogJpg), (e) => e.code === 'ERR_IMAGE_TOO_LARGE' && /768x576/.test(e.message));
  await assert.rejects(small.classify({ data: pattern(40, 40), width: 40, height: 40, channels: 3 }), (e) => e.code === 'ERR_IMAGE_TOO_LARGE');
  assert.equal((await small.classify(png(30, 30, pattern(30, 30)))).length, 5); // 900 pixels: allowed
  await small.close();
  const none = await loadNetwork(tinyCfg, tinyWeights, { limitInputPixels: false });
  assert.equal(none.limitInputPixels, false);
  assert.equal((await none.classify(image)).length, 5);
  await none.close();
  await assert.rejects(loadNetwork(tinyCfg, tinyWeights, { limitInputPixels: -5 }), (e) => e.code === 'ERR_INVALID_INPUT');
});
