// The published package: what `npm run package` packs, and what `npm install`
// of that tarball does in an empty project, with and without a prebuilt
// binary and a compiler. Slow (one source build): run by `npm run test:package`.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, realpathSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';

import { darknetDir, dogJpg, root, tempDir } from '../support/paths.mjs';
import { tinyWeights } from '../support/weights.mjs';

const dir = tempDir('darknet-napi-package-');
after(() => rmSync(dir, { recursive: true, force: true }));

const platformDir = `${process.platform}-${process.arch}`;
const prebuildName = `darknet-napi.napi${process.platform === 'linux' ? (process.report.getReport().header.glibcVersionRuntime ? '.glibc' : '.musl') : ''}.node`;
const npmCli = process.env.npm_execpath?.endsWith('.js')
  ? process.env.npm_execpath
  : realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());

/** A PATH with node and sh only: no cmake, cc, c++, gcc, make or ninja. */
const noCompilerPath = join(dir, 'bin-without-compilers');
mkdirSync(noCompilerPath);
symlinkSync(process.execPath, join(noCompilerPath, 'node'));
symlinkSync('/bin/sh', join(noCompilerPath, 'sh'));

let tarball;
before(() => {
  execFileSync(process.execPath, [join(root, 'scripts', 'prebuild.mjs')], { cwd: root, stdio: 'ignore' });
  tarball = execFileSync(process.execPath, [join(root, 'scripts', 'pack.mjs'), '--out', dir], { encoding: 'utf8' }).trim();
});

function tarFiles(file) {
  return execFileSync('tar', ['-tzf', file], { encoding: 'utf8', maxBuffer: 16 << 20 })
    .trim()
    .split('\n')
    .map((path) => path.replace(/^package\//, ''))
    .filter((path) => !path.endsWith('/'))
    .sort();
}

/** Unpacks the tarball, lets `change` edit it, packs it again. */
function variant(name, change) {
  const work = join(dir, `unpacked-${name}`);
  mkdirSync(work);
  execFileSync('tar', ['-xzf', tarball, '-C', work]);
  change(join(work, 'package'));
  const file = join(dir, `${name}.tgz`);
  execFileSync('tar', ['-czf', file, '-C', work, 'package']);
  return file;
}

/** `npm install <tarball>` into a new empty project; returns its folder and npm's result. */
function installInto(name, file, { path = process.env.PATH, env = {} } = {}) {
  const project = join(dir, name);
  mkdirSync(project);
  // npm 11 runs a dependency's install script only when the project allows it.
  const allowScripts = { [`file:${file}`]: true, 'darknet-napi': true };
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: `probe-${name}`, version: '1.0.0', private: true, type: 'module', allowScripts }),
  );
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [npmCli, 'install', '--no-audit', '--no-fund', '--prefer-offline', '--foreground-scripts', file], {
    cwd: project,
    encoding: 'utf8',
    env: { ...process.env, ...env, PATH: path, DARKNET_NAPI_BUILD_FROM_SOURCE: '', npm_config_build_from_source: '' },
    timeout: 15 * 60 * 1000,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`npm install (${name}): ${seconds.toFixed(1)} s, status ${result.status}`);
  return { project, result, seconds };
}

/** Classifies dog.jpg with the installed package, from the project's folder. */
function classifyWith(project, env = {}) {
  const script = `
    import { loadNetwork } from 'darknet-napi';
    const network = await loadNetwork('node_modules/darknet-napi/darknet/cfg/tiny.cfg', ${JSON.stringify(tinyWeights)});
    const [best] = await network.classify(${JSON.stringify(dogJpg)}, { top: 1 });
    console.log(best.label, best.probability.toFixed(6));`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: project, encoding: 'utf8', env: { ...process.env, ...env } });
}

test('the package holds exactly the expected files', () => {
  const files = tarFiles(tarball);
  // lib/ and its subfolders (lib/queue/): each .ts compiles to a .js and a .d.ts.
  const lib = readdirSync(join(root, 'lib'), { recursive: true }).filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, ''));
  const dataFiles = readdirSync(join(darknetDir, 'data')).filter((f) => /\.(jpg|list|names|labels|tree|map)$/.test(f));
  const expected = [
    'package.json',
    'README.md',
    'LICENSE',
    'CMakeLists.txt',
    ...readdirSync(join(root, 'cmake')).map((f) => `cmake/${f}`),
    ...readdirSync(join(root, 'binding'), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => relative(root, join(entry.parentPath, entry.name))),
    ...['install.mjs', 'fetch-darknet.sh', 'prebuild.mjs', 'pack.mjs'].map((f) => `scripts/${f}`),
    ...lib.flatMap((name) => [`dist/${name}.js`, `dist/${name}.d.ts`]),
    // this platform's, and any other prebuild in prebuildify's layout that was
    // in prebuilds/ when it was packed (win32-x64 from build:prebuild
    // --platform win32, which test:windows may write beside this test)
    ...new Set([
      `prebuilds/${platformDir}/${prebuildName}`,
      ...files.filter((f) => /^prebuilds\/(linux|darwin|win32)-(x64|arm64)\/darknet-napi\.napi(\.glibc|\.musl)?\.node$/.test(f)),
    ]),
    ...readdirSync(join(darknetDir, 'src')).map((f) => `darknet/src/${f}`),
    'darknet/include/darknet.h',
    ...readdirSync(join(darknetDir, 'examples')).filter((f) => f.endsWith('.c')).map((f) => `darknet/examples/${f}`),
    ...readdirSync(join(darknetDir, 'cfg')).map((f) => `darknet/cfg/${f}`),
    ...dataFiles.map((f) => `darknet/data/${f}`),
    // draw_detections' label alphabet (detect's draw option)
    ...readdirSync(join(darknetDir, 'data', 'labels')).filter((f) => f.endsWith('.png')).map((f) => `darknet/data/labels/${f}`),
    ...readdirSync(darknetDir).filter((f) => f.startsWith('LICENSE')).map((f) => `darknet/${f}`),
  ].sort();
  assert.deepEqual(files, expected);
  assert.ok(files.includes('darknet/cfg/imagenet1k.data') && files.includes('darknet/data/imagenet.shortnames.list'));
  assert.ok(!files.some((f) => /^(test|lib|build|node_modules)\//.test(f) || f.endsWith('.weights')));
});

test('npm pack in the repository refuses to make a package without darknet/cfg and darknet/data', () => {
  const result = spawnSync(process.execPath, [npmCli, 'pack', '--dry-run'], { cwd: root, encoding: 'utf8' });
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /use npm run package/);
});

test('with its prebuild and no compiler on the PATH, the tarball installs and classifies', () => {
  const { project, result } = installInto('prebuilt', tarball, { path: noCompilerPath });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout + result.stderr, /using the existing native binary .*prebuilds/);
  const installed = join(project, 'node_modules', 'darknet-napi');
  assert.ok(!existsSync(join(installed, 'build')), 'nothing was compiled');
  const run = classifyWith(project);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), 'malamute 0.145115');

  // The CLI works from the installed package too.
  const cli = spawnSync(process.execPath, [join(installed, 'dist', 'cli.js'), '--version'], { encoding: 'utf8' });
  assert.match(cli.stdout, /^darknet-napi \d+\.\d+\.\d+\n/);

  // A prebuild that no longer loads gives the diagnostic, not a bare dlopen error.
  truncateSync(join(installed, 'prebuilds', platformDir, prebuildName), 4096);
  const broken = classifyWith(project);
  assert.notEqual(broken.status, 0);
  assert.match(broken.stderr, /DarknetError|ERR_BINDING/);
  assert.match(broken.stderr, /Could not load the darknet-napi native addon for/);
  assert.match(broken.stderr, /Possible fixes/);
  assert.match(broken.stderr, /npm rebuild darknet-napi --build-from-source/);
});

test('DARKNET_NAPI_BINARY overrides the binary, with the same diagnostic when it does not load', () => {
  const project = join(dir, 'prebuilt');
  const good = classifyWith(project, { DARKNET_NAPI_BINARY: join(root, 'build', 'Release', 'darknet_napi.node') });
  assert.equal(good.status, 0, good.stderr);
  assert.equal(good.stdout.trim(), 'malamute 0.145115');
  const bad = classifyWith(project, { DARKNET_NAPI_BINARY: join(dir, 'nope.node') });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /Tried: DARKNET_NAPI_BINARY=/);
  assert.match(bad.stderr, /Possible fixes/);
});

test('a corrupt prebuild and no compiler: the install fails with the diagnostic', () => {
  const corrupt = variant('corrupt', (pkg) => truncateSync(join(pkg, 'prebuilds', platformDir, prebuildName), 4096));
  const { result } = installInto('corrupt', corrupt, { path: noCompilerPath });
  assert.notEqual(result.status, 0);
  const output = result.stdout + result.stderr;
  assert.match(output, /could not install the native addon for/);
  assert.match(output, /a prebuilt binary/);
  assert.match(output, /Possible fixes/);
  assert.match(output, /install cmake/);
});

test('without a matching prebuild, the tarball builds from source and classifies', () => {
  const source = variant('source', (pkg) => rmSync(join(pkg, 'prebuilds'), { recursive: true }));
  const { project, result } = installInto('source', source);
  assert.equal(result.status, 0, result.stderr);
  assert.ok(existsSync(join(project, 'node_modules', 'darknet-napi', 'build', 'Release', 'darknet_napi.node')));
  const run = classifyWith(project);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), 'malamute 0.145115');
});
