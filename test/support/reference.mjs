// darknet's own tools, built from the same sources (npm run build:reference):
// the oracle. Importing this asserts they exist, so a test file that needs
// them says so by importing it.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { binaryArch } from './binary-arch.mjs';
import { runCommand } from './child.mjs';
import { darknetDir, referenceDir } from './paths.mjs';

const windows = process.platform === 'win32';
/** A tool of the reference build by name (MinGW's are `.exe`: npm run test:windows). */
const tool = (name) => join(referenceDir, windows ? `${name}.exe` : name);

export const referenceCli = tool('darknet');
/** Prints a network's whole output vector for one image (test/reference/reference_vector.c). */
export const referenceVector = tool('reference-vector');
/** darknet's detector test flow, heads and boxes printed exactly (test/reference/reference_detect.c). */
export const referenceDetect = tool('reference-detect');
/** Re-encodes an image with darknet's own code (test/reference/reencode.c). */
export const referenceReencode = tool('reencode');
/** stb_image's 4-channel decode against its 3-channel one (test/reference/rgba_decode.c). */
export const referenceRgbaDecode = tool('rgba-decode');

/**
 * A reference tool's stdout with C's line ends: MinGW's C runtime writes
 * stdout in text mode, every "\n" as "\r\n" (darknet's and our tools' printf
 * print no "\r" of their own), where our Node code writes "\n". Linux: as is.
 */
export function cText(stdout) {
  return windows ? stdout.replaceAll('\r\n', '\n') : stdout;
}

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
for (const path of [referenceCli, referenceVector]) {
  const arch = binaryArch(path);
  if (arch !== null && arch !== process.arch) {
    throw new Error(`${path} is built for ${arch}, the tests run on ${process.arch}: darknet's answers differ between CPUs, compare with a reference built for this one`);
  }
}

const execFileAsync = promisify(execFile);

/** darknet's CLI: { code, signal, stdout, stderr }, stdout with "\n" line ends (cText). */
export async function runReferenceCli(args, options = {}) {
  const result = await runCommand(referenceCli, args, options);
  return { ...result, stdout: cText(result.stdout) };
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
  return Float32Array.from(cText(stdout).trim().split('\n'), Number);
}

export function maxAbsDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; ++i) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/**
 * A C99 %a float, exactly, as glibc and MinGW's printf (__USE_MINGW_ANSI_STDIO:
 * the Windows reference) print it: "-0x1.8p+3", "0x0p+0", "inf", "-nan" (the
 * same digits; MinGW prints a negative NaN as "nan"). Also Microsoft's UCRT
 * form: the fraction padded to 13 digits ("0x1.8000000000000p+3"), "-nan(ind)".
 */
export function parseHexFloat(text) {
  const m = /^(-?)0x([0-9a-f]+)(?:\.([0-9a-f]*))?p([+-]\d+)$/.exec(text);
  if (!m) {
    const special = { inf: Infinity, '-inf': -Infinity, nan: NaN, '-nan': NaN, 'nan(ind)': NaN, '-nan(ind)': NaN }[text];
    if (special === undefined) throw new Error(`not a %a float: ${text}`);
    return special;
  }
  const fraction = m[3] ? Number.parseInt(m[3], 16) / 16 ** m[3].length : 0;
  const value = (Number.parseInt(m[2], 16) + fraction) * 2 ** Number(m[4]);
  return m[1] ? -value : value;
}

/**
 * A tool's stdout, run from darknet/, written to a file rather than a pipe:
 * its heads are megabytes an image, and under Wine a pipe between two
 * Windows processes carries them several times slower than a file (npm run
 * test:windows). Rejects unless the tool exits 0.
 */
async function stdoutThroughFile(command, args) {
  const dir = mkdtempSync(join(tmpdir(), 'darknet-napi-reference-'));
  const file = join(dir, 'stdout');
  const fd = openSync(file, 'w');
  try {
    const { code, signal, stderr } = await new Promise((resolvePromise, reject) => {
      const child = spawn(command, args, { cwd: darknetDir, stdio: ['ignore', fd, 'pipe'] });
      const err = [];
      child.stderr.on('data', (chunk) => err.push(chunk));
      child.on('error', reject);
      child.on('close', (code, signal) => resolvePromise({ code, signal, stderr: Buffer.concat(err).toString() }));
    });
    if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit status ${code}`}): ${stderr}`);
    return readFileSync(file, 'utf8');
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The reference's detection flow on `images` (paths relative to darknet/,
 * one network for all): per image { image, width, height, heads: [{ layer,
 * output: Float32Array }], detections: [{ classIndex, probability,
 * objectness, x, y, w, h, left, top, right, bottom }] }.
 */
export async function referenceDetections(cfg, weights, images, { thresh = 0.5, hierThresh = 0.5, nms = 0.45 } = {}) {
  assertBuilt('detect tool', referenceDetect);
  const stdout = await stdoutThroughFile(referenceDetect, [cfg, weights, String(thresh), String(hierThresh), String(nms), ...images]);
  const lines = cText(stdout).split('\n');
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
  const lines = cText(stdout).split('\n');
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
