// darknet's own tools, built from the same sources (npm run build:reference):
// the oracle. Importing this asserts they exist, so a test file that needs
// them says so by importing it.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { elfArch } from './binary-arch.mjs';
import { runCommand } from './child.mjs';
import { darknetDir, referenceDir } from './paths.mjs';

export const referenceCli = join(referenceDir, 'darknet');
/** Prints a network's whole output vector for one image (test/reference/reference_vector.c). */
export const referenceVector = join(referenceDir, 'reference-vector');
/** darknet's detector test flow, heads and boxes printed exactly (test/reference/reference_detect.c). */
export const referenceDetect = join(referenceDir, 'reference-detect');
/** Re-encodes an image with darknet's own code (test/reference/reencode.c). */
export const referenceReencode = join(referenceDir, 'reencode');
/** stb_image's 4-channel decode against its 3-channel one (test/reference/rgba_decode.c). */
export const referenceRgbaDecode = join(referenceDir, 'rgba-decode');

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

/** A C99 %a float as printed by glibc ("-0x1.8p+3", "0x0p+0", "inf", "nan"), exactly. */
export function parseHexFloat(text) {
  const m = /^(-?)0x([0-9a-f]+)(?:\.([0-9a-f]*))?p([+-]\d+)$/.exec(text);
  if (!m) {
    const special = { inf: Infinity, '-inf': -Infinity, nan: NaN, '-nan': NaN }[text];
    if (special === undefined) throw new Error(`not a %a float: ${text}`);
    return special;
  }
  const fraction = m[3] ? Number.parseInt(m[3], 16) / 16 ** m[3].length : 0;
  const value = (Number.parseInt(m[2], 16) + fraction) * 2 ** Number(m[4]);
  return m[1] ? -value : value;
}

/**
 * The reference's detection flow on `images` (paths relative to darknet/,
 * one network for all): per image { image, width, height, heads: [{ layer,
 * output: Float32Array }], detections: [{ classIndex, probability,
 * objectness, x, y, w, h, left, top, right, bottom }] }.
 */
export async function referenceDetections(cfg, weights, images, { thresh = 0.5, hierThresh = 0.5, nms = 0.45 } = {}) {
  assertBuilt('detect tool', referenceDetect);
  const { stdout } = await execFileAsync(referenceDetect, [cfg, weights, String(thresh), String(hierThresh), String(nms), ...images], {
    cwd: darknetDir,
    maxBuffer: 1 << 30,
  });
  const lines = stdout.split('\n');
  const results = [];
  let at = 0;
  while (at < lines.length && lines[at] !== '') {
    const [, image, width, height] = lines[at++].split(' ');
    const result = { image, width: Number(width), height: Number(height), heads: [], detections: [] };
    while (lines[at].startsWith('head ')) {
      const [, layer, count] = lines[at++].split(' ').map(Number);
      const output = new Float32Array(count);
      for (let i = 0; i < count; ++i) output[i] = parseHexFloat(lines[at++]);
      result.heads.push({ layer, output });
    }
    const [, count] = lines[at++].split(' ');
    for (let i = 0; i < Number(count); ++i) {
      const f = lines[at++].split(' ');
      const [probability, objectness, x, y, w, h] = f.slice(1, 7).map((v) => Math.fround(parseHexFloat(v)));
      const [left, top, right, bottom] = f.slice(7).map(Number);
      result.detections.push({ classIndex: Number(f[0]), probability, objectness, x, y, w, h, left, top, right, bottom });
    }
    results.push(result);
  }
  return results;
}

export const referenceDemo = join(referenceDir, 'reference-demo');

/**
 * darknet's own `detector demo` (test/reference/reference_demo.c: its demo()
 * and detect_in_thread, 3 frames averaged, do_nms_obj at .4) on `frames`
 * (image paths), one network: per frame { frame, width, height, detections }
 * as referenceDetections gives them. With `json`, AlexeyAB's JSON of every
 * frame is written there by C's printf; with `prefix`, demo() saves its drawn
 * frames as prefix_%08d.jpg.
 */
export async function referenceDemoDetections(cfg, weights, names, frames, { thresh = 0.5, hierThresh = 0.5, json, prefix = join(tmpdir(), `darknet-napi-demo-${process.pid}`) } = {}) {
  assertBuilt('demo tool', referenceDemo);
  const { stdout } = await execFileAsync(referenceDemo, [cfg, weights, String(thresh), String(hierThresh), names, prefix, ...frames], {
    cwd: darknetDir,
    maxBuffer: 1 << 30,
    env: { ...process.env, ...(json ? { REFERENCE_DEMO_JSON: json } : {}) },
  });
  const lines = stdout.split('\n');
  const results = [];
  for (let at = 0; at < lines.length; ++at) {
    if (!lines[at].startsWith('frame ')) continue;
    const [, frame, width, height] = lines[at++].split(' ').map(Number);
    const count = Number(lines[at].split(' ')[1]);
    const detections = [];
    for (let i = 0; i < count; ++i) {
      const f = lines[++at].split(' ');
      const [probability, objectness, x, y, w, h] = f.slice(1, 7).map((v) => Math.fround(parseHexFloat(v)));
      const [left, top, right, bottom] = f.slice(7).map(Number);
      detections.push({ classIndex: Number(f[0]), probability, objectness, x, y, w, h, left, top, right, bottom });
    }
    results.push({ frame, width, height, detections });
  }
  return results;
}
