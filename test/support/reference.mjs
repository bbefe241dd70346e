// darknet's own tools, built from the same sources (npm run build:reference):
// the oracle. Importing this asserts they exist, so a test file that needs
// them says so by importing it.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { elfArch } from './binary-arch.mjs';
import { runCommand } from './child.mjs';
import { darknetDir, referenceDir } from './paths.mjs';

export const referenceCli = join(referenceDir, 'darknet');
/** Prints a network's whole output vector for one image (test/reference/reference_vector.c). */
export const referenceVector = join(referenceDir, 'reference-vector');
/** Re-encodes an image with darknet's own code (test/reference/reencode.c). */
export const referenceReencode = join(referenceDir, 'reencode');

function assertBuilt(what, path) {
  if (!existsSync(path)) {
    throw new Error(`missing darknet's reference ${what}: ${path} (npm run build:reference builds it; DARKNET_NAPI_REFERENCE_DIR names another folder)`);
  }
}
assertBuilt('CLI', referenceCli);
assertBuilt('vector tool', referenceVector);
// Built for the CPU the tests run on: darknet's answers differ between CPUs
// (README, Platforms), so every comparison needs this CPU's reference;
// golden.test.mjs's hard-coded lines are x86-64 darknet's.
for (const tool of [referenceCli, referenceVector]) {
  const arch = elfArch(tool);
  if (arch !== null && arch !== process.arch) {
    throw new Error(`${tool} is built for ${arch}, the tests run on ${process.arch}: darknet's answers differ between CPUs, compare with a reference built for this one`);
  }
}

const execFileAsync = promisify(execFile);

export function runReferenceCli(args, options = {}) {
  return runCommand(referenceCli, args, options);
}

/** Writes `<base>.<format>` (png, bmp or tga) from `image` with darknet's own encoder. */
export function reencode(image, base, format) {
  // Checked here, not on import: only the bulk tests use it (builds for
  // another CPU may leave it out).
  assertBuilt('re-encoder', referenceReencode);
  execFileSync(referenceReencode, [image, base, format]);
  return `${base}.${format}`;
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
