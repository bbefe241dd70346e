// `darknet detector demo` and `darknet detect ... <video>`: stdout's lines,
// AlexeyAB's JSON (file and -json_port) byte for byte against C's printf over
// darknet's own demo (test/reference/reference_demo.c), OpenDataCam's exact
// command line served to a client like OpenDataCam's (http.get and
// stream-json's StreamArray), the MJPEG port, -prefix, -out_filename, a
// stalled client, a port in use, bad flags, SIGINT.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { get } from 'node:http';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, test } from 'node:test';
import { createRequire } from 'node:module';

import { writeSyntheticWeights } from './helpers.mjs';
import { runOurCli } from './support/child.mjs';
import { darknetCfg, darknetDir, ourCli, tempDir } from './support/paths.mjs';
import { referenceDemoDetections } from './support/reference.mjs';
import { alive, CLIP_HEIGHT, CLIP_IMAGES, CLIP_WIDTH, decodedFrames, ffmpegChildren, makeClips, videoFacts } from './support/video.mjs';

// OpenDataCam's own JSON stream parser (server/Opendatacam.js)
const StreamArray = createRequire(import.meta.url)('stream-json/streamers/StreamArray');

const dir = tempDir('darknet-napi-video-cli-');
after(() => rmSync(dir, { recursive: true, force: true }));
const LONG_FRAMES = 60;
let clips;
let weights;
/** A folder laid out as OpenDataCam's darknet folder: cfg/, data/ and the weights. */
let darknetFolder;
before(async () => {
  clips = makeClips(dir, { longFrames: LONG_FRAMES });
  darknetFolder = join(dir, 'darknet');
  mkdirSync(darknetFolder);
  symlinkSync(join(darknetDir, 'cfg'), join(darknetFolder, 'cfg'));
  symlinkSync(join(darknetDir, 'data'), join(darknetFolder, 'data'));
  weights = await writeSyntheticWeights(darknetCfg('yolov3-tiny'), join(darknetFolder, 'yolov3-tiny.weights'), 31);
});

const demoArgs = (input, ...flags) => ['detector', 'demo', 'cfg/coco.data', 'cfg/yolov3-tiny.cfg', 'yolov3-tiny.weights', input, ...flags];

/** A free port on 127.0.0.1. */
async function freePort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

/** Starts our CLI; resolves once stdout shows `pattern`. */
function startCli(args, { cwd = darknetFolder } = {}) {
  const child = spawn(process.execPath, [ourCli, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  const waitFor = (pattern) =>
    new Promise((resolve, reject) => {
      const check = () => {
        if (pattern.test(stdout)) return resolve(stdout);
        if (child.exitCode !== null) return reject(new Error(`exited ${child.exitCode} before ${pattern}: ${stdout} ${stderr}`));
        setTimeout(check, 10);
      };
      check();
    });
  return { child, exited, waitFor };
}

test('detector demo: darknet\'s frames and lines, AlexeyAB\'s JSON byte for byte, -prefix and -out_filename', async () => {
  const frames = decodedFrames(clips.mp4, join(dir, 'decoded'));
  const referenceJson = join(dir, 'reference.json');
  const expected = await referenceDemoDetections(join(darknetDir, 'cfg', 'yolov3-tiny.cfg'), weights, join(darknetDir, 'data', 'coco.names'), frames, { json: referenceJson, prefix: join(dir, 'ref-prefix', 'f') });
  const json = join(dir, 'ours.json');
  const out = join(dir, 'ours.mp4');
  const prefix = join(dir, 'prefix', 'frame');
  const { code, stdout, stderr } = await runOurCli(demoArgs(clips.mp4, '-dont_show', '-ext_output', '-json_file_output', json, '-out_filename', out, '-prefix', prefix), { cwd: darknetFolder });
  assert.equal(code, 0, stderr);
  assert.ok(readFileSync(json).equals(readFileSync(referenceJson)), 'the JSON file is the bytes C printed');
  const lines = stdout.split('\n');
  assert.equal(lines[0], 'Demo');
  assert.equal(lines[1], `video file: ${clips.mp4}`);
  assert.equal(lines[2], `Video stream: ${CLIP_WIDTH} x ${CLIP_HEIGHT} `);
  assert.equal(lines.filter((l) => /^FPS:\d+\.\d \t AVG_FPS:\d+\.\d$/.test(l)).length, frames.length);
  assert.equal(lines.filter((l) => l === 'Objects:').length, frames.length);
  // each object line: label: NN%, then -ext_output's box
  const objectLines = lines.filter((l) => /%\t\(left_x:/.test(l));
  assert.equal(objectLines.length, expected.reduce((n, f) => n + f.detections.length, 0));
  assert.match(objectLines[0], /^[a-z ]+: \d+%\t\(left_x: +-?\d+ {3}top_y: +-?\d+ {3}width: +\d+ {3}height: +\d+\)$/);
  assert.equal(lines.at(-2), 'input video stream closed. ');
  assert.deepEqual(videoFacts(out), { frames: frames.length, width: CLIP_WIDTH, height: CLIP_HEIGHT, fps: 10 });
  for (let i = 0; i < frames.length; ++i) assert.ok(existsSync(`${prefix}_${String(i).padStart(8, '0')}.jpg`), `frame ${i} saved`);
});

test('detect <cfg> <weights> <video> is the demo; -avg 1 is detect on each frame; -s 2 every other frame', async () => {
  const { code, stdout, stderr } = await runOurCli(['detect', 'cfg/yolov3-tiny.cfg', 'yolov3-tiny.weights', clips.avi, '-avg', '1', '-s', '2'], { cwd: darknetFolder });
  assert.equal(code, 0, stderr);
  assert.match(stdout, new RegExp(`Video stream: ${CLIP_WIDTH} x ${CLIP_HEIGHT} \n`));
  assert.equal(stdout.split('\n').filter((l) => l.startsWith('FPS:')).length, Math.ceil(CLIP_IMAGES.length / 2));
});

test('OpenDataCam\'s command line, from its darknet folder: the resolution line, the JSON stream to an OpenDataCam-like client, MJPEG', async () => {
  const jsonPort = await freePort();
  const mjpegPort = await freePort();
  // server/processes/YoloDarknet.js: [darknet, detector, demo, data, cfg, weights, videoParams, -ext_output, -dont_show, -dontdraw_bbox, -json_port, P, -mjpeg_port, Q]
  const cli = startCli(demoArgs(clips.long, '-ext_output', '-dont_show', '-dontdraw_bbox', '-json_port', String(jsonPort), '-mjpeg_port', String(mjpegPort)));
  const shown = await cli.waitFor(/Video stream:.*\n/);
  // OpenDataCam's parse of the line
  const ratio = shown.split('stream:')[1].split('\n')[0];
  assert.deepEqual({ w: parseInt(ratio.split('x')[0].trim()), h: parseInt(ratio.split('x')[1].trim()) }, { w: CLIP_WIDTH, h: CLIP_HEIGHT });
  // an MJPEG client: the headers, then multipart JPEGs
  const mjpeg = new Promise((resolve, reject) => {
    const socket = connect(mjpegPort, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    let bytes = Buffer.alloc(0);
    socket.on('data', (d) => {
      bytes = Buffer.concat([bytes, d]);
      const text = bytes.toString('latin1');
      const part = /--mjpegstream\r\nContent-Type: image\/jpeg\r\nContent-Length: (\d+)\r\n\r\n/.exec(text);
      if (part && bytes.length >= part.index + part[0].length + Number(part[1])) {
        socket.destroy();
        resolve({ text, jpeg: bytes.subarray(part.index + part[0].length, part.index + part[0].length + Number(part[1])) });
      }
    });
    socket.on('error', reject);
  });
  // OpenDataCam's JSON client: http.get, then StreamArray over the response
  const frames = [];
  let statusCode;
  await new Promise((resolve, reject) => {
    const request = get({ host: '127.0.0.1', port: jsonPort, path: '/' }, (res) => {
      statusCode = res.statusCode;
      const parser = StreamArray.withParser();
      parser.on('data', ({ value }) => frames.push(value));
      pipeline(res, parser).then(resolve, reject);
    });
    request.on('error', reject);
  });
  assert.equal(statusCode, 200);
  const { text, jpeg } = await mjpeg;
  assert.ok(text.startsWith('HTTP/1.0 200 OK\r\nServer: Mozarella/2.2\r\nAccept-Range: bytes\r\nConnection: close\r\nMax-Age: 0\r\nExpires: 0\r\nCache-Control: no-cache, private\r\nPragma: no-cache\r\nContent-Type: multipart/x-mixed-replace; boundary=mjpegstream\r\n\r\n'));
  assert.deepEqual([jpeg[0], jpeg[1], jpeg.at(-2), jpeg.at(-1)], [0xff, 0xd8, 0xff, 0xd9]);
  const result = await cli.exited;
  assert.equal(result.code, 0, result.stderr);
  // the client got every frame from its first to the last, each as the file has it
  assert.ok(frames.length > 0);
  const ids = frames.map((f) => f.frame_id);
  assert.deepEqual(ids, Array.from({ length: ids.length }, (_, i) => ids[0] + i));
  assert.equal(ids.at(-1), LONG_FRAMES);
  assert.ok(frames.every((f) => Array.isArray(f.objects)));
  assert.ok(frames.some((f) => f.objects.length > 0 && f.objects[0].relative_coordinates.width > 0 && typeof f.objects[0].name === 'string'));
  assert.deepEqual(ffmpegChildren(), []);
});

test('a client that stops reading does not hold up the others or the demo', async () => {
  const jsonPort = await freePort();
  const cli = startCli(demoArgs(clips.long, '-json_port', String(jsonPort), '-dont_show'));
  await cli.waitFor(/Video stream:/);
  const stalled = connect(jsonPort, '127.0.0.1');
  stalled.pause(); // reads nothing
  await new Promise((r) => stalled.once('connect', r));
  const bytes = await new Promise((resolve, reject) => {
    const socket = connect(jsonPort, '127.0.0.1');
    const chunks = [];
    socket.on('data', (d) => chunks.push(d));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString()));
    socket.on('error', reject);
  });
  const result = await cli.exited;
  stalled.destroy();
  assert.equal(result.code, 0, result.stderr);
  assert.ok(bytes.startsWith('HTTP/1.0 200 OK\r\n'));
  const body = bytes.slice(bytes.indexOf('\r\n\r\n') + 4);
  assert.ok(body.startsWith('[\n{\n "frame_id":'));
  assert.ok(body.endsWith('\n ] \n}\n]'));
  const parsed = JSON.parse(body);
  assert.equal(parsed.at(-1).frame_id, LONG_FRAMES);
});

test('a port in use, a bad flag, a source that is not a video: an error naming it, no FFmpeg left', async () => {
  const busy = createServer();
  await new Promise((r) => busy.listen(0, '127.0.0.1', r));
  try {
    const port = busy.address().port;
    const inUse = await runOurCli(demoArgs(clips.mp4, '-json_port', String(port)), { cwd: darknetFolder });
    assert.equal(inUse.code, 1);
    assert.match(inUse.stderr, new RegExp(`-json_port ${port}: cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\)`));
  } finally {
    busy.close();
  }
  for (const [flags, pattern] of [
    [['-avg', '0'], /-avg must be an integer from 1/],
    [['-json_port', '70000'], /-json_port must be a port/],
    [['-c', 'x'], /-c must be an integer/],
  ]) {
    const run = await runOurCli(demoArgs(clips.mp4, ...flags), { cwd: darknetFolder });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, pattern);
  }
  const notVideo = await runOurCli(demoArgs(clips.notVideo), { cwd: darknetFolder });
  assert.equal(notVideo.code, 1);
  assert.match(notVideo.stderr, /notvideo\.mp4 cannot be opened or decoded/);
  const camera = await runOurCli(['detector', 'demo', 'cfg/coco.data', 'cfg/yolov3-tiny.cfg', 'yolov3-tiny.weights', '-c', '93'], { cwd: darknetFolder });
  assert.equal(camera.code, 1);
  assert.match(camera.stdout, /Webcam index: 93/);
  assert.match(camera.stderr, /camera 93 cannot be opened/);
  assert.deepEqual(ffmpegChildren(), []);
});

test('SIGINT ends the demo cleanly: the drawn video so far is a complete file, the JSON closed, FFmpeg gone', async () => {
  const out = join(dir, 'interrupted.mp4');
  const json = join(dir, 'interrupted.json');
  const cli = startCli(demoArgs(clips.long, '-out_filename', out, '-json_file_output', json));
  await cli.waitFor(/FPS:[\s\S]*FPS:[\s\S]*FPS:/);
  const pids = ffmpegChildren(cli.child.pid);
  assert.equal(pids.length, 2);
  cli.child.kill('SIGINT');
  const result = await cli.exited;
  assert.equal(result.code, 0, result.stderr);
  const written = JSON.parse(readFileSync(json, 'utf8'));
  assert.ok(written.length >= 3 && written.length < LONG_FRAMES);
  assert.equal(videoFacts(out).frames, written.length);
  assert.deepEqual(pids.filter(alive), []);
});
