#!/usr/bin/env node
// Builds the addon with cmake-js and stores it the way prebuildify lays out
// N-API prebuilds, for node-gyp-build to find:
//   prebuilds/<platform>-<arch>/darknet-napi.napi[.glibc|.musl].node (stripped)
// prebuildify itself only drives node-gyp, which this project does not use.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`prebuild: ${command} ${args.join(' ')} failed`);
    process.exit(1);
  }
}

function libcTag() {
  if (process.platform !== 'linux') return '';
  const header = process.report.getReport().header;
  return header.glibcVersionRuntime ? '.glibc' : '.musl';
}

run('bash', [join(root, 'scripts', 'fetch-darknet.sh')]);
const cmakeJs = join(dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
run(process.execPath, [cmakeJs, 'compile']);

const target = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const file = join(target, `darknet-napi.napi${libcTag()}.node`);
mkdirSync(target, { recursive: true });
copyFileSync(join(root, 'build', 'Release', 'darknet_napi.node'), file);
const strip = spawnSync('strip', process.platform === 'darwin' ? ['-x', file] : ['--strip-unneeded', file], { stdio: 'inherit' });
if (strip.error || strip.status !== 0) console.error('prebuild: strip failed or is missing; the prebuild is not stripped');
console.log(`prebuild: ${file.slice(root.length + 1)} (${statSync(file).size} bytes)`);
