// Shared by the tests: where things are, how to run the reference darknet CLI
// and ours, and deterministic synthetic weights for cfgs without real ones.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { loadNetwork } from '../dist/index.js';
import { elfArch } from './binary-arch.mjs';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const darknetDir = join(root, 'darknet');
// darknet's reference tools, built for the CPU the tests run on: every
// comparison with the reference (parity, inputs, errors, bulk, cli) needs the
// one of this CPU, checked below; golden.test.mjs's hard-coded lines are x86-64
// darknet's. DARKNET_NAPI_REFERENCE_DIR points elsewhere (scripts/test-arm64.sh).
export const referenceDir = process.env.DARKNET_NAPI_REFERENCE_DIR
  ? resolve(process.env.DARKNET_NAPI_REFERENCE_DIR)
  : join(root, 'build', 'reference');
export const referenceCli = join(referenceDir, 'darknet');
export const referenceVector = join(referenceDir, 'reference-vector');
export const ourCli = join(root, 'dist', 'cli.js');
export const tinyWeights = resolve(root, '..', 'shared', 'models', 'tiny.weights');
export const tinyCfg = join(darknetDir, 'cfg', 'tiny.cfg');
export const dogJpg = join(darknetDir, 'data', 'dog.jpg');

/** Every JPEG darknet ships in data/. */
export const sampleImages = readdirSync(join(darknetDir, 'data'))
  .filter((name) => name.endsWith('.jpg'))
  .sort()
  .map((name) => join('data', name));

for (const [what, path] of [
  ['the reference darknet CLI (npm run build:reference)', referenceCli],
  ['the reference vector tool (npm run build:reference)', referenceVector],
  ['the real Tiny Darknet weights', tinyWeights],
  ['our CLI (npm run build)', ourCli],
]) {
  if (!existsSync(path)) throw new Error(`missing ${what}: ${path}`);
}
for (const tool of [referenceCli, referenceVector]) {
  const arch = elfArch(tool);
  if (arch !== null && arch !== process.arch) {
    throw new Error(`${tool} is built for ${arch}, the tests run on ${process.arch}: darknet's answers differ between CPUs, compare with a reference built for this one`);
  }
}

const execFileAsync = promisify(execFile);

/** Runs a command with optional stdin; resolves { code, stdout, stderr } whatever the exit status. */
export function runCommand(command, args, { cwd = darknetDir, input, env } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolvePromise({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    );
    child.stdin.end(input ?? '');
  });
}

/** `node dist/cli.js ...` from darknet's source root (where ./darknet is run). */
export function runOurCli(args, options = {}) {
  return runCommand(process.execPath, [ourCli, ...args], options);
}

export function runReferenceCli(args, options = {}) {
  return runCommand(referenceCli, args, options);
}

/** The reference's whole output vector for one image. */
export async function referenceOutput(cfg, weights, image, mode = 'letterbox') {
  const { stdout } = await execFileAsync(referenceVector, [cfg, weights, image, mode], {
    cwd: darknetDir,
    maxBuffer: 64 << 20,
  });
  return Float32Array.from(stdout.trim().split('\n'), Number);
}

export function maxAbsDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; ++i) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

export function tempDir(prefix = 'darknet-napi-test-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A small deterministic PRNG (mulberry32), so synthetic weights are the same on every run. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Writes deterministic weights of exactly the size `cfg` needs (format 0.2,
 * 20-byte header), laid out in darknet's load order: for each convolutional
 * layer biases, then (with batch_normalize) scales, rolling means and rolling
 * variances, then weights; connected layers biases, weights, then the
 * batch-norm triple. Values are scaled like a trained network's (He-style
 * weights, variances near 1) so that activations stay finite.
 */
export async function writeSyntheticWeights(cfg, file, seed = 1) {
  const network = await loadNetwork(cfg);
  const random = prng(seed);
  const uniform = (lo, hi) => lo + (hi - lo) * random();
  const values = new Float32Array(network.parameters);
  let at = 0;
  const fill = (count, lo, hi) => {
    for (let i = 0; i < count; ++i) values[at++] = uniform(lo, hi);
  };
  const batchNorm = (n) => {
    fill(n, 0.8, 1.2); // scales
    fill(n, -0.05, 0.05); // rolling mean
    fill(n, 0.8, 1.2); // rolling variance
  };
  for (const layer of network.layers) {
    const [w, h, c] = layer.input;
    if (layer.type === 'convolutional') {
      const n = layer.filters;
      const fanIn = (c / layer.groups) * layer.size * layer.size;
      fill(n, -0.05, 0.05); // biases
      if (layer.batchNormalize) batchNorm(n);
      const bound = Math.sqrt(3 / fanIn);
      fill(Math.trunc(c / layer.groups) * n * layer.size * layer.size, -bound, bound);
    } else if (layer.type === 'connected') {
      const inputs = w * h * c;
      fill(layer.outputs, -0.05, 0.05);
      const bound = Math.sqrt(3 / inputs);
      fill(layer.outputs * inputs, -bound, bound);
      if (layer.batchNormalize) batchNorm(layer.outputs);
    } else if (layer.type === 'batchnorm') {
      batchNorm(c);
    }
  }
  await network.close();
  if (at !== values.length) {
    throw new Error(`synthetic weights for ${cfg}: laid out ${at} floats, the network needs ${values.length}`);
  }
  const header = Buffer.alloc(20);
  header.writeInt32LE(0, 0); // major
  header.writeInt32LE(2, 4); // minor: 0.2 has a 64-bit `seen`
  header.writeInt32LE(0, 8); // revision
  header.writeBigUInt64LE(0n, 12); // seen
  writeFileSync(file, Buffer.concat([header, Buffer.from(values.buffer)]));
  return file;
}

/** The cfgs the parity tests cover, with their weights (real for tiny, synthetic for the rest). */
export async function parityModels(dir) {
  const models = [{ name: 'tiny', cfg: 'cfg/tiny.cfg', weights: tinyWeights }];
  for (const [name, seed] of [
    ['darknet', 11],
    ['darknet19', 12],
    ['resnet18', 13],
  ]) {
    const weights = join(dir, `${name}.weights`);
    await writeSyntheticWeights(join(darknetDir, 'cfg', `${name}.cfg`), weights, seed);
    models.push({ name, cfg: `cfg/${name}.cfg`, weights });
  }
  return models;
}

/** The process's resident set size in bytes. */
export function rss() {
  return process.memoryUsage.rss();
}
