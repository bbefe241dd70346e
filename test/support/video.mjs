// Videos for the video tests, made with FFmpeg (Debian's, which .ci/run
// installs) from darknet's sample images, and the helpers around them: the
// frames FFmpeg decodes (as lossless PNGs, for detect() and darknet's own
// demo), a live MJPEG-over-HTTP camera of the test's own, FFmpeg children.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

import { darknetDir } from './paths.mjs';

export const ffmpeg = process.env.DARKNET_NAPI_FFMPEG || 'ffmpeg';

export function runFfmpeg(args) {
  execFileSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A video's frames (decoded), size and rate, from `ffmpeg -i path -f null -`. */
export function videoFacts(path) {
  const result = spawnSync(ffmpeg, ['-hide_banner', '-nostdin', '-i', path, '-map', '0:v:0', '-f', 'null', '-'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ffmpeg could not decode ${path}: ${result.stderr}`);
  const text = result.stderr;
  const frames = [...text.matchAll(/frame=\s*(\d+)/g)].map((m) => Number(m[1])).pop() ?? 0;
  const size = /Video: [^\n]*?[ ,](\d{2,5})x(\d{2,5})[ ,[]/.exec(text);
  const fps = /(\d+(?:\.\d+)?) fps/.exec(text);
  return { frames, width: Number(size?.[1]), height: Number(size?.[2]), fps: Number(fps?.[1]) };
}

export const CLIP_IMAGES = ['dog', 'eagle', 'giraffe', 'horses', 'person'];
export const CLIP_WIDTH = 320;
export const CLIP_HEIGHT = 240;
export const CLIP_FPS = 10;

/**
 * In `dir`: the sample images scaled to 320x240 (img/NAME.png), and from them
 * clip.mp4 (h264), clip.avi (MJPEG), seq/frame_%04d.png (an image sequence),
 * long.mp4 (the five images over and over, `longFrames` frames), and the
 * broken ones: truncated.mp4 (the first third of a file whose index is at
 * its end), notvideo.mp4 (text), audio.m4a (no video stream), empty.mp4.
 * Returns the paths.
 */
export function makeClips(dir, { longFrames = 40 } = {}) {
  mkdirSync(join(dir, 'img'), { recursive: true });
  mkdirSync(join(dir, 'seq'), { recursive: true });
  CLIP_IMAGES.forEach((name, i) => {
    runFfmpeg(['-i', join(darknetDir, 'data', `${name}.jpg`), '-vf', `scale=${CLIP_WIDTH}:${CLIP_HEIGHT},setsar=1`, join(dir, 'img', `${name}.png`)]);
    writeFileSync(join(dir, 'seq', `frame_${String(i + 1).padStart(4, '0')}.png`), readFileSync(join(dir, 'img', `${name}.png`)));
  });
  const input = ['-framerate', String(CLIP_FPS), '-i', join(dir, 'seq', 'frame_%04d.png')];
  const paths = {
    mp4: join(dir, 'clip.mp4'),
    avi: join(dir, 'clip.avi'),
    sequence: join(dir, 'seq', 'frame_%04d.png'),
    long: join(dir, 'long.mp4'),
    truncated: join(dir, 'truncated.mp4'),
    notVideo: join(dir, 'notvideo.mp4'),
    audio: join(dir, 'audio.m4a'),
    empty: join(dir, 'empty.mp4'),
  };
  runFfmpeg([...input, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', paths.mp4]);
  runFfmpeg([...input, '-c:v', 'mjpeg', '-q:v', '3', paths.avi]);
  runFfmpeg(['-stream_loop', '-1', ...input, '-frames:v', String(longFrames), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', paths.long]);
  const whole = readFileSync(paths.mp4);
  writeFileSync(paths.truncated, whole.subarray(0, Math.floor(whole.length / 3)));
  writeFileSync(paths.notVideo, 'this is not a video\n'.repeat(100));
  runFfmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac', paths.audio]);
  writeFileSync(paths.empty, '');
  return paths;
}

/** The frames FFmpeg decodes from `video`, as RGB PNGs in `dir` (sorted paths). */
export function decodedFrames(video, dir) {
  mkdirSync(dir, { recursive: true });
  runFfmpeg(['-i', video, '-map', '0:v:0', '-fps_mode', 'passthrough', '-pix_fmt', 'rgb24', join(dir, 'frame_%04d.png')]);
  return readdirSync(dir).filter((name) => name.endsWith('.png')).sort().map((name) => join(dir, name));
}

/**
 * A camera of the test's own: an HTTP server on 127.0.0.1 (a free port)
 * sending JPEG frames as multipart/x-mixed-replace, as IP cameras do, at
 * `fps`. Each connection gets `framesPerConnection[k]` frames (the k-th
 * connection; Infinity: until it closes) and is then cut, as a camera that
 * drops; connections past the list are refused with a 503.
 */
export async function mjpegCamera(jpegs, { fps = 30, framesPerConnection = [Infinity] } = {}) {
  let connections = 0;
  const sockets = new Set();
  const server = createServer((request, response) => {
    const limit = framesPerConnection[connections++];
    if (limit === undefined) {
      response.writeHead(503).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=frame', connection: 'close' });
    let sent = 0;
    const timer = setInterval(() => {
      if (sent >= limit) {
        clearInterval(timer);
        response.socket?.destroy();
        return;
      }
      const jpeg = jpegs[sent % jpegs.length];
      response.write(`--frame\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\n\r\n`);
      response.write(jpeg);
      response.write('\r\n');
      ++sent;
    }, 1000 / fps);
    response.on('close', () => clearInterval(timer));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/video`,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(resolve);
      }),
  };
}

/**
 * `ps`, without the ASan runtime that npm run test:sanitize preloads into
 * node (and so into its children): preloaded into procps's ps, it hangs.
 */
function ps(args) {
  const { LD_PRELOAD: _preloaded, ...env } = process.env;
  return execFileSync('ps', args, { encoding: 'utf8', env });
}

/** PIDs of this process's (or `parent`'s) children whose command is FFmpeg. */
export function ffmpegChildren(parent = process.pid) {
  let out = '';
  try {
    out = ps(['-o', 'pid=,comm=', '--ppid', String(parent)]);
  } catch {
    return []; // ps exits 1 when there are none
  }
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, comm]) => comm === 'ffmpeg')
    .map(([pid]) => Number(pid));
}

/** Whether a process is alive (not a zombie). */
export function alive(pid) {
  try {
    const state = ps(['-o', 'stat=', '-p', String(pid)]).trim();
    return state !== '' && !state.startsWith('Z');
  } catch {
    return false;
  }
}

