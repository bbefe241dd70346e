import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

import { DarknetError } from '../errors.js';
import type { RawImage } from '../input.js';
import { lowerPriority, track } from './children.js';
import { ffmpegPath, showinfoTakesChecksum } from './ffmpeg.js';

/**
 * Where frames come from:
 * - a string: anything FFmpeg opens. A file (mp4, mkv, avi, webm, mov...), an
 *   image sequence (`frame_%04d.png`), a URL (`http(s)://`, `rtsp://` (over
 *   TCP), `rtmp://`, HLS `.m3u8`, `udp://`, `srt://`), or a device path
 *   (`/dev/video0`: v4l2);
 * - `{ camera: N }`: camera N (/dev/videoN through v4l2 on Linux, avfoundation
 *   on macOS, dshow's Nth device name on Windows given as `{ camera: 'name' }`),
 *   with optional capture size and rate (darknet's -w, -h, -fps);
 * - an async iterable of frames from JavaScript: raw pixels
 *   (`{ data, width, height, channels }`, optionally `time` in seconds) or
 *   encoded images (Buffers of JPEG, PNG, ...).
 */
export type VideoSource = string | CameraSource | AsyncIterable<VideoFrameInput> | Iterable<VideoFrameInput>;

export interface CameraSource {
  camera: number | string;
  width?: number;
  height?: number;
  fps?: number;
}

export type VideoFrameInput = (RawImage & { time?: number }) | Uint8Array;

/** One decoded frame, as the pipeline passes it on. */
export interface SourceFrame {
  /** Index in the source, from 0 (frames FFmpeg decoded, skipped ones included). */
  index: number;
  /** Seconds: the frame's presentation timestamp (FFmpeg), or what the JavaScript source said (else since the start). */
  time: number;
  /** Raw pixels (RGB from FFmpeg), or the encoded bytes a JavaScript source gave. */
  image: RawImage | Uint8Array;
  width: number;
  height: number;
  /** performance.now() when its last byte came in (what a result's latency counts from). */
  receivedAt: number;
}

export interface SourceInfo {
  width: number;
  height: number;
  /** Frames per second of the source stream (25 when FFmpeg names none). */
  fps: number;
  /** A camera, a streaming URL: frames keep coming and stale ones may be dropped. */
  live: boolean;
}

export interface SourceEvent {
  type: 'retry';
  /** The retry's number, from 1. */
  attempt: number;
  /** Milliseconds waited before it. */
  delay: number;
  /** Why the source dropped (FFmpeg's last words). */
  reason: string;
}

export interface SourceOptions {
  /** Live sources: keep only the newest frame (stale ones dropped and counted). Files: every frame, with back-pressure. */
  realtime: boolean;
  /** Milliseconds without a frame before ERR_VIDEO_TIMEOUT. */
  timeout: number;
  /** How often a live source that dropped after delivering frames is reopened (back-off 0.5 s, doubling, at most 8 s). */
  retries: number;
  onEvent?: ((event: SourceEvent) => void) | undefined;
}

/** The frames of a source, pulled one at a time. */
export interface FrameReader {
  /** The source's name in messages. */
  readonly name: string;
  /** Whether its frames' buffers are the pipeline's own (FFmpeg's), which darknet may then read without a copy. */
  readonly owned: boolean;
  /** Size and rate, once the first frame's header is known (FFmpeg sources; a JavaScript source's first frame). */
  info(): Promise<SourceInfo>;
  /** The next frame to process, undefined at the end; `dropped` counts the frames discarded since the last call (realtime). */
  next(): Promise<{ frame: SourceFrame; dropped: number } | undefined>;
  /** Stops the source (kills FFmpeg). Idempotent. */
  close(): void;
  /** Gives a frame's buffer back once nothing reads it any more (FFmpeg sources reuse it). */
  release(frame: SourceFrame): void;
}

const URL_PROTOCOL = /^([a-z][a-z0-9+.-]*):\/\//i;
const LIVE_PROTOCOLS = new Set(['rtsp', 'rtsps', 'rtmp', 'rtmps', 'udp', 'rtp', 'srt', 'tcp']);
const FILE_EXTENSION = /\.(mp4|m4v|mkv|avi|webm|mov|flv|wmv|mpg|mpeg|ts|ogv|3gp|gif|jpe?g|png|bmp)(\?.*)?$/i;

/** A camera or a stream whose frames come in real time (an http(s) URL that names no video file is taken as a camera's stream). */
export function isLiveSource(source: string | CameraSource): boolean {
  if (typeof source !== 'string') return true;
  if (source.startsWith('/dev/video')) return true;
  const protocol = URL_PROTOCOL.exec(source)?.[1]?.toLowerCase();
  if (!protocol) return false;
  if (LIVE_PROTOCOLS.has(protocol)) return true;
  return (protocol === 'http' || protocol === 'https') && !FILE_EXTENSION.test(source) && !/\.m3u8(\?.*)?$/i.test(source);
}

export function sourceName(source: string | CameraSource): string {
  return typeof source === 'string' ? source : `camera ${String(source.camera)}`;
}

/** FFmpeg's input arguments for a source. */
export function inputArguments(source: string | CameraSource, platform: NodeJS.Platform = process.platform): string[] {
  if (typeof source === 'string') {
    const protocol = URL_PROTOCOL.exec(source)?.[1]?.toLowerCase();
    if (protocol === 'rtsp' || protocol === 'rtsps') return ['-rtsp_transport', 'tcp', '-i', source];
    if (source.startsWith('/dev/video') && platform === 'linux') return ['-f', 'v4l2', '-i', source];
    return ['-i', source];
  }
  const capture: string[] = [];
  if (source.width !== undefined && source.height !== undefined) capture.push('-video_size', `${source.width}x${source.height}`);
  if (source.fps !== undefined) capture.push('-framerate', String(source.fps));
  if (platform === 'darwin') return ['-f', 'avfoundation', ...capture, '-i', `${String(source.camera)}:none`];
  if (platform === 'win32') return ['-f', 'dshow', ...capture, '-i', `video=${String(source.camera)}`];
  return ['-f', 'v4l2', ...capture, '-i', `/dev/video${String(source.camera)}`];
}

/** FFmpeg's whole command line for decoding `source` to raw RGB on stdout, with each frame's timestamp on stderr. */
export function decoderArguments(source: string | CameraSource, platform: NodeJS.Platform = process.platform, checksum = false): string[] {
  return [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info',
    ...inputArguments(source, platform),
    '-map', '0:v:0', '-an', '-sn', '-dn',
    // showinfo: each frame's pts_time on stderr (without its checksums, which
    // cost as much as the decoding, where FFmpeg lets us say so);
    // passthrough: one output frame per decoded frame, none duplicated or dropped
    '-vf', checksum ? 'showinfo' : 'showinfo=checksum=0', '-fps_mode', 'passthrough',
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
  ];
}

const SHOWINFO = /\bn:\s*(\d+)\s+pts:\s*\S+\s+pts_time:(\S+)/;
const OUTPUT_SIZE = /[ ,](\d{1,5})x(\d{1,5})[ ,[]/;
const INPUT_FPS = /([\d.]+) (?:fps|tbr)\b/;

/** The lines of FFmpeg's stderr worth showing in an error (not the per-frame ones). */
function lastWords(lines: string[]): string {
  const useful = lines.filter((line) => !line.includes('Parsed_showinfo') && !/^\s*(Metadata|Side data|Duration|Stream mapping|Press|encoder|handler_name|vendor_id|major_brand|minor_version|compatible_brands|creation_time)\b/.test(line.trim()));
  return useful.slice(-3).map((line) => line.trim()).join(' / ') || 'no message';
}

/** One FFmpeg process's frames (see openSource). */
class FfmpegReader implements FrameReader {
  readonly name: string;
  readonly owned = true;
  readonly #source: string | CameraSource;
  readonly #options: SourceOptions;
  readonly #live: boolean;
  #child: ChildProcess | undefined;
  #closed = false;
  #failure: DarknetError | undefined;
  #ended = false;
  /** Complete frames not yet taken. */
  readonly #queue: SourceFrame[] = [];
  /** Frames whose bytes are in but whose timestamp is not yet (stderr lags stdout). */
  readonly #untimed: { index: number; image: RawImage; receivedAt: number }[] = [];
  readonly #times = new Map<number, number>();
  #dropped = 0;
  /** The next frame's index across restarts. */
  #indexBase = 0;
  #frameIndex = 0;
  #delivered = 0;
  #info: SourceInfo | undefined;
  #infoWaiters: { resolve: (info: SourceInfo) => void; reject: (error: Error) => void }[] = [];
  #wake: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #attempts = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #timeBase = 0;
  #lastTime = 0;

  constructor(source: string | CameraSource, options: SourceOptions) {
    this.#source = source;
    this.name = sourceName(source);
    this.#options = options;
    this.#live = isLiveSource(source);
    if (typeof source === 'string' && !URL_PROTOCOL.test(source) && !source.includes('%') && !source.startsWith('/dev/')) {
      // a file: the common mistakes named before FFmpeg's own words
      if (!existsSync(source)) throw new DarknetError(`video source ${source}: no such file`, 'ERR_FILE_NOT_FOUND');
      const stat = statSync(source);
      if (!stat.isFile()) throw new DarknetError(`video source ${source} is not a file`, 'ERR_NOT_A_FILE');
      if (stat.size === 0) throw new DarknetError(`video source ${source} is empty`, 'ERR_EMPTY_FILE');
    }
    this.#spawn(ffmpegPath());
  }

  #spawn(ffmpeg: string): void {
    const child = spawn(ffmpeg, decoderArguments(this.#source, process.platform, !showinfoTakesChecksum()), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    track(child);
    lowerPriority(child);
    const stderrLines: string[] = [];
    let stderrRest = '';
    let inOutput = false;
    let frameBytes = 0;
    let current: Buffer | undefined;
    let filled = 0;
    let pendingChunks: Buffer[] = [];
    const localTimes = new Map<number, number>();
    const base = this.#indexBase;
    let localIndex = 0;

    const takeFrame = (frame: Buffer): void => {
      this.#recycleSize = frame.length;
      const info = this.#info!;
      const index = base + localIndex++;
      this.#frameIndex = index + 1;
      const image: RawImage = { data: frame, width: info.width, height: info.height, channels: 3 };
      this.#untimed.push({ index, image, receivedAt: performance.now() });
      this.#flushTimed(localTimes, base);
    };
    const consume = (chunk: Buffer): void => {
      let at = 0;
      while (at < chunk.length) {
        current ??= this.#recycled.pop() ?? Buffer.allocUnsafe(frameBytes);
        const n = Math.min(frameBytes - filled, chunk.length - at);
        chunk.copy(current, filled, at, at + n);
        filled += n;
        at += n;
        if (filled === frameBytes) {
          takeFrame(current);
          current = undefined;
          filled = 0;
        }
      }
    };

    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      const lines = (stderrRest + text).split(/\r?\n|\r/);
      stderrRest = lines.pop() ?? '';
      for (const line of lines) {
        const shown = SHOWINFO.exec(line);
        if (shown) {
          localTimes.set(base + Number(shown[1]), Number(shown[2]));
          continue;
        }
        stderrLines.push(line);
        if (stderrLines.length > 40) stderrLines.shift();
        if (/^Input #0/.test(line)) inOutput = false;
        if (/^Output #0/.test(line)) inOutput = true;
        if (!inOutput && /Stream #0:\d+.*Video:/.test(line) && this.#inputFps === undefined) {
          const fps = INPUT_FPS.exec(line);
          if (fps) this.#inputFps = Number(fps[1]);
        }
        if (inOutput && /Stream #0:\d+.*Video:/.test(line) && frameBytes === 0) {
          const size = OUTPUT_SIZE.exec(line);
          if (size) {
            const width = Number(size[1]);
            const height = Number(size[2]);
            frameBytes = width * height * 3;
            this.#setInfo({ width, height, fps: this.#inputFps && this.#inputFps > 0 && this.#inputFps < 1000 ? this.#inputFps : 25, live: this.#live });
            for (const chunk of pendingChunks) consume(chunk);
            pendingChunks = [];
          }
        }
      }
      this.#flushTimed(localTimes, base);
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      this.#armTimer();
      if (frameBytes === 0) pendingChunks.push(chunk);
      else consume(chunk);
      if (!this.#options.realtime && this.#queue.length + this.#untimed.length >= 2) {
        // back-pressure: FFmpeg waits for us, and its silence is ours, not the source's
        child.stdout!.pause();
        this.#clearTimer();
      }
    });
    this.#armTimer();
    child.on('error', (error) => {
      this.#fail(new DarknetError(`video source ${this.name}: could not start FFmpeg (${ffmpeg}): ${error.message}`, 'ERR_FFMPEG_NOT_FOUND', { cause: error }));
    });
    child.on('close', (code, signal) => {
      if (this.#child !== child) return;
      this.#child = undefined;
      this.#clearTimer();
      // every timestamp FFmpeg will give is in: the rest get their index over the rate
      this.#flushTimed(localTimes, base, true);
      if (this.#closed || this.#failure) return this.#wakeUp();
      const frames = localIndex;
      const words = lastWords(stderrLines);
      if (frames === 0 && this.#delivered === 0 && this.#indexBase === 0) {
        const why = /matches no streams/.test(words) ? 'has no video stream' : code === 0 ? 'has no video frames' : 'cannot be opened or decoded';
        return this.#fail(new DarknetError(`video source ${this.name} ${why}: FFmpeg: ${words}`, 'ERR_INVALID_VIDEO'));
      }
      if (this.#live && !this.#closed) return this.#retry(words);
      if (code !== 0 && signal === null) {
        return this.#fail(new DarknetError(`video source ${this.name}: decoding stopped after ${frames} frames: FFmpeg: ${words}`, 'ERR_INVALID_VIDEO'));
      }
      this.#ended = true;
      this.#wakeUp();
    });
  }

  #inputFps: number | undefined;
  /** Frame buffers given back (release): a 720p frame is 2.7 MB, allocated 30 times a second otherwise. */
  readonly #recycled: Buffer[] = [];
  #recycleSize = 0;

  release(frame: SourceFrame): void {
    const data = (frame.image as RawImage).data;
    if (Buffer.isBuffer(data) && data.length === this.#recycleSize && this.#recycled.length < 4 && !this.#closed) this.#recycled.push(data);
  }

  #retry(words: string): void {
    if (this.#attempts >= this.#options.retries) {
      return this.#fail(new DarknetError(`video source ${this.name} dropped and did not come back after ${this.#attempts} retries: FFmpeg: ${words}`, 'ERR_INVALID_VIDEO'));
    }
    ++this.#attempts;
    const delay = Math.min(8000, 500 * 2 ** (this.#attempts - 1));
    this.#options.onEvent?.({ type: 'retry', attempt: this.#attempts, delay, reason: words });
    this.#indexBase = this.#frameIndex;
    // timestamps restart with the stream: keep them increasing across reopenings
    this.#timeBase = this.#lastTime;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.#closed || this.#failure) return;
      try {
        this.#spawn(ffmpegPath());
      } catch (error) {
        this.#fail(error as DarknetError);
      }
    }, delay);
  }

  /** Moves frames whose timestamps are known to the queue (all of them once `final`). */
  #flushTimed(times: Map<number, number>, base: number, final = false): void {
    while (this.#untimed.length > 0) {
      const first = this.#untimed[0]!;
      let time = times.get(first.index);
      if (time === undefined) {
        if (!final) break;
        time = (first.index - base) / (this.#info?.fps ?? 25);
      }
      times.delete(first.index);
      this.#untimed.shift();
      this.#lastTime = this.#timeBase + time;
      const frame: SourceFrame = { index: first.index, time: this.#lastTime, image: first.image, width: first.image.width, height: first.image.height, receivedAt: first.receivedAt };
      if (this.#options.realtime) {
        // the newest frame replaces a stale one not yet taken
        this.#dropped += this.#queue.length;
        this.#queue.length = 0;
      }
      this.#queue.push(frame);
      if (this.#attempts > 0 && this.#delivered > 0) this.#attempts = 0; // it came back
    }
    this.#wakeUp();
  }

  #setInfo(info: SourceInfo): void {
    if (this.#info) return;
    this.#info = info;
    for (const waiter of this.#infoWaiters) waiter.resolve(info);
    this.#infoWaiters = [];
  }

  #armTimer(): void {
    this.#clearTimer();
    this.#timer = setTimeout(() => {
      this.#fail(new DarknetError(`video source ${this.name} sent no frame for ${this.#options.timeout / 1000} s`, 'ERR_VIDEO_TIMEOUT'));
    }, this.#options.timeout);
    this.#timer.unref?.();
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #fail(error: DarknetError): void {
    if (this.#failure || this.#closed) return;
    this.#failure = error;
    for (const waiter of this.#infoWaiters) waiter.reject(error);
    this.#infoWaiters = [];
    this.#stop();
    this.#wakeUp();
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #stop(): void {
    this.#clearTimer();
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  #resume(): void {
    const stdout = this.#child?.stdout;
    if (stdout?.isPaused()) {
      stdout.resume();
      this.#armTimer();
    }
  }

  info(): Promise<SourceInfo> {
    if (this.#info) return Promise.resolve(this.#info);
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closed) return Promise.reject(new DarknetError(`video source ${this.name} was closed`, 'ERR_INVALID_VIDEO'));
    return new Promise((resolve, reject) => this.#infoWaiters.push({ resolve, reject }));
  }

  async next(): Promise<{ frame: SourceFrame; dropped: number } | undefined> {
    for (;;) {
      const frame = this.#queue.shift();
      if (frame) {
        if (!this.#options.realtime && this.#queue.length + this.#untimed.length < 2) this.#resume();
        const dropped = this.#dropped;
        this.#dropped = 0;
        ++this.#delivered;
        return { frame, dropped };
      }
      if (this.#failure) throw this.#failure;
      if (this.#closed || (this.#ended && !this.#child)) return undefined;
      this.#resume();
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const waiter of this.#infoWaiters) waiter.reject(new DarknetError(`video source ${this.name} was closed`, 'ERR_INVALID_VIDEO'));
    this.#infoWaiters = [];
    this.#stop();
    this.#queue.length = 0;
    this.#untimed.length = 0;
    this.#wakeUp();
  }
}

/** Frames a JavaScript iterable gives, pulled as they are needed. */
class IterableReader implements FrameReader {
  readonly name = 'frames from JavaScript';
  /** the caller may reuse its buffers once a frame is taken */
  readonly owned = false;
  readonly #iterator: AsyncIterator<VideoFrameInput> | Iterator<VideoFrameInput>;
  #index = 0;
  /** The first frame, pulled by info() before next() asked for it. */
  #peeked: { value: { frame: SourceFrame; dropped: number } | undefined } | undefined;
  #started = 0;
  #closed = false;

  constructor(source: AsyncIterable<VideoFrameInput> | Iterable<VideoFrameInput>) {
    this.#iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  }

  async #pull(): Promise<{ frame: SourceFrame; dropped: number } | undefined> {
    if (this.#closed) return undefined;
    const { value, done } = await this.#iterator.next();
    if (done || this.#closed) return undefined;
    const now = performance.now();
    if (this.#index === 0) this.#started = now;
    const index = this.#index++;
    if (index === 0) {
      const raw = value instanceof Uint8Array || value === null || typeof value !== 'object' ? undefined : value;
      this.#info = { width: raw?.width ?? 0, height: raw?.height ?? 0, fps: 25, live: false };
    }
    if (value instanceof Uint8Array) {
      return { frame: { index, time: (now - this.#started) / 1000, image: value, width: 0, height: 0, receivedAt: now }, dropped: 0 };
    }
    if (value === null || typeof value !== 'object' || !('data' in value)) {
      throw new DarknetError(`frame ${index} from JavaScript must be { data, width, height, channels } or a Buffer of an encoded image`, 'ERR_INVALID_INPUT');
    }
    const time = typeof value.time === 'number' && Number.isFinite(value.time) ? value.time : (now - this.#started) / 1000;
    return { frame: { index, time, image: value, width: value.width, height: value.height, receivedAt: now }, dropped: 0 };
  }

  #info: SourceInfo | undefined;

  /** The first frame's size (0 for an encoded one: its size is known once decoded), 25 fps (no rate is known). */
  async info(): Promise<SourceInfo> {
    if (this.#index === 0 && !this.#peeked) this.#peeked = { value: await this.#pull() };
    return this.#info ?? { width: 0, height: 0, fps: 25, live: false };
  }

  async next(): Promise<{ frame: SourceFrame; dropped: number } | undefined> {
    const peeked = this.#peeked;
    this.#peeked = undefined;
    return peeked ? peeked.value : this.#pull();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    void Promise.resolve(this.#iterator.return?.()).catch(() => undefined);
  }

  release(): void {
    // the caller's buffers are the caller's
  }
}

/** Opens a source (FFmpeg starts here; ERR_FFMPEG_NOT_FOUND or a file error at once). */
export function openSource(source: VideoSource, options: SourceOptions): FrameReader {
  if (typeof source === 'string') {
    if (source.length === 0) throw new DarknetError('video source must be a non-empty string', 'ERR_INVALID_INPUT');
    return new FfmpegReader(source, options);
  }
  if (source !== null && typeof source === 'object' && 'camera' in source) {
    const camera = source.camera;
    if (!(typeof camera === 'string' && camera.length > 0) && !(typeof camera === 'number' && Number.isInteger(camera) && camera >= 0)) {
      throw new DarknetError(`camera must be a device number from 0 (or a device name), got ${String(camera)}`, 'ERR_INVALID_INPUT');
    }
    for (const key of ['width', 'height', 'fps'] as const) {
      const value = source[key];
      if (value !== undefined && !(typeof value === 'number' && value > 0 && Number.isFinite(value))) {
        throw new DarknetError(`camera ${key} must be a positive number, got ${String(value)}`, 'ERR_INVALID_INPUT');
      }
    }
    return new FfmpegReader(source, options);
  }
  if (source !== null && typeof source === 'object' && (Symbol.asyncIterator in source || Symbol.iterator in source)) {
    return new IterableReader(source);
  }
  throw new DarknetError('video source must be a file or URL, { camera }, or an (async) iterable of frames', 'ERR_INVALID_INPUT');
}
