// `darknet detector demo` and `darknet detect ... <video>`: pjreddie's demo
// flags and AlexeyAB's (the ones tools pass today), over network.video().
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

import { DarknetError } from '../errors.js';
import { formatFixed, percentOf } from '../format.js';
import type { RawImage } from '../input.js';
import { native } from '../native.js';
import { loadNetwork, type Detection } from '../network.js';
import { extOutput, frameJson, JSON_ARRAY_CLOSE, JSON_ARRAY_OPEN, JSON_FRAME_SEPARATOR } from '../video/demo-json.js';
import type { CameraSource, SourceEvent, VideoSource } from '../video/source.js';
import { StreamServer } from '../video/stream-server.js';
import { onShutdown } from './shutdown.js';
import type { VideoOptions, VideoResult } from '../video/stream.js';

/** The demo's flags (lib/cli.ts parses them). */
export interface DemoFlags {
  thresh: number | undefined;
  hier: number | undefined;
  /** -c N: camera N. */
  camera: number | undefined;
  /** -s N: take every Nth frame. */
  skip: number | undefined;
  /** -avg N / -avgframes N (default 3). */
  average: number | undefined;
  /** -prefix NAME: each drawn frame saved as NAME_%08d.jpg. */
  prefix: string | undefined;
  /** -w, -h, -fps: the camera's capture size and rate. */
  width: number | undefined;
  height: number | undefined;
  fps: number | undefined;
  outFilename: string | undefined;
  jsonFileOutput: string | undefined;
  jsonPort: number | undefined;
  mjpegPort: number | undefined;
  dontdrawBbox: boolean;
  extOutput: boolean;
  benchmark: boolean;
  /** --listen ADDRESS: where the ports listen (default 127.0.0.1). */
  listen: string | undefined;
  quiet: boolean;
}

/** Extensions and forms that make `darknet detect ... <arg>` a video rather than an image. */
export function looksLikeVideo(arg: string): boolean {
  return (
    /^[a-z][a-z0-9+.-]*:\/\//i.test(arg) ||
    arg.startsWith('/dev/video') ||
    /%0?\d*d/.test(arg) ||
    /\.(mp4|m4v|mkv|avi|webm|mov|flv|wmv|mpg|mpeg|ts|ogv|3gp|m3u8|y4m)$/i.test(arg)
  );
}

function write(text: string): void {
  process.stdout.write(text);
}

/** printf("%s: %.0f%%") per detection, -ext_output's box after it. */
function objectLines(detections: readonly Detection[], width: number, height: number, ext: boolean): string {
  return detections
    .map((d) => `${d.label}: ${formatFixed(percentOf(d.probability), 0)}%${ext ? extOutput(d, width, height) : ''}\n`)
    .join('');
}

/** Writes a file through one stream, in order; its errors become ERR_VIDEO_OUTPUT. */
class FileOut {
  readonly #stream: WriteStream;
  #error: Error | undefined;
  constructor(readonly path: string) {
    this.#stream = createWriteStream(path);
    this.#stream.on('error', (error) => {
      this.#error = error;
    });
  }
  write(text: string): void {
    if (this.#error) throw new DarknetError(`${this.path}: ${this.#error.message}`, 'ERR_VIDEO_OUTPUT');
    this.#stream.write(text);
  }
  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#stream.end(resolve));
    if (this.#error) throw new DarknetError(`${this.path}: ${this.#error.message}`, 'ERR_VIDEO_OUTPUT');
  }
}

/**
 * Runs the demo on `input` (a file, URL or image sequence) or camera
 * `flags.camera`. Resolves to the exit status.
 */
export async function runDemo(cfg: string, weights: string, labels: string, input: string | undefined, flags: DemoFlags): Promise<number> {
  const source: VideoSource =
    input !== undefined
      ? input
      : ({
          camera: flags.camera ?? 0,
          ...(flags.width ? { width: flags.width } : {}),
          ...(flags.height ? { height: flags.height } : {}),
          ...(flags.fps ? { fps: flags.fps } : {}),
        } satisfies CameraSource);
  const host = flags.listen ?? '127.0.0.1';
  // the ports first: one in use fails before the network loads
  const servers: StreamServer[] = [];
  const closeServers = async (): Promise<void> => {
    await Promise.all(servers.map((server) => server.close()));
  };
  try {
    if (flags.jsonPort !== undefined) servers.push(await StreamServer.listen('json', flags.jsonPort, host));
    if (flags.mjpegPort !== undefined) servers.push(await StreamServer.listen('mjpeg', flags.mjpegPort, host));
  } catch (error) {
    await closeServers();
    throw error;
  }
  const jsonServer = servers.find((s) => s.kind === 'json');
  const mjpegServer = servers.find((s) => s.kind === 'mjpeg');
  const network = await loadNetwork(cfg, weights, { labels }).catch(async (error: unknown) => {
    await closeServers();
    throw error;
  });
  const drawn = !flags.benchmark && !flags.dontdrawBbox;
  const wantPixels = flags.outFilename !== undefined || mjpegServer !== undefined || flags.prefix !== undefined;
  const options: VideoOptions = {
    average: flags.average ?? 3,
    every: Math.max(1, flags.skip ?? 1),
    ...(flags.thresh !== undefined ? { thresh: flags.thresh } : {}),
    ...(flags.hier !== undefined ? { hierThresh: flags.hier } : {}),
    ...(flags.outFilename !== undefined ? { output: flags.outFilename } : {}),
    ...(drawn && wantPixels ? { draw: 'rgb' as const } : {}),
    ...(!drawn && wantPixels ? { keepFrames: true } : {}),
    onEvent: (event: SourceEvent) => {
      process.stderr.write(`darknet: ${source === input ? input : 'the camera'} dropped (${event.reason}); retry ${event.attempt} in ${event.delay / 1000} s\n`);
    },
  };
  if (!drawn && flags.outFilename !== undefined) {
    // -dontdraw_bbox: the video written back is the source's frames
    delete options.output;
  }
  let stream: ReturnType<typeof network.video>;
  try {
    if (network.task !== 'detect') throw new DarknetError(`${cfg} is not a detector (its last layer is not [yolo], [region] or [detection])`, 'ERR_WRONG_TASK');
    stream = network.video(source, options);
  } catch (error) {
    await network.close();
    await closeServers();
    throw error;
  }
  const stopListening = onShutdown(() => stream.stop());
  const jsonFile = flags.jsonFileOutput !== undefined ? new FileOut(flags.jsonFileOutput) : undefined;
  jsonFile?.write(JSON_ARRAY_OPEN);
  let undrawnWriter: import('../video/writer.js').VideoWriter | undefined;
  const tty = process.stdout.isTTY === true;
  let frameId = 0;
  const started = performance.now();
  let last = started;
  let fps = 0;
  try {
    write('Demo\n');
    write(input !== undefined ? `video file: ${input}\n` : `Webcam index: ${flags.camera ?? 0}\n`);
    const info = await stream.info();
    // AlexeyAB's line, which OpenDataCam reads the resolution from
    write(`Video stream: ${info.width} x ${info.height} \n`);
    for await (const result of stream) {
      ++frameId;
      const now = performance.now();
      fps = 1000 / Math.max(now - last, 1e-3);
      last = now;
      const avgFps = (frameId * 1000) / Math.max(now - started, 1e-3);
      const detections = result.detections ?? [];
      const json = jsonServer || jsonFile ? frameJson(frameId, detections) : '';
      jsonServer?.sendJson(json);
      if (jsonFile) jsonFile.write((frameId > 1 ? JSON_FRAME_SEPARATOR : '') + json);
      const pixels = drawn ? result.image : (result.input as RawImage | undefined)?.data;
      if (pixels && mjpegServer && mjpegServer.clients > 0) mjpegServer.sendJpeg(await native().encodeImage(pixels, result.width, result.height, 'jpeg'));
      if (pixels && flags.prefix !== undefined) await saveFrame(flags.prefix, frameId - 1, pixels, result);
      if (!drawn && pixels && flags.outFilename !== undefined) {
        const { VideoWriter } = await import('../video/writer.js');
        undrawnWriter ??= new VideoWriter(flags.outFilename, result.width, result.height, info.fps);
        await undrawnWriter.write(pixels);
      }
      if (!flags.quiet) {
        const lines = flags.benchmark ? '' : objectLines(detections, result.width, result.height, flags.extOutput);
        write(`${tty ? '\x1b[H\x1b[J' : ''}Objects:\n\n${lines}\nFPS:${formatFixed(fps, 1)} \t AVG_FPS:${formatFixed(avgFps, 1)}\n`);
      }
    }
    write('input video stream closed. \n');
    if (undrawnWriter) await undrawnWriter.close();
    if (jsonFile) {
      jsonFile.write(JSON_ARRAY_CLOSE);
      await jsonFile.close();
    }
    return 0;
  } catch (error) {
    undrawnWriter?.abort();
    if (jsonFile) await jsonFile.close().catch(() => undefined);
    throw error;
  } finally {
    stopListening();
    stream.close();
    await closeServers();
    await network.close();
  }
}

/** -prefix NAME: darknet's save_image(frame, "NAME_%08d"), a JPEG at quality 80. */
async function saveFrame(prefix: string, count: number, pixels: Uint8Array, result: VideoResult): Promise<void> {
  const path = `${prefix}_${String(count).padStart(8, '0')}.jpg`;
  const jpeg = await native().encodeImage(pixels, result.width, result.height, 'jpeg');
  const { writeFile } = await import('node:fs/promises');
  await mkdir(dirname(path), { recursive: true });
  try {
    await writeFile(path, jpeg);
  } catch (error) {
    throw new DarknetError(`-prefix: cannot write ${path}: ${(error as Error).message}`, 'ERR_VIDEO_OUTPUT');
  }
}
