#!/usr/bin/env node
// Bulk throughput: `darknet classify tiny <folder>` with --jobs 1 and --jobs 2
// against a shell loop that starts the reference darknet CLI once per image,
// on the same N images (copies of darknet's samples), in one run.
//   node bench/bulk.mjs [--images 200] [--fast]   (--fast: ours with --precision fast)
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { darknetDir as darknet, ourCli, tempDir } from '../test/support/paths.mjs';
import { referenceCli as reference } from '../test/support/reference.mjs';
import { tinyWeights as weights } from '../test/support/weights.mjs';
const at = process.argv.indexOf('--images');
const count = at > 0 ? Number(process.argv[at + 1]) : 200;

const dir = tempDir('darknet-bulk-');
const folder = join(dir, 'images');
mkdirSync(folder);
const samples = readdirSync(join(darknet, 'data')).filter((f) => f.endsWith('.jpg'));
const files = [];
for (let i = 0; i < count; ++i) {
  const file = join(folder, `${String(i).padStart(4, '0')}-${samples[i % samples.length]}`);
  copyFileSync(join(darknet, 'data', samples[i % samples.length]), file);
  files.push(file);
}

function time(label, command, args, options = {}) {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd: darknet, encoding: 'utf8', maxBuffer: 256 << 20, ...options });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`${label} failed: ${result.stderr}`);
  return { label, seconds, perSecond: count / seconds };
}

const env = { ...process.env, DARKNET_NAPI_CACHE: join(dir, 'cache'), DARKNET_NAPI_MIRROR: dirname(weights) };
spawnSync(process.execPath, [ourCli, 'download', 'tiny', '--quiet'], { env });
const loop = `for f in "${folder}"/*; do "${reference}" classify cfg/tiny.cfg "${weights}" "$f" >/dev/null 2>&1; done`;
const fast = process.argv.includes('--fast') ? ['--precision', 'fast'] : [];
const rows = [
  time('shell loop, reference darknet CLI per image', 'bash', ['-c', loop]),
  time('darknet classify tiny <folder> --jobs 1', process.execPath, [ourCli, 'classify', 'tiny', folder, '--jobs', '1', '-q', ...fast], { env }),
  time('darknet classify tiny <folder> --jobs 2', process.execPath, [ourCli, 'classify', 'tiny', folder, '--jobs', '2', '-q', ...fast], { env }),
];
rmSync(dir, { recursive: true, force: true });
const baseline = rows[0].perSecond;
console.log(`bulk classification of ${count} images (Tiny Darknet, darknet/data samples), ${process.arch}, ${(await import('node:os')).availableParallelism()} cores`);
console.log('| way | seconds | images/s | vs shell loop |');
console.log('| --- | --- | --- | --- |');
for (const row of rows) {
  console.log(`| ${row.label} | ${row.seconds.toFixed(1)} | ${row.perSecond.toFixed(1)} | ${(row.perSecond / baseline).toFixed(1)}x |`);
}
