#!/usr/bin/env node
// The package's `npm install` step: use a prebuilt binary when one loads for
// this platform; otherwise (or when asked to) build darknet and the addon from
// source with cmake-js. node-gyp-build's own fallback would run node-gyp,
// which this project does not use. Windows: the prebuild, or a build with
// MSYS2's MinGW-w64 only when asked (cmake-js there wants Visual Studio).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
const env = process.env;
const truthy = (value) => value !== undefined && value !== '' && value !== '0' && value !== 'false';

function fail(tried, reason) {
  const platform = `${process.platform}-${process.arch}, Node ${process.version} (N-API ${process.versions.napi})`;
  console.error(
    [
      `darknet-napi: could not install the native addon for ${platform}.`,
      `Tried: ${tried.join('; ')}`,
      `Reason: ${reason}`,
      'Possible fixes:',
      '- install cmake (>= 3.19), a C and C++ compiler and make or ninja, then `npm rebuild darknet-napi`;',
      '- darknet\'s sources come from `git submodule update --init darknet` or, failing that, Debian\'s',
      '  source package through apt (scripts/fetch-darknet.sh): see its messages above;',
      '- DARKNET_NAPI_BUILD_FROM_SOURCE=1 (or npm install --build-from-source) skips prebuilt binaries;',
      '- DARKNET_NAPI_BINARY=/path/to/darknet_napi.node uses a binary you built elsewhere.',
    ].join('\n'),
  );
  process.exit(1);
}

const tried = [];
const fromSource = truthy(env.npm_config_build_from_source) || truthy(env.DARKNET_NAPI_BUILD_FROM_SOURCE);
// Loads the binary node-gyp-build picks in a child process: a corrupt one can
// crash the loader (SIGBUS on a truncated file), which must not end the install.
function loadsCleanly() {
  let path;
  try {
    path = require('node-gyp-build').resolve(root);
  } catch (error) {
    return { ok: false, why: String(error.message).split('\n')[0] };
  }
  const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path)})`], { encoding: 'utf8' });
  if (probe.status === 0) return { ok: true, path };
  const reason = probe.signal ? `killed by ${probe.signal}` : (probe.stderr.split('\n').find((l) => l.includes('Error')) ?? `exit ${probe.status}`);
  return { ok: false, why: `${path} does not load: ${reason}` };
}

if (!fromSource) {
  const existing = loadsCleanly();
  if (existing.ok) {
    console.error(`darknet-napi: using the existing native binary ${existing.path}`);
    process.exit(0);
  }
  tried.push(`a prebuilt binary (${existing.why})`);
}

if (process.platform === 'win32') buildOnWindows();

function run(what, command, args) {
  tried.push(what);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  if (result.error) fail(tried, `${what}: ${result.error.message}`);
  if (result.status !== 0) fail(tried, `${what} exited with status ${result.status}`);
}

run('fetching darknet\'s sources', 'bash', [join(root, 'scripts', 'fetch-darknet.sh')]);
const cmakeJs = join(dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
const cmakeArgs = ['compile'];
if (truthy(env.DARKNET_NAPI_GPU)) cmakeArgs.push('--CDDARKNET_GPU=ON');
if (truthy(env.DARKNET_NAPI_CUDNN)) cmakeArgs.push('--CDDARKNET_CUDNN=ON');
run(`building from source (cmake-js ${cmakeArgs.join(' ')})`, process.execPath, [cmakeJs, ...cmakeArgs]);

const built = loadsCleanly();
if (!built.ok) fail(tried, `the binary just built does not load: ${built.why}`);

/** Where `name` (.exe, .cmd, ...) is on PATH, or undefined. */
function onPath(name) {
  const extensions = (env.PATHEXT || '.EXE;.CMD;.BAT').split(';');
  for (const dir of (env.PATH || env.Path || '').split(';').filter(Boolean)) {
    for (const extension of extensions) {
      if (existsSync(join(dir, name + extension.toLowerCase()))) return join(dir, name + extension.toLowerCase());
    }
  }
  return undefined;
}

function failOnWindows(reason) {
  const platform = `${process.platform}-${process.arch}, Node ${process.version} (N-API ${process.versions.napi})`;
  console.error(
    [
      `darknet-napi: could not install the native addon for ${platform}.`,
      `Tried: ${tried.join('; ')}`,
      `Reason: ${reason}`,
      'Build it from source on Windows with MSYS2\'s MinGW-w64 toolchain (not Visual Studio: the engine needs GCC):',
      '  1. in an MSYS2 shell: pacman -S --needed mingw-w64-x86_64-gcc mingw-w64-x86_64-cmake mingw-w64-x86_64-ninja',
      '     (or mingw-w64-x86_64-make instead of ninja);',
      '  2. put its bin folder first on PATH (e.g. C:\\msys64\\mingw64\\bin), then in your project:',
      '     npm rebuild darknet-napi --build-from-source',
      'Or: DARKNET_NAPI_BINARY=C:\\path\\to\\darknet_napi.node uses a binary you built elsewhere; WSL runs the Linux package.',
    ].join('\n'),
  );
  process.exit(1);
}

// Plain CMake with gcc/g++ from PATH: cmake/addon.cmake makes node.exe's
// import library, the toolchain file links libgcc/libstdc++/winpthread in.
function buildOnWindows() {
  if (!fromSource) failOnWindows(`no prebuilt binary for ${process.platform}-${process.arch} loads, and on Windows a build from source is only done when asked for`);
  const missing = ['cmake', 'gcc', 'g++'].filter((tool) => !onPath(tool));
  const generator = onPath('ninja') ? 'Ninja' : onPath('mingw32-make') ? 'MinGW Makefiles' : undefined;
  if (!generator) missing.push('ninja (or mingw32-make)');
  tried.push('building from source with MinGW-w64');
  if (missing.length > 0) failOnWindows(`not on PATH: ${missing.join(', ')}`);
  const step = (what, command, args) => {
    const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
    if (result.error || result.status !== 0) failOnWindows(`${what}: ${result.error ? result.error.message : `exit status ${result.status}`}`);
  };
  // The package holds darknet's sources; a git checkout may not (MSYS2 has bash).
  if (!existsSync(join(root, 'darknet', 'src', 'network.c'))) step('scripts/fetch-darknet.sh', 'bash', [join(root, 'scripts', 'fetch-darknet.sh')]);
  const slashes = (path) => path.replaceAll('\\', '/'); // CMake reads \ as an escape
  const build = slashes(join(root, 'build'));
  step('cmake (configure)', 'cmake', [
    '-S', slashes(root), '-B', build, '-G', generator, '-DCMAKE_BUILD_TYPE=Release',
    `-DCMAKE_TOOLCHAIN_FILE=${slashes(join(root, 'cmake', 'x86_64-w64-mingw32.cmake'))}`,
    // build/Release/darknet_napi.node: where node-gyp-build looks.
    `-DCMAKE_RUNTIME_OUTPUT_DIRECTORY=${build}/Release`,
  ]);
  step('cmake --build', 'cmake', ['--build', build, '--target', 'darknet_napi']);
  const built = loadsCleanly();
  if (!built.ok) failOnWindows(`the binary just built does not load: ${built.why}`);
  console.error(`darknet-napi: built ${built.path}`);
  process.exit(0);
}
