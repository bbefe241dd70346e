// network.video(): frames from FFmpeg (an h264 mp4, an MJPEG avi, an image
// sequence, a live MJPEG-over-HTTP camera of the test's own) and from
// JavaScript, against detect()/classify() on the frames FFmpeg decodes and
// against darknet's own `detector demo` (test/reference/reference_demo.c) for
// its averaging; the output video; every bad source; and that no FFmpeg
// outlives its stream. Videos made by test/support/video.mjs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { once } from 'node:events';
import { constants } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { DarknetError, loadNetwork } from '../dist/index.js';
import { runningChildren } from '../dist/video/children.js';
import { decoderArguments, inputArguments, isLiveSource } from '../dist/video/source.js';
import { writeSyntheticWeights } from './helpers.mjs';
import { darknetCfg, darknetDir, distIndex, root, tempDir, tinyCfg } from './support/paths.mjs';
import { referenceDemoDetections } from './support/reference.mjs';
import { alive, CLIP_FPS, CLIP_HEIGHT, CLIP_IMAGES, CLIP_WIDTH, decodedFrames, ffmpegChildren, makeClips, mjpegCamera, runFfmpeg, videoFacts } from './support/video.mjs';
import { tinyWeights } from './support/weights.mjs';

const dir = tempDir('darknet-napi-video-');
after(() => rmSync(dir, { recursive: true, force: true }));
const cocoNames = join(darknetDir, 'data', 'coco.names');
const yoloCfg = darknetCfg('yolov3-tiny');
let clips;
let yoloWeights;
let network;
/** The clip's images as JPEGs, for the test's MJPEG camera. */
let jpegs;
before(async () => {
  clips = makeClips(dir);
  jpegs = CLIP_IMAGES.map((name) => {
    const jpeg = join(dir, `${name}.jpg`);
    runFfmpeg(['-i', join(dir, 'img', `${name}.png`), '-q:v', '3', jpeg]);
    return readFileSync(jpeg);
  });
  yoloWeights = await writeSyntheticWeights(yoloCfg, join(dir, 'yolov3-tiny.weights'), 31);
  network = await loadNetwork(yoloCfg, yoloWeights, { labels: cocoNames });
});
after(() => network?.close());

// Under npm run test:sanitize the addon's float loops are compiled otherwise
// (ASan/UBSan), so darknet's own reference is met within a tolerance there
// (as detect-parity does); our own flows are still compared to the bit.
const SANITIZED = Boolean(process.env.DARKNET_NAPI_SANITIZED);

/** The reference's detections, to the bit (or within 1e-4 under the sanitizers). */
function assertSameDetections(actual, expected, what) {
  if (!SANITIZED) return assert.deepEqual(actual, expected, what);
  assert.equal(actual.length, expected.length, `${what}: count`);
  for (const [i, d] of actual.entries()) {
    const e = expected[i];
    assert.equal(d.classIndex, e.classIndex, `${what}: class of ${i}`);
    for (const key of ['probability', 'objectness', 'x', 'y', 'w', 'h']) assert.ok(Math.abs(d[key] - e[key]) <= 1e-4 * Math.max(1, Math.abs(e[key])), `${what}: ${key} of ${i}`);
    for (const key of ['left', 'top', 'right', 'bottom']) assert.ok(Math.abs(d[key] - e[key]) <= 1, `${what}: ${key} of ${i}`);
  }
}

async function collect(stream) {
  const results = [];
  for await (const result of stream) results.push(result);
  return results;
}

/** The centre and size darknet printed, from a Detection (float centre, as darknet's bbox). */
function asReference(d) {
  const { x, y, width, height } = d.relativeBox;
  return {
    classIndex: d.classIndex,
    probability: d.probability,
    objectness: d.objectness,
    x: Math.fround(x + width / 2),
    y: Math.fround(y + height / 2),
    w: width,
    h: height,
    left: d.box.x,
    top: d.box.y,
    right: d.box.x + d.box.width,
    bottom: d.box.y + d.box.height,
  };
}

async function noChildrenLeft() {
  for (let i = 0; i < 100 && (runningChildren() > 0 || ffmpegChildren().length > 0); ++i) await new Promise((r) => setTimeout(r, 20));
  assert.equal(runningChildren(), 0, 'FFmpeg children tracked');
  assert.deepEqual(ffmpegChildren(), [], 'FFmpeg processes under this one');
}

describe('frames from FFmpeg', () => {
  for (const kind of ['mp4', 'avi', 'sequence']) {
    test(`${kind}: each frame's result is detect() on the frame FFmpeg decodes (average 1)`, async () => {
      const frames = decodedFrames(clips[kind], join(dir, `decoded-${kind}`));
      assert.equal(frames.length, CLIP_IMAGES.length);
      const results = await collect(network.video(clips[kind]));
      assert.equal(results.length, frames.length);
      for (const [i, result] of results.entries()) {
        assert.equal(result.frame, i);
        assert.equal(result.width, CLIP_WIDTH);
        assert.equal(result.height, CLIP_HEIGHT);
        assert.equal(result.dropped, 0);
        // an image sequence's rate is FFmpeg's default, 25
        const fps = kind === 'sequence' ? 25 : CLIP_FPS;
        assert.ok(Math.abs(result.time - i / fps) < 1e-3, `frame ${i} at ${result.time} s`);
        assert.ok(result.latency >= 0);
        assert.deepEqual(result.detections, await network.detect(frames[i]), `${kind} frame ${i}`);
      }
      assert.ok(results.some((r) => r.detections.length > 0), 'the synthetic detector detects');
      await noChildrenLeft();
    });
  }

  test('average 3 is darknet\'s own detector demo on the same frames, to the bit (averaged heads, do_nms_obj at .4)', async () => {
    const frames = decodedFrames(clips.mp4, join(dir, 'decoded-demo'));
    const expected = await referenceDemoDetections(yoloCfg, yoloWeights, cocoNames, frames, { prefix: join(dir, 'demo-prefix', 'f') });
    assert.equal(expected.length, frames.length);
    const results = await collect(network.video(clips.mp4, { average: 3 }));
    assert.equal(results.length, expected.length);
    for (const [i, result] of results.entries()) {
      assertSameDetections(result.detections.map(asReference), expected[i].detections, `frame ${i}`);
    }
    // the first frames are averaged with the zeros before the stream: fewer boxes
    assert.ok(expected.at(-1).detections.length > 0 && expected[0].detections.length < expected.at(-1).detections.length);
    // and not what each frame gives alone
    const single = await collect(network.video(clips.mp4));
    assert.notDeepEqual(single.map((r) => r.detections), results.map((r) => r.detections));
  });

  test('draw: each frame drawn as detect(..., { draw }) draws it (jpeg, png, rgb)', async () => {
    const frames = decodedFrames(clips.mp4, join(dir, 'decoded-draw'));
    for (const draw of ['jpeg', 'png']) {
      const results = await collect(network.video(clips.mp4, { draw }));
      for (const [i, result] of results.entries()) {
        const expected = await network.detect(frames[i], { draw });
        assert.equal(result.format, draw);
        assert.ok(result.image.equals(expected.image), `${draw} frame ${i}`);
      }
    }
    const [first] = await collect(network.video(clips.mp4, { draw: 'rgb' }));
    assert.equal(first.format, 'rgb');
    assert.equal(first.image.length, CLIP_WIDTH * CLIP_HEIGHT * 3);
  });

  test('every: 2 takes frames 0, 2 and 4 and counts the skipped ones as dropped', async () => {
    const results = await collect(network.video(clips.mp4, { every: 2 }));
    assert.deepEqual(results.map((r) => [r.frame, r.dropped]), [[0, 0], [2, 1], [4, 1]]);
  });

  test('output: the drawn video at the source\'s size and frame rate, one frame per result', async () => {
    const output = join(dir, 'out.mp4');
    const results = await collect(network.video(clips.mp4, { output, average: 3, draw: 'jpeg' }));
    const facts = videoFacts(output);
    assert.deepEqual(facts, { frames: results.length, width: CLIP_WIDTH, height: CLIP_HEIGHT, fps: CLIP_FPS });
    assert.ok(results.every((r) => r.format === 'jpeg'));
    // an .avi too (mpeg4 by FFmpeg's default for it)
    const avi = join(dir, 'out.avi');
    await collect(network.video(clips.avi, { output: avi }));
    assert.equal(videoFacts(avi).frames, CLIP_IMAGES.length);
    await noChildrenLeft();
  });

  test('a classifier: each frame\'s predictions are classify() on the decoded frame', async () => {
    const tiny = await loadNetwork(tinyCfg, tinyWeights);
    try {
      const frames = decodedFrames(clips.mp4, join(dir, 'decoded-classify'));
      const results = await collect(tiny.video(clips.mp4, { top: 3 }));
      for (const [i, result] of results.entries()) {
        assert.equal(result.detections, undefined);
        assert.deepEqual(result.predictions, await tiny.classify(frames[i], { top: 3 }));
      }
      assert.throws(() => tiny.video(clips.mp4, { output: join(dir, 'x.mp4') }), (e) => e instanceof DarknetError && e.code === 'ERR_WRONG_TASK');
    } finally {
      await tiny.close();
    }
  });

  test('two streams on one network at once give what each gives alone (they share its queue)', async () => {
    const [a, b] = await Promise.all([collect(network.video(clips.mp4)), collect(network.video(clips.avi, { average: 2 }))]);
    assert.deepEqual(a.map((r) => r.detections), (await collect(network.video(clips.mp4))).map((r) => r.detections));
    assert.deepEqual(b.map((r) => r.detections), (await collect(network.video(clips.avi, { average: 2 }))).map((r) => r.detections));
  });
});

describe('frames from JavaScript', () => {
  test('raw frames and encoded images give what the file gives', async () => {
    const frames = decodedFrames(clips.mp4, join(dir, 'decoded-js'));
    const expected = await collect(network.video(clips.mp4, { average: 3 }));
    async function* raw() {
      for (const [i, path] of frames.entries()) {
        // the PNGs' pixels, decoded by FFmpeg into raw RGB
        const rgb = join(dir, `frame-${i}.rgb`);
        runFfmpeg(['-i', path, '-f', 'rawvideo', '-pix_fmt', 'rgb24', rgb]);
        yield { data: readFileSync(rgb), width: CLIP_WIDTH, height: CLIP_HEIGHT, channels: 3, time: i / CLIP_FPS };
      }
    }
    const fromRaw = await collect(network.video(raw(), { average: 3 }));
    assert.deepEqual(fromRaw.map((r) => [r.frame, r.time, r.detections]), expected.map((r) => [r.frame, r.time, r.detections]));
    const output = join(dir, 'from-js.mp4');
    const fromEncoded = await collect(network.video(frames.map((path) => readFileSync(path)), { average: 3, output }));
    assert.deepEqual(fromEncoded.map((r) => r.detections), expected.map((r) => r.detections));
    assert.deepEqual(fromEncoded.map((r) => [r.width, r.height]), expected.map(() => [CLIP_WIDTH, CLIP_HEIGHT]), 'the decoded size');
    // written at 25 fps (JavaScript frames have no rate), one frame per result
    assert.deepEqual(videoFacts(output), { frames: frames.length, width: CLIP_WIDTH, height: CLIP_HEIGHT, fps: 25 });
    // a bad frame fails the loop with a DarknetError, the network goes on
    await assert.rejects(collect(network.video([{ data: new Uint8Array(3), width: 2, height: 2, channels: 3 }])), (e) => e instanceof DarknetError && e.code === 'ERR_INVALID_INPUT');
    await assert.rejects(collect(network.video([Buffer.from('not an image')])), (e) => e instanceof DarknetError && e.code === 'ERR_INVALID_IMAGE');
    assert.deepEqual(await network.detect(frames[4]), (await collect(network.video(clips.mp4)))[4].detections);
  });
});

describe('live sources', () => {
  test('an HTTP camera in realtime: stale frames are dropped and counted, a drop is retried with back-off, then the stream fails', async () => {
    // 45 frames at 30 fps, cut; 45 more, cut; then 503s (the camera gone)
    const camera = await mjpegCamera(jpegs, { fps: 30, framesPerConnection: [45, 45] });
    try {
      assert.equal(isLiveSource(camera.url), true);
      const events = [];
      const results = [];
      const stream = network.video(camera.url, { retries: 2, onEvent: (e) => events.push(e) });
      await assert.rejects(
        (async () => {
          for await (const result of stream) {
            results.push(result);
            await new Promise((r) => setTimeout(r, 40)); // a slow consumer: frames pile up at the source
          }
        })(),
        (e) => e instanceof DarknetError && e.code === 'ERR_INVALID_VIDEO' && e.message.includes(camera.url) && /after 2 retries/.test(e.message),
      );
      // the second connection delivered frames: its drop starts the count again
      assert.deepEqual(events.map((e) => [e.type, e.attempt, e.delay]), [['retry', 1, 500], ['retry', 1, 500], ['retry', 2, 1000]]);
      assert.equal(camera.connections, 4);
      const indices = results.map((r) => r.frame);
      assert.deepEqual(indices, [...indices].sort((a, b) => a - b), 'frames in order');
      assert.equal(new Set(indices).size, indices.length);
      const dropped = results.reduce((sum, r) => sum + r.dropped, 0);
      assert.ok(dropped > 0, 'realtime dropped stale frames');
      assert.ok(indices.at(-1) >= 45, 'frames after the reconnection');
      assert.equal(results.length + dropped, indices.at(-1) + 1, 'every decoded frame is a result or dropped');
      await noChildrenLeft();
    } finally {
      await camera.close();
    }
  });

  test('realtime: false on a live source takes every frame', async () => {
    const camera = await mjpegCamera(jpegs, { fps: 60, framesPerConnection: [20] });
    try {
      const results = [];
      await assert.rejects(
        (async () => {
          for await (const r of network.video(camera.url, { realtime: false, retries: 0 })) results.push(r);
        })(),
        (e) => e.code === 'ERR_INVALID_VIDEO',
      );
      assert.deepEqual(results.map((r) => r.frame), Array.from({ length: 20 }, (_, i) => i));
      assert.ok(results.every((r) => r.dropped === 0));
    } finally {
      await camera.close();
    }
  });

  test('a URL that refuses, and one that never answers (the timeout)', async () => {
    const server = createServer(() => undefined); // accepts, says nothing
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const silent = `http://127.0.0.1:${server.address().port}/video`;
    const closed = createServer();
    await new Promise((r) => closed.listen(0, '127.0.0.1', r));
    const refused = `http://127.0.0.1:${closed.address().port}/video`;
    await new Promise((r) => closed.close(r));
    try {
      await assert.rejects(collect(network.video(refused)), (e) => e instanceof DarknetError && e.code === 'ERR_INVALID_VIDEO' && e.message.includes(refused));
      const start = Date.now();
      await assert.rejects(collect(network.video(silent, { timeout: 1000 })), (e) => e instanceof DarknetError && e.code === 'ERR_VIDEO_TIMEOUT' && e.message.includes(silent));
      assert.ok(Date.now() - start < 8000);
      await noChildrenLeft();
    } finally {
      server.close();
    }
  });
});

describe('bad sources and options', () => {
  test('each is one DarknetError naming the source; the network still detects', async () => {
    const expectCode = async (source, code, pattern) => {
      const run = async () => collect(network.video(source));
      await assert.rejects(run(), (e) => {
        assert.ok(e instanceof DarknetError, String(e));
        assert.equal(e.code, code, e.message);
        assert.match(e.message, pattern);
        return true;
      });
    };
    await expectCode(clips.notVideo, 'ERR_INVALID_VIDEO', /notvideo\.mp4 cannot be opened or decoded: FFmpeg: .+/);
    await expectCode(clips.truncated, 'ERR_INVALID_VIDEO', /truncated\.mp4 cannot be opened or decoded/);
    await expectCode(clips.audio, 'ERR_INVALID_VIDEO', /audio\.m4a has no video stream/);
    await expectCode(clips.empty, 'ERR_EMPTY_FILE', /empty\.mp4 is empty/);
    await expectCode(join(dir, 'missing.mp4'), 'ERR_FILE_NOT_FOUND', /missing\.mp4: no such file/);
    await expectCode(dir, 'ERR_NOT_A_FILE', /is not a file/);
    await expectCode(join(dir, 'seq', 'none_%04d.png'), 'ERR_INVALID_VIDEO', /none_%04d\.png/);
    await expectCode({ camera: 97 }, 'ERR_INVALID_VIDEO', /camera 97/);
    for (const [options, pattern] of [
      [{ every: 0 }, /every must be a positive integer/],
      [{ average: 1.5 }, /average must be a positive integer/],
      [{ draw: 'gif' }, /draw must be/],
      [{ thresh: 0 }, /thresh must be/],
      [{ realtime: 'yes' }, /realtime must be a boolean/],
      [{ retries: -1 }, /retries must be/],
      [{ timeout: 0 }, /timeout must be/],
      [{ output: '' }, /output must be a file path/],
      [{ signal: {} }, /signal must be an AbortSignal/],
    ]) {
      assert.throws(() => network.video(clips.mp4, options), (e) => e instanceof DarknetError && e.code === 'ERR_INVALID_INPUT' && pattern.test(e.message));
    }
    assert.throws(() => network.video({ camera: -1 }), (e) => e.code === 'ERR_INVALID_INPUT');
    assert.throws(() => network.video(42), (e) => e.code === 'ERR_INVALID_INPUT');
    // an output FFmpeg cannot write
    await assert.rejects(collect(network.video(clips.mp4, { output: join(dir, 'no-such-dir', 'out.mp4') })), (e) => e.code === 'ERR_VIDEO_OUTPUT' && /no-such-dir/.test(e.message));
    await noChildrenLeft();
    assert.ok((await network.detect(join(dir, 'img', 'dog.png'))).length > 0);
  });

  test('without FFmpeg: ERR_FFMPEG_NOT_FOUND saying how to get it', async () => {
    const script = `
      import { loadNetwork } from ${JSON.stringify(distIndex)};
      const network = await loadNetwork(${JSON.stringify(yoloCfg)}, ${JSON.stringify(yoloWeights)});
      for (const env of [{ PATH: '' }, { DARKNET_NAPI_FFMPEG: '/nonexistent/ffmpeg' }]) {
        Object.assign(process.env, env);
        try { network.video(${JSON.stringify(clips.mp4)}); console.log('no error'); }
        catch (e) { console.log(e.code + ' ' + e.message); }
        delete process.env.DARKNET_NAPI_FFMPEG;
      }
      await network.close();`;
    const out = await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, PATH: process.env.PATH } });
      let text = '';
      child.stdout.on('data', (d) => (text += d));
      child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`exit ${code}: ${text}`))));
    });
    const [first, second] = out.trim().split('\n');
    assert.match(first, /^ERR_FFMPEG_NOT_FOUND video needs FFmpeg, and none was found: install FFmpeg \(Debian\/Ubuntu: apt-get install ffmpeg/);
    assert.match(second, /^ERR_FFMPEG_NOT_FOUND DARKNET_NAPI_FFMPEG=\/nonexistent\/ffmpeg is not an executable file/);
  });

  test('the camera and URL arguments FFmpeg gets (-c N, -w/-h/-fps, rtsp over TCP)', () => {
    assert.deepEqual(inputArguments({ camera: 2 }, 'linux'), ['-f', 'v4l2', '-i', '/dev/video2']);
    assert.deepEqual(inputArguments({ camera: 0, width: 1280, height: 720, fps: 30 }, 'linux'), ['-f', 'v4l2', '-video_size', '1280x720', '-framerate', '30', '-i', '/dev/video0']);
    assert.deepEqual(inputArguments({ camera: 1 }, 'darwin'), ['-f', 'avfoundation', '-i', '1:none']);
    assert.deepEqual(inputArguments('rtsp://cam/stream'), ['-rtsp_transport', 'tcp', '-i', 'rtsp://cam/stream']);
    assert.deepEqual(decoderArguments('a.mp4').slice(-7), ['-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']);
    for (const [source, live] of [['a.mp4', false], ['http://h/v.mp4', false], ['http://h/video', true], ['rtsp://h/s', true], ['/dev/video0', true], [{ camera: 0 }, true], ['http://h/x.m3u8', false]]) {
      assert.equal(isLiveSource(source), live, String(source));
    }
  });
});

describe('no FFmpeg outlives its stream', () => {
  test('break, an error, abort and close end FFmpeg', async () => {
    for await (const result of network.video(clips.long)) {
      assert.equal(result.frame, 0);
      assert.ok(runningChildren() > 0);
      break;
    }
    await noChildrenLeft();

    const controller = new AbortController();
    await assert.rejects(
      (async () => {
        for await (const result of network.video(clips.long, { signal: controller.signal })) {
          if (result.frame === 1) controller.abort();
        }
      })(),
      (e) => e.name === 'AbortError',
    );
    await noChildrenLeft();

    const stream = network.video(clips.long);
    const info = await stream.info();
    assert.deepEqual([info.width, info.height, info.fps, info.live], [CLIP_WIDTH, CLIP_HEIGHT, CLIP_FPS, false]);
    stream.close();
    stream.close();
    assert.deepEqual(await collect(stream), []);
    await noChildrenLeft();

    await assert.rejects(
      (async () => {
        for await (const result of network.video(clips.long)) if (result.frame === 2) throw new Error('consumer failed');
      })(),
      /consumer failed/,
    );
    await noChildrenLeft();
  });

  // A background job of a non-interactive shell (a CI script's `&`) starts
  // with SIGINT ignored, and its children inherit that: no handler runs there.
  const ignored = (signal) => {
    try {
      const mask = BigInt(`0x${/^SigIgn:\s*([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0'}`);
      return ((mask >> BigInt(constants.signals[signal] - 1)) & 1n) === 1n;
    } catch {
      return false;
    }
  };
  for (const how of ['SIGTERM', 'SIGINT', 'exit']) {
    const skip = how !== 'exit' && ignored(how) && `${how} is ignored in this process (a background job), so in its children too`;
    test(`the parent's ${how} ends its FFmpeg (decoder and encoder)`, { skip }, async () => {
      const camera = await mjpegCamera(jpegs, { fps: 20 });
      try {
        const script = `
          import { loadNetwork } from ${JSON.stringify(distIndex)};
          const network = await loadNetwork(${JSON.stringify(yoloCfg)}, ${JSON.stringify(yoloWeights)});
          let results = 0;
          for await (const r of network.video(${JSON.stringify(camera.url)}, { output: ${JSON.stringify(join(dir, `parent-${how}.mp4`))} })) {
            // the second result: the encoder is running (realtime may drop frame 1 on a slow build)
            if (++results === 2) {
              console.log('running');
              // exit: once the test has listed the FFmpegs, on a line from it
              ${how === 'exit' ? "process.stdin.once('data', () => process.exit(3));" : ''}
            }
          }`;
        const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
        const started = setTimeout(() => child.kill('SIGKILL'), 60_000); // a child that never runs fails instead of hanging
        await new Promise((resolve, reject) => {
          child.stdout.once('data', resolve);
          child.once('exit', (code, signal) => reject(new Error(`the child ended (${code ?? signal}) before its second frame`)));
        });
        clearTimeout(started);
        const pids = ffmpegChildren(child.pid);
        assert.equal(pids.length, 2, 'decoder and encoder running');
        if (how === 'exit') child.stdin.write('exit\n');
        else child.kill(how);
        // a child that does not end fails the test instead of hanging it
        const stuck = setTimeout(() => child.kill('SIGKILL'), 15_000);
        const [code, signal] = await new Promise((resolve) => child.on('exit', (c, s) => resolve([c, s])));
        clearTimeout(stuck);
        assert.notEqual(signal, 'SIGKILL', `the child did not end on ${how}`);
        if (how === 'exit') assert.equal(code, 3);
        // by the signal, as without us (or, should its default action not have come, 128 + its number)
        else assert.ok(signal === how || code === 128 + constants.signals[how], `ended with ${code ?? signal}`);
        for (let i = 0; i < 100 && pids.some(alive); ++i) await new Promise((r) => setTimeout(r, 20));
        assert.deepEqual(pids.filter(alive), []);
      } finally {
        await camera.close();
      }
    });
  }
});

describe('stream servers', () => {
  test('a JSON client that stops reading is dropped past its buffer; the one that reads gets every frame', async () => {
    const { StreamServer } = await import('../dist/video/stream-server.js');
    const { frameJson } = await import('../dist/video/demo-json.js');
    const server = await StreamServer.listen('json', 0, '127.0.0.1', 64 * 1024);
    const stalled = connect(server.port, '127.0.0.1');
    stalled.pause();
    const reader = connect(server.port, '127.0.0.1');
    const chunks = [];
    reader.on('data', (d) => chunks.push(d));
    const ended = new Promise((r) => reader.on('end', r));
    await Promise.all([once(stalled, 'connect'), once(reader, 'connect')]);
    while (server.clients < 2) await new Promise((r) => setTimeout(r, 5));
    const detections = [{ label: 'dog', classIndex: 16, probability: 0.75, objectness: 0.9, box: { x: 0, y: 0, width: 1, height: 1 }, relativeBox: { x: 0.25, y: 0.25, width: 0.5, height: 0.5 } }];
    for (let frame = 1; frame <= 20000 && server.clients === 2; ++frame) {
      server.sendJson(frameJson(frame, detections));
      if (frame % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    assert.equal(server.clients, 1, 'the stalled client was dropped');
    await server.close();
    await ended;
    stalled.destroy();
    const body = Buffer.concat(chunks).toString();
    const frames = JSON.parse(body.slice(body.indexOf('\r\n\r\n') + 4));
    assert.deepEqual(frames.map((f) => f.frame_id), Array.from({ length: frames.length }, (_, i) => i + 1));
    assert.ok(frames.length > 100, `${frames.length} frames`);
    assert.deepEqual(frames[0].objects[0], { class_id: 16, name: 'dog', relative_coordinates: { center_x: 0.5, center_y: 0.5, width: 0.5, height: 0.5 }, confidence: 0.75 });
  });
});

describe('memory', () => {
  // ASan holds freed memory in its quarantine: RSS is not the measure there
  test('flat over 3000 frames of a long stream', { skip: SANITIZED && 'ASan keeps freed memory in its quarantine' }, async () => {
    // a small detector (fuzz/yolo_seed.cfg: 24x24) so that the stream's own costs dominate
    const cfg = join(dir, 'small.cfg');
    writeFileSync(cfg, readFileSync(join(root, 'fuzz', 'yolo_seed.cfg')));
    const weights = await writeSyntheticWeights(cfg, join(dir, 'small.weights'), 5);
    const small = await loadNetwork(cfg, weights, { labels: ['a', 'b', 'c'] });
    const video = join(dir, 'many.mp4');
    runFfmpeg(['-f', 'lavfi', '-i', 'testsrc=size=96x64:rate=100:duration=30', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', video]);
    try {
      let rssAt500 = 0;
      let count = 0;
      for await (const result of small.video(video, { average: 3, draw: 'jpeg' })) {
        assert.equal(result.frame, count++);
        if (count === 500) {
          global.gc?.();
          rssAt500 = process.memoryUsage().rss;
        }
      }
      global.gc?.();
      const growth = process.memoryUsage().rss - rssAt500;
      assert.equal(count, 3000);
      assert.ok(growth < 24 * 1024 * 1024, `RSS grew ${(growth / 1048576).toFixed(1)} MB over 2500 frames`);
    } finally {
      await small.close();
    }
  });
});
