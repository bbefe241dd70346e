// The CLI's other forms: classifier predict with a .data file, --top, --json,
// --help, --version, and running from any directory.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { build } from '../dist/index.js';
import { runOurCli } from './support/child.mjs';
import { darknetDir, dogJpg, tempDir, tinyCfg } from './support/paths.mjs';
import { runReferenceCli } from './support/reference.mjs';
import { tinyWeights } from './support/weights.mjs';

const dir = tempDir();
after(() => rmSync(dir, { recursive: true, force: true }));

test('classifier predict equals the reference, with the data file\'s top= and -t', async () => {
  for (const extra of [[], ['-t', '3']]) {
    const args = ['classifier', 'predict', 'cfg/imagenet1k.data', 'cfg/tiny.cfg', tinyWeights, 'data/eagle.jpg', ...extra];
    const [theirs, ours] = await Promise.all([runReferenceCli(args), runOurCli(args)]);
    assert.equal(ours.code, 0, ours.stderr);
    assert.equal(ours.stdout, theirs.stdout);
    assert.equal(ours.stdout.split('\n').length, (extra.length ? 3 : 5) + 1);
  }
  // a data file of our own: names= and top=
  const names = join(dir, 'names.list');
  writeFileSync(names, Array.from({ length: 1000 }, (_, i) => `class-${i}`).join('\n') + '\n');
  const data = join(dir, 'my.data');
  writeFileSync(data, `# comment\nnames = ${names}\ntop=2\n`);
  const ours = await runOurCli(['classifier', 'predict', data, tinyCfg, tinyWeights, dogJpg]);
  assert.equal(ours.code, 0, ours.stderr);
  assert.equal(ours.stdout, '14.51%: class-14\n 6.09%: class-59\n');
});

test('works from any directory: imagenet1k.data falls back to the package copy', async () => {
  const ours = await runOurCli(['classify', tinyCfg, tinyWeights, dogJpg], { cwd: dir });
  assert.equal(ours.code, 0, ours.stderr);
  assert.match(ours.stdout, /^14\.51%: malamute\n/);
});

test('--top and --json', async () => {
  const top = await runOurCli(['classify', 'cfg/tiny.cfg', tinyWeights, 'data/dog.jpg', '--top', '2']);
  assert.equal(top.stdout, '14.51%: malamute\n 6.09%: Newfoundland\n');
  const json = await runOurCli(['classify', 'cfg/tiny.cfg', tinyWeights, '--json'], { input: 'data/dog.jpg\ndata/eagle.jpg\n' });
  assert.equal(json.code, 0, json.stderr);
  const lines = json.stdout.trim().split('\n').map((line) => JSON.parse(line));
  assert.equal(lines.length, 2);
  assert.equal(lines[0].file, 'data/dog.jpg');
  assert.equal(lines[0].predictions.length, 5);
  assert.deepEqual(Object.keys(lines[0].predictions[0]).sort(), ['index', 'label', 'probability']);
  assert.equal(lines[0].predictions[0].label, 'malamute');
  assert.equal(lines[1].predictions[0].label, 'bald eagle');
  assert.ok(lines[0].seconds > 0);
});

test('--help and --version', async () => {
  const help = await runOurCli(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /darknet classify <cfg> <weights> \[image\]/);
  const version = await runOurCli(['--version']);
  assert.equal(version.code, 0);
  assert.ok(version.stdout.startsWith(`darknet-napi ${build.version}\n`));
  assert.match(version.stdout, /61c9d02ec461e30d55762ec7669d6a1d3c356fb2/);
  assert.match(version.stdout, /cuda off/);
  assert.ok(version.stdout.includes(`fast engine: kernel ${build.kernel} (this CPU runs ${build.kernels.join(', ')})`), version.stdout);
});

test('build reports how the loaded binary was built', () => {
  assert.match(build.version, /^\d+\.\d+\.\d+/);
  assert.equal(build.darknetCommit, '61c9d02ec461e30d55762ec7669d6a1d3c356fb2');
  assert.match(build.cFlags, /-Ofast/);
  assert.equal(build.cuda, false);
  assert.equal(typeof build.compiler, 'string');
});

test('the package exports its darknet copy', async () => {
  const { darknetRoot } = await import('../dist/index.js');
  assert.equal(darknetRoot, darknetDir);
});
