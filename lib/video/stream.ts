import { DarknetError } from '../errors.js';
import type { RawImage } from '../input.js';
import { native } from '../native.js';
import type { Classification, Detection, DrawFormat, Network } from '../network.js';
import { positiveIntegerOf, thresholdOf } from '../options.js';
import { isLiveSource, openSource, type FrameReader, type SourceEvent, type SourceInfo, type VideoSource } from './source.js';
import { VideoWriter } from './writer.js';

export interface VideoOptions {
  /** Detectors: detect()'s thresholds (thresh 0.5, hierThresh 0.5, nms 0.45; with `average` > 1, nms 0.4 as darknet's demo). */
  thresh?: number;
  hierThresh?: number;
  nms?: number;
  /** Classifiers: how many of the best classes per frame (default 5). */
  top?: number;
  /** Take every Nth frame of the source (darknet's -s; default 1): the others are skipped and counted in `dropped`. */
  every?: number;
  /**
   * Detectors: darknet's `detector demo` averaging (src/demo.c): the heads'
   * outputs averaged over the last N frames (zeros before the stream's
   * start), then the boxes and do_nms_obj (nms default 0.4). Default 1:
   * every frame exactly as detect() on it.
   */
  average?: number;
  /**
   * Always the newest frame: frames that arrive while one is being
   * predicted replace each other, and the stale ones are dropped and
   * counted, so latency stays at one prediction. Default: true for live
   * sources (a camera, rtsp://, an http stream that names no file), false
   * for files (every frame, the decoder waiting for the network).
   */
  realtime?: boolean;
  /** Detectors: each result also carries the frame with darknet's boxes drawn (true or 'jpeg': JPEG at quality 80; 'png'; 'rgb': raw pixels). */
  draw?: boolean | DrawFormat | 'rgb';
  /** Detectors: also write the drawn frames as a video (the source's frame rate; format by extension) through FFmpeg. */
  output?: string;
  /** Ends the stream (FFmpeg killed, the iteration rejects with the signal's reason). */
  signal?: AbortSignal;
  /** Each result also carries the source frame itself (`input`: raw pixels, or the bytes a JavaScript source gave). */
  keepFrames?: boolean;
  /** Milliseconds a source may send nothing before ERR_VIDEO_TIMEOUT (default 10000). */
  timeout?: number;
  /** How often a live source that dropped is reopened, with back-off (default 5). */
  retries?: number;
  /** A live source's retries, as they happen. */
  onEvent?: (event: SourceEvent) => void;
}

/** One frame's result. */
export interface VideoResult {
  /** The frame's index in the source, from 0. */
  frame: number;
  /** Its timestamp in seconds (the stream's own). */
  time: number;
  width: number;
  height: number;
  /** Frames of the source skipped before this one (every, realtime). */
  dropped: number;
  /** Detectors: as detect() (or darknet's demo flow with average > 1). */
  detections?: Detection[];
  /** Classifiers: as classify(). */
  predictions?: Classification[];
  /** With draw: the drawn frame (encoded as `format`, or raw RGB for 'rgb'). */
  image?: Buffer;
  format?: DrawFormat | 'rgb';
  /** Milliseconds from the frame's arrival (its last byte from FFmpeg) to this result: its age when emitted. */
  latency: number;
  /** With keepFrames: the frame as the source gave it. */
  input?: RawImage | Uint8Array;
}

interface Plan {
  task: 'detect' | 'classify';
  thresh: number;
  hierThresh: number;
  nms: number;
  top: number;
  every: number;
  average: number;
  draw: DrawFormat | 'rgb' | undefined;
  /** What the addon draws: the asked format, or 'rgb' when an output also needs the pixels. */
  nativeDraw: DrawFormat | 'rgb' | undefined;
  output: string | undefined;
  timeout: number;
  retries: number;
}

function drawOf(option: unknown): DrawFormat | 'rgb' | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true || option === 'jpeg') return 'jpeg';
  if (option === 'png' || option === 'rgb') return option;
  throw new DarknetError(`draw must be true, false, 'jpeg', 'png' or 'rgb', got ${String(option)}`, 'ERR_INVALID_INPUT');
}

/** Every option checked before anything starts. */
function planOf(network: Network, options: VideoOptions): Plan {
  const task = network.task;
  const average = positiveIntegerOf('average', options.average, 1);
  const draw = drawOf(options.draw);
  const output = options.output;
  if (output !== undefined && (typeof output !== 'string' || output.length === 0)) {
    throw new DarknetError(`output must be a file path, got ${String(output)}`, 'ERR_INVALID_INPUT');
  }
  if (task === 'classify' && (average > 1 || draw !== undefined || output !== undefined)) {
    throw new DarknetError(`video: average, draw and output are for detectors; network ${network.cfg} is a classifier`, 'ERR_WRONG_TASK');
  }
  if (options.realtime !== undefined && typeof options.realtime !== 'boolean') {
    throw new DarknetError(`realtime must be a boolean, got ${String(options.realtime)}`, 'ERR_INVALID_INPUT');
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new DarknetError('signal must be an AbortSignal', 'ERR_INVALID_INPUT');
  }
  const retries = options.retries ?? 5;
  if (!Number.isInteger(retries) || retries < 0) throw new DarknetError(`retries must be an integer from 0, got ${String(retries)}`, 'ERR_INVALID_INPUT');
  return {
    task,
    thresh: thresholdOf('thresh', options.thresh, 0.5, true),
    hierThresh: thresholdOf('hierThresh', options.hierThresh, 0.5),
    nms: thresholdOf('nms', options.nms, average > 1 ? 0.4 : 0.45),
    top: positiveIntegerOf('top', options.top, 5),
    every: positiveIntegerOf('every', options.every, 1),
    average,
    draw,
    nativeDraw: output !== undefined && draw !== 'rgb' ? 'rgb' : draw,
    output,
    timeout: positiveIntegerOf('timeout', options.timeout, 10_000),
    retries,
  };
}

/**
 * A running video: an async iterable of per-frame results. Breaking out of
 * the loop, an error, the signal or close() stops FFmpeg (decoder and
 * encoder); the output video is finished when the source ends.
 */
export class VideoStream implements AsyncIterable<VideoResult> {
  readonly #network: Network;
  readonly #plan: Plan;
  readonly #reader: FrameReader;
  readonly #signal: AbortSignal | undefined;
  readonly #keepFrames: boolean;
  #stopped = false;
  #writer: VideoWriter | undefined;
  #iterating = false;
  #closed = false;
  readonly #onAbort: () => void;

  /** @internal Use network.video(). */
  constructor(network: Network, source: VideoSource, options: VideoOptions = {}) {
    this.#network = network;
    this.#plan = planOf(network, options);
    this.#signal = options.signal;
    this.#keepFrames = options.keepFrames === true;
    this.#signal?.throwIfAborted();
    const realtime = options.realtime ?? (typeof source === 'string' || (typeof source === 'object' && source !== null && 'camera' in source) ? isLiveSource(source as string) : false);
    this.#reader = openSource(source, { realtime, timeout: this.#plan.timeout, retries: this.#plan.retries, onEvent: options.onEvent });
    this.#onAbort = () => this.close();
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** The source's size, frame rate and whether it is live (known once FFmpeg has opened it). */
  info(): Promise<SourceInfo> {
    return this.#reader.info();
  }

  /** Ends the stream after the frames already taken (the output video is finished): the loop then ends normally. */
  stop(): void {
    this.#stopped = true;
    this.#reader.close();
  }

  /** Stops everything now (the output video is left as it is). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#reader.close();
    this.#writer?.abort();
  }

  /** The next frame to predict, with the frames skipped before it. */
  async #nextFrame(): Promise<{ frame: Awaited<ReturnType<FrameReader['next']>>; dropped: number; arrived: number }> {
    let dropped = 0;
    for (;;) {
      const next = await this.#reader.next();
      if (!next) return { frame: undefined, dropped, arrived: 0 };
      dropped += next.dropped;
      if (next.frame.index % this.#plan.every === 0) return { frame: next, dropped, arrived: next.frame.receivedAt };
      ++dropped;
    }
  }

  /** Predicts one frame (undefined at the source's end). */
  async #process(history: Float32Array | undefined, count: number): Promise<(VideoResult & { pixels?: Buffer }) | undefined> {
    const { frame: next, dropped, arrived } = await this.#nextFrame();
    if (!next) return undefined;
    const { frame } = next;
    const plan = this.#plan;
    const image = frame.image as RawImage | Uint8Array;
    const base = { frame: frame.index, time: frame.time, width: frame.width, height: frame.height, dropped, ...(this.#keepFrames ? { input: image } : {}) };
    if (plan.task === 'classify') {
      const predictions = await this.#network.classifyFrame(image, { top: plan.top }, this.#reader.owned);
      if (!this.#keepFrames) this.#reader.release(frame);
      return { ...base, predictions, latency: performance.now() - arrived };
    }
    const found = await this.#network.detectFrame(
      image,
      { thresh: plan.thresh, hierThresh: plan.hierThresh, nms: plan.nms },
      {
        draw: plan.nativeDraw,
        borrow: this.#reader.owned,
        average: history ? { frames: plan.average, index: count % plan.average, history } : undefined,
      },
    );
    // (an encoded frame from JavaScript has its size once decoded)
    const result: VideoResult & { pixels?: Buffer } = { ...base, width: found.width, height: found.height, detections: found.detections, latency: 0 };
    if (found.image) {
      if (plan.nativeDraw === 'rgb') result.pixels = found.image;
      if (plan.draw === 'rgb') {
        result.image = found.image;
        result.format = 'rgb';
      } else if (plan.draw !== undefined) {
        // an output needed the pixels: the asked format from them
        result.image = plan.nativeDraw === plan.draw ? found.image : await native().encodeImage(found.image, frame.width, frame.height, plan.draw);
        result.format = plan.draw;
      }
    }
    result.latency = performance.now() - arrived;
    if (!this.#keepFrames) this.#reader.release(frame);
    return result;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<VideoResult> {
    if (this.#iterating) throw new DarknetError('a video stream can be iterated once', 'ERR_INVALID_INPUT');
    this.#iterating = true;
    const plan = this.#plan;
    let finished = false;
    try {
      const history = plan.task === 'detect' && plan.average > 1 ? new Float32Array((plan.average + 1) * this.#network.headFloats) : undefined;
      let count = 0;
      // one frame ahead: the next prediction runs while the caller handles this result
      let pending = this.#process(history, count++);
      pending.catch(() => undefined);
      for (;;) {
        const result = await pending;
        this.#signal?.throwIfAborted();
        if (!result || this.#closed) break;
        pending = this.#stopped ? Promise.resolve(undefined) : this.#process(history, count++);
        pending.catch(() => undefined);
        const { pixels, ...visible } = result;
        if (plan.output !== undefined && pixels) {
          if (!this.#writer) {
            const info = await this.#reader.info();
            this.#writer = new VideoWriter(plan.output, result.width, result.height, info.fps);
          }
          await this.#writer.write(pixels);
        }
        yield visible;
      }
      this.#signal?.throwIfAborted();
      if (this.#writer) await this.#writer.close();
      finished = true;
    } finally {
      if (!finished) this.#writer?.abort();
      this.close();
    }
  }
}
