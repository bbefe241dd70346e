// Shared by the tests: where things are, how to run the reference darknet CLI
// and ours, and deterministic synthetic weights for cfgs without real ones.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { loadNetwork } from '../dist/index.js';
import { encodeWeights, weightsLayout } from '../dist/weights-file.js';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const darknetDir = join(root, 'darknet');
export const referenceCli = join(root, 'build', 'reference', 'darknet');
export const referenceVector = join(root, 'build', 'reference', 'reference-vector');
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
  // [lo, hi] per array; weights: He-style, from each layer's fan-in.
  const ranges = { biases: [-0.05, 0.05], scales: [0.8, 1.2], rollingMean: [-0.05, 0.05], rollingVariance: [0.8, 1.2] };
  for (const block of weightsLayout(network.layers)) {
    const layer = network.layers[block.layer];
    if (block.array !== 'weights') {
      fill(block.count, ...ranges[block.array]);
      continue;
    }
    const [w, h, c] = layer.input;
    const fanIn = layer.type === 'convolutional' ? (c / layer.groups) * layer.size * layer.size : w * h * c;
    const bound = Math.sqrt(3 / fanIn);
    fill(block.count, -bound, bound);
  }
  await network.close();
  if (at !== values.length) {
    throw new Error(`synthetic weights for ${cfg}: laid out ${at} floats, the network needs ${values.length}`);
  }
  writeFileSync(file, encodeWeights(values));
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
