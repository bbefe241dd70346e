#!/usr/bin/env node
// Builds the addon and stores it the way prebuildify lays out N-API
// prebuilds, for node-gyp-build to find:
//   prebuilds/<platform>-<arch>/darknet-napi.napi[.glibc|.musl].node (stripped)
// prebuildify itself only drives node-gyp, which this project does not use.
//   node scripts/prebuild.mjs                   this machine's platform, with cmake-js
//   node scripts/prebuild.mjs --platform win32  win32-x64, cross-built with MinGW-w64
//     (cmake/x86_64-w64-mingw32.cmake, plain CMake in build-win/ as npm run
//     test:windows; Debian's mingw-w64 and g++-mingw-w64-x86-64)
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
const { values: options } = parseArgs({
  options: {
    platform: { type: 'string', default: process.platform },
    arch: { type: 'string', default: process.arch },
    'build-dir': { type: 'string' },
  },
});
const cross = options.platform !== process.platform || options.arch !== process.arch;
if (cross && !(options.platform === 'win32' && options.arch === 'x64')) {
  console.error(`prebuild: no cross build for ${options.platform}-${options.arch} (only --platform win32 --arch x64)`);
  process.exit(2);
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`prebuild: ${command} ${args.join(' ')} failed${result.error ? `: ${result.error.message}` : ''}`);
    process.exit(1);
  }
}

function libcTag() {
  if (cross || process.platform !== 'linux') return '';
  const header = process.report.getReport().header;
  return header.glibcVersionRuntime ? '.glibc' : '.musl';
}

run('bash', [join(root, 'scripts', 'fetch-darknet.sh')]);
let built;
let strip = process.platform === 'darwin' ? ['strip', '-x'] : ['strip', '--strip-unneeded'];
if (cross) {
  const build = resolve(root, options['build-dir'] ?? 'build-win');
  const parallel = process.env.CMAKE_BUILD_PARALLEL_LEVEL ?? String(Math.min(availableParallelism(), 8));
  run('cmake', ['-S', root, '-B', build, '-DCMAKE_BUILD_TYPE=Release', `-DCMAKE_TOOLCHAIN_FILE=${join(root, 'cmake', 'x86_64-w64-mingw32.cmake')}`]);
  run('cmake', ['--build', build, '--target', 'darknet_napi', '--parallel', parallel]);
  built = join(build, 'darknet_napi.node');
  strip = ['x86_64-w64-mingw32-strip', '--strip-unneeded'];
} else {
  const cmakeJs = join(dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
  run(process.execPath, [cmakeJs, 'compile']);
  built = join(root, 'build', 'Release', 'darknet_napi.node');
}

const target = join(root, 'prebuilds', `${options.platform}-${options.arch}`);
const file = join(target, `darknet-napi.napi${libcTag()}.node`);
mkdirSync(target, { recursive: true });
copyFileSync(built, file);
const stripped = spawnSync(strip[0], [...strip.slice(1), file], { stdio: 'inherit' });
if (stripped.error || stripped.status !== 0) console.error('prebuild: strip failed or is missing; the prebuild is not stripped');

if (options.platform === 'win32') {
  // A DLL beyond these would have to be shipped beside the .node (libgcc,
  // libstdc++, winpthread are linked statically: the toolchain file).
  const allowed = ['kernel32.dll', 'msvcrt.dll', 'node.exe'];
  const dump = spawnSync('x86_64-w64-mingw32-objdump', ['-p', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (dump.status !== 0) {
    console.error(`prebuild: x86_64-w64-mingw32-objdump -p failed${dump.error ? `: ${dump.error.message}` : ''}`);
    process.exit(1);
  }
  const imports = [...dump.stdout.matchAll(/DLL Name: (\S+)/g)].map((m) => m[1]);
  const extra = imports.filter((dll) => !allowed.includes(dll.toLowerCase()));
  if (extra.length > 0) {
    console.error(`prebuild: ${file} imports ${extra.join(', ')}; only ${allowed.join(', ')} are allowed`);
    process.exit(1);
  }
  console.log(`prebuild: imports ${imports.join(', ')}`);
}
console.log(`prebuild: ${file.slice(root.length + 1)} (${statSync(file).size} bytes)`);
