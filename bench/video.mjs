#!/usr/bin/env node
// The video rows of `npm run bench` (also `npm run bench:video [-- --quick]`
// alone): a 1280x720 30 fps h264 clip made with FFmpeg from darknet's sample
// images, through network.video() with yolov3-tiny at 416 (synthetic
// detecting weights) and Tiny Darknet (its real weights), frames per second:
//   - the same network's predict() loop on the clip's frames as raw pixels
//     (decoded beforehand, in memory), at the same threads: the baseline;
//   - video() on the file without output, and with output (an mp4 written
//     back through FFmpeg), as ratios of that baseline (goals: >= 0.9, >= 0.8);
//   - a live source in realtime (the clip served at 30 fps as MJPEG over
//     HTTP by a server of the bench's): each frame's age when its result is
//     emitted (arrival to result), p50 and p95, against one prediction
//     (goal: p95 <= 2x the predict loop's median);
//   - the CPU each part costs a frame (this process's for predict and
//     drawing, FFmpeg's own for decoding and encoding, measured alone), and
//     the ratio no pipeline on these cores could beat: the predict loop
//     already keeps them busy, so every other part's CPU comes out of its
//     time (bound = predict / (predict + the others)).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { ffmpegPath, loadNetwork, threads } from '../dist/index.js';
import { writeSyntheticWeights } from '../test/helpers.mjs';
import { darknetCfg, darknetDir, tinyCfg } from '../test/support/paths.mjs';
import { showinfoTakesChecksum } from '../dist/video/ffmpeg.js';
import { decoderArguments } from '../dist/video/source.js';
import { encoderArguments } from '../dist/video/writer.js';
import { mjpegCamera, runFfmpeg } from '../test/support/video.mjs';
import { tinyWeights } from '../test/support/weights.mjs';

const WIDTH = 1280;
const HEIGHT = 720;
const FPS = 30;

async function collect(stream) {
  let count = 0;
  let detections = 0;
  const latencies = [];
  for await (const result of stream) {
    ++count;
    detections += result.detections?.length ?? 0;
    latencies.push(result.latency);
  }
  return { count, latencies, detections };
}

// The synthetic weights' boxes at detect's 0.5 are hundreds a frame (each
// drawn with its label); at 0.56 about ten, as many as a COCO image holds
// on average (7.3 objects).
const THRESH = 0.56;

/** CPU milliseconds of this process's waited-for children (Linux: /proc/self/stat's cutime + cstime), or undefined. */
function childrenCpuMs() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100; // clock ticks: 100 a second on Linux
  } catch {
    return undefined;
  }
}

/** FFmpeg's CPU a frame for one command (run alone, to completion). */
function ffmpegCpuPerFrame(args, frames, input) {
  const before = childrenCpuMs();
  const result = spawnSync(ffmpegPath(), args, { input, stdio: [input ? 'pipe' : 'ignore', 'ignore', 'pipe'], maxBuffer: 1 << 20 });
  if (result.status !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${result.stderr}`);
  const after = childrenCpuMs();
  return before === undefined || after === undefined ? undefined : (after - before) / frames;
}

/** This process's CPU milliseconds a frame over a loop of awaited calls. */
async function cpuPerFrame(frames, call) {
  const before = process.cpuUsage();
  for (const frame of frames) await call(frame);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / frames.length;
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

/** Prints the video rows (markdown tables). */
export async function videoRows({ quick = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'darknet-bench-video-'));
  const frames = quick ? 90 : 180;
  try {
    // darknet's sample images at 720p, each held for 5 frames (motion the decoder has to code)
    const images = ['dog', 'eagle', 'giraffe', 'horses', 'person', 'kite'];
    images.forEach((name, i) => {
      runFfmpeg(['-i', join(darknetDir, 'data', `${name}.jpg`), '-vf', `scale=${WIDTH}:${HEIGHT}:force_original_aspect_ratio=increase,crop=${WIDTH}:${HEIGHT},setsar=1`, join(dir, `image_${i}.png`)]);
    });
    const clip = join(dir, 'clip.mp4');
    runFfmpeg(['-stream_loop', '-1', '-framerate', String(FPS / 5), '-i', join(dir, 'image_%d.png'), '-vf', `fps=${FPS}`, '-frames:v', String(frames), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', clip]);
    const rawFile = join(dir, 'clip.rgb');
    runFfmpeg(['-i', clip, '-f', 'rawvideo', '-pix_fmt', 'rgb24', rawFile]);
    const raw = readFileSync(rawFile);
    const frameBytes = WIDTH * HEIGHT * 3;
    const rawFrames = Array.from({ length: raw.length / frameBytes }, (_, i) => ({ data: raw.subarray(i * frameBytes, (i + 1) * frameBytes), width: WIDTH, height: HEIGHT, channels: 3 }));
    const jpegs = [];
    for (let i = 0; i < 30; ++i) {
      const jpeg = join(dir, `live-${i}.jpg`);
      runFfmpeg(['-i', clip, '-vf', `select=eq(n\\,${i})`, '-frames:v', '1', '-q:v', '3', jpeg]);
      jpegs.push(readFileSync(jpeg));
    }

    const yoloCfg = darknetCfg('yolov3-tiny');
    const yoloWeights = await writeSyntheticWeights(yoloCfg, join(dir, 'yolov3-tiny.weights'), 31);
    console.log(`\nvideo: a ${WIDTH}x${HEIGHT} ${FPS} fps h264 clip of ${rawFrames.length} frames (FFmpeg: ${ffmpegPath()}), ${threads()} threads, frames/s`);
    console.log(`(medians over ${quick ? 3 : 5} rounds of the three in turn; the ratios are each round's)`);
    console.log('| network | predict loop on raw frames | video(file) | / predict (goal >= 0.9) | video(file, output mp4) | / predict (goal >= 0.8) | live realtime: age p50 / p95 ms | p95 / one prediction (goal <= 2) |');
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
    const bounds = [];
    for (const [name, cfg, weights, labels] of [
      ['yolov3-tiny 416', yoloCfg, yoloWeights, join(darknetDir, 'data', 'coco.names')],
      ['Tiny Darknet (classify)', tinyCfg, tinyWeights, undefined],
    ]) {
      const network = await loadNetwork(cfg, weights, labels ? { labels } : {});
      const detect = network.task === 'detect';
      for (let i = 0; i < 5; ++i) await network.predict(rawFrames[i]);
      // rounds of the three, one after another, so that a noisy neighbour
      // weighs on all of them alike: medians of each round's ratios
      const rounds = quick ? 3 : 5;
      const predictFpsList = [];
      const plainRatios = [];
      const outputRatios = [];
      const predictTimes = [];
      let plain;
      for (let round = 0; round < rounds; ++round) {
        let started = performance.now();
        for (const frame of rawFrames) {
          const t = performance.now();
          await network.predict(frame);
          predictTimes.push(performance.now() - t);
        }
        const predictFps = (1000 * rawFrames.length) / (performance.now() - started);
        predictFpsList.push(predictFps);
        started = performance.now();
        plain = await collect(network.video(clip, detect ? { thresh: THRESH } : {}));
        plainRatios.push((1000 * plain.count) / (performance.now() - started) / predictFps);
        if (detect) {
          started = performance.now();
          const written = await collect(network.video(clip, { thresh: THRESH, output: join(dir, 'out.mp4') }));
          outputRatios.push((1000 * written.count) / (performance.now() - started) / predictFps);
        }
      }
      const predictFps = percentile(predictFpsList, 50);
      const plainRatio = percentile(plainRatios, 50);
      const outputRatio = outputRatios.length ? percentile(outputRatios, 50) : undefined;
      const onePrediction = percentile(predictTimes, 50);

      const camera = await mjpegCamera(jpegs, { fps: FPS, framesPerConnection: [quick ? 90 : 180] });
      let live;
      try {
        live = { latencies: [] };
        try {
          for await (const result of network.video(camera.url, { retries: 0, ...(detect ? { thresh: THRESH } : {}) })) live.latencies.push(result.latency);
        } catch (error) {
          if (error.code !== 'ERR_INVALID_VIDEO') throw error; // the server's end
        }
      } finally {
        await camera.close();
      }
      // the CPU of each part a frame, each alone
      const predictCpu = await cpuPerFrame(rawFrames, (frame) => network.predict(frame));
      const decodeCpu = ffmpegCpuPerFrame(decoderArguments(clip, process.platform, !showinfoTakesChecksum()).map((arg) => (arg === 'pipe:1' ? '-' : arg)), rawFrames.length);
      let drawCpu;
      let encodeCpu;
      if (detect) {
        const options = { thresh: THRESH, hierThresh: 0.5, nms: 0.45 };
        const plainCpu = await cpuPerFrame(rawFrames, (frame) => network.detectFrame(frame, options, { borrow: true }));
        drawCpu = (await cpuPerFrame(rawFrames, (frame) => network.detectFrame(frame, options, { borrow: true, draw: 'rgb' }))) - plainCpu;
        encodeCpu = ffmpegCpuPerFrame(encoderArguments(join(dir, 'alone.mp4'), WIDTH, HEIGHT, FPS), rawFrames.length, raw);
      }
      bounds.push({ name, predictCpu, decodeCpu, drawCpu, encodeCpu });
      const p50 = percentile(live.latencies, 50);
      const p95 = percentile(live.latencies, 95);
      await network.close();
      console.log(
        `| ${name}${detect ? ` (${(plain.detections / plain.count).toFixed(0)} boxes a frame)` : ''} | ${predictFps.toFixed(1)} | ${(plainRatio * predictFps).toFixed(1)} | ${plainRatio.toFixed(2)} | ${outputRatio ? (outputRatio * predictFps).toFixed(1) : ''} | ${outputRatio ? outputRatio.toFixed(2) : ''} | ${p50.toFixed(1)} / ${p95.toFixed(1)} | ${(p95 / onePrediction).toFixed(2)} |`,
      );
    }
    console.log(`\nvideo: CPU ms a frame of each part, each measured alone (${cpus().length} CPUs), and the best ratio these cores allow`);
    console.log('| network | predict (both threads) | FFmpeg decode | drawing (darknet draw_detections, to RGB) | FFmpeg encode (x264) | bound without output | bound with output |');
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    const ms = (value) => (value === undefined ? 'n/a' : value.toFixed(1));
    for (const { name, predictCpu, decodeCpu, drawCpu, encodeCpu } of bounds) {
      const plainBound = decodeCpu === undefined ? undefined : predictCpu / (predictCpu + decodeCpu);
      const outputBound = decodeCpu === undefined || drawCpu === undefined || encodeCpu === undefined ? undefined : predictCpu / (predictCpu + decodeCpu + drawCpu + encodeCpu);
      console.log(`| ${name} | ${ms(predictCpu)} | ${ms(decodeCpu)} | ${ms(drawCpu)} | ${ms(encodeCpu)} | ${plainBound?.toFixed(2) ?? 'n/a'} | ${outputBound?.toFixed(2) ?? ''} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await videoRows({ quick: process.argv.includes('--quick') });
}
