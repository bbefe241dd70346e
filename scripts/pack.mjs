#!/usr/bin/env node
// Packs the npm package: `node scripts/pack.mjs [--out DIR]` prints the
// tarball's path. npm's own file list honours nested .gitignore files, and
// darknet's ignores its cfg/ and data/ (and *.jpg), which the package needs
// (the CLI's cfg/imagenet1k.data, the default labels, sample images). So the
// package is staged in a temporary folder without that .gitignore, and packed
// there; package.json's "files" still decides what goes in.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const outIndex = process.argv.indexOf('--out');
const out = resolve(outIndex > 0 ? process.argv[outIndex + 1] : root);

if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first');
if (!existsSync(join(root, 'darknet', 'src', 'network.c'))) throw new Error('darknet/ is empty: run scripts/fetch-darknet.sh');

const stage = mkdtempSync(join(tmpdir(), 'darknet-napi-pack-'));
try {
  for (const entry of ['package.json', 'README.md', 'LICENSE', 'CMakeLists.txt', 'dist', 'prebuilds', 'binding', 'cmake', 'scripts']) {
    if (existsSync(join(root, entry))) cpSync(join(root, entry), join(stage, entry), { recursive: true });
  }
  for (const entry of readdirSync(join(root, 'darknet'))) {
    if (entry === '.gitignore' || entry === '.git') continue;
    cpSync(join(root, 'darknet', entry), join(stage, 'darknet', entry), { recursive: true });
  }
  const result = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', out], {
    cwd: stage,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`npm pack failed (status ${result.status})`);
  const [info] = JSON.parse(result.stdout);
  console.log(join(out, basename(info.filename)));
} finally {
  rmSync(stage, { recursive: true, force: true });
}
