#!/usr/bin/env node
// The package's `npm install` step: use a prebuilt binary when one loads for
// this platform; otherwise (or when asked to) build darknet and the addon from
// source with cmake-js. node-gyp-build's own fallback would run node-gyp,
// which this project does not use.
import { spawnSync } from 'node:child_process';
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

if (process.platform === 'win32') {
  console.error('darknet-napi: Windows is not supported yet (darknet needs POSIX APIs). Use Linux, macOS or WSL.');
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
