import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { download, type DownloadProgress } from './models/download.js';
import { DarknetError, withCallerStack } from './errors.js';
import { checkInputFile } from './files.js';
import { captureInput, resolveInput, type ImageInput } from './input.js';
import { labelOf, resolveDetectorLabels, resolveLabels, type LabelsOption } from './labels.js';
import { darknetRoot } from './paths.js';
import type { VideoSource } from './video/source.js';
import { VideoStream, type VideoOptions } from './video/stream.js';
import { modelNamed, modelCfg, modelLabels, modelWeights, type ModelInfo } from './models/catalogue.js';
import {
  native,
  type NativeDetections,
  type NativeInput,
  type NativeLayer,
  type NativeNetwork,
  type NetworkParameters,
} from './native.js';
import {
  drawOf,
  engineOf,
  limitInputPixelsOf,
  limitNetworkBytesOf,
  positiveIntegerOf,
  precisionOf,
  resizeOf,
  thresholdOf,
  topOf,
  type DrawFormat,
  type Engine,
  type NativeDetectOptions,
  type NativeRunOptions,
  type Precision,
  type ResizeMode,
} from './options.js';

export type { DrawFormat, Engine, Precision, ResizeMode } from './options.js';
export { DEFAULT_LIMIT_INPUT_PIXELS, DEFAULT_LIMIT_NETWORK_BYTES } from './options.js';

export interface LoadOptions {
  /**
   * Names for the outputs: an array, a names-list path (one label per line),
   * or a darknet `.data` file (names=/labels=). Default: darknet's
   * data/imagenet.shortnames.list when it has a name for every output, as
   * `./darknet classify` uses through cfg/imagenet1k.data; else the index.
   */
  labels?: LabelsOption;
  /**
   * For a model name (`loadNetwork('tiny')`): download its weights into the
   * cache when they are not there yet. Without it, a missing model is an
   * ERR_MODEL_NOT_DOWNLOADED error.
   */
  download?: boolean;
  /** Progress of that download. */
  onDownloadProgress?: (progress: DownloadProgress) => void;
  /**
   * Images whose header claims more pixels (width x height) than this are
   * rejected (ERR_IMAGE_TOO_LARGE) before a pixel is decoded; raw pixel inputs
   * likewise. Default 268402689 (16383 x 16383, as sharp); false: no limit.
   */
  limitInputPixels?: number | false;
  /**
   * The most memory darknet may allocate while building the network and
   * loading its weights (a cfg can ask for terabytes): ERR_NETWORK_TOO_LARGE
   * beyond it. Default 8 GiB; false: no limit.
   */
  limitNetworkBytes?: number | false;
  /** What runs the layers (see Engine). Default 'fast'. */
  engine?: Engine;
  /**
   * The convolutions' numerics (see Precision): 'exact' (darknet's bits) or
   * 'fast' (batch norm folded into the weights, FMA kernels; engine 'fast'
   * only). Default: the DARKNET_NAPI_PRECISION environment variable when
   * set, else 'exact'.
   */
  precision?: Precision;
}

/**
 * The weights of a catalogue model, from the cache or, when allowed,
 * downloaded (verified against its size and sha256 where known, else by
 * loading them with its cfg, whose layers fix their exact size).
 */
export async function modelWeightsFor(
  model: ModelInfo,
  options: { download?: boolean; onDownloadProgress?: (progress: DownloadProgress) => void; sha256?: string; timeout?: number } = {},
): Promise<string> {
  const cached = modelWeights(model);
  if (existsSync(cached)) return cached;
  if (!options.download) {
    throw new DarknetError(
      `the weights of model ${model.name} are not downloaded yet: run \`darknet download ${model.name}\`, or pass { download: true }`,
      'ERR_MODEL_NOT_DOWNLOADED',
    );
  }
  return download(model, {
    ...(options.sha256 ? { sha256: options.sha256 } : {}),
    ...(options.timeout ? { timeout: options.timeout } : {}),
    ...(options.onDownloadProgress ? { onProgress: options.onDownloadProgress } : {}),
    verify: async (file) => {
      const network = await Network.load(modelCfg(model), file, { labels: [] });
      await network.close();
    },
  });
}

export interface PredictOptions {
  resize?: ResizeMode;
}

export interface ProfileOptions extends PredictOptions {
  /** How many predictions to time (default 20); each layer's time is their median. */
  runs?: number;
}

/** One layer's time in profile(): the median over the runs. */
export interface LayerTime {
  index: number;
  type: string;
  /**
   * 0 for a max-pool that precision 'fast' runs in one pass with the
   * convolution before it (algorithm 'fused': its time is counted there).
   */
  ms: number;
  /** darknet's count for a convolution (2 per multiply-add), else undefined. */
  flops?: number;
  /**
   * precision 'fast': how a convolution runs, chosen on its first prediction
   * by timing the candidates: 'gemm' (im2col folded into the GEMM's packing),
   * or Winograd F(2x2,3x3) / F(4x4,3x3) ('winograd-f2', 'winograd-f4') for a
   * 3x3 stride-1 one; 'fused' for a max-pool run inside the convolution
   * before it (DARKNET_NAPI_FUSE=off runs them apart); undefined for other
   * layers and in precision 'exact'.
   */
  algorithm?: LayerAlgorithm;
}

export type LayerAlgorithm = 'gemm' | 'winograd-f2' | 'winograd-f4' | 'fused';
const LAYER_ALGORITHMS: readonly (LayerAlgorithm | undefined)[] = [undefined, 'gemm', 'winograd-f2', 'winograd-f4', 'fused'];

export interface ClassifyOptions extends PredictOptions {
  /** How many of the best classes to return (default 5, at most `outputs`). */
  top?: number;
}

export interface Classification {
  label: string;
  probability: number;
  index: number;
}

export interface DetectOptions {
  /** A class is reported when its probability (objectness x class) is above this: (0, 1], default 0.5 (detector test's -thresh). */
  thresh?: number;
  /** [region] heads with a tree (yolo9000): the hierarchy's threshold, [0, 1], default 0.5 (-hier). */
  hierThresh?: number;
  /** do_nms_sort's IoU threshold, [0, 1], default 0.45 as detector test; 0: no NMS. */
  nms?: number;
  /**
   * Also return the image with the detections drawn as darknet's
   * draw_detections draws them, encoded: true or 'jpeg' (quality 80, the
   * bytes of detector test's predictions.jpg), or 'png' (save_image_png).
   */
  draw?: boolean | DrawFormat;
}

/** detect() with `draw`: the detections and the drawn image. */
export interface DrawnDetections {
  detections: Detection[];
  /** The input image with darknet's boxes and labels, encoded as `format`. */
  image: Buffer;
  format: DrawFormat;
}

/**
 * darknet's label alphabet (data/labels/: characters 32..126 in 8 sizes, the
 * PNGs darknet's load_alphabet reads from the working directory), from the
 * package's own darknet copy; DARKNET_NAPI_ALPHABET_DIR names another folder
 * (for the tests). Checked once per folder; the addon loads it once per
 * process.
 */
const checkedAlphabets = new Set<string>();
function alphabetDir(): string {
  const dir = process.env.DARKNET_NAPI_ALPHABET_DIR || join(darknetRoot, 'data', 'labels');
  if (checkedAlphabets.has(dir)) return dir;
  for (let size = 0; size < 8; ++size) {
    for (let char = 32; char < 127; ++char) {
      const file = join(dir, `${char}_${size}.png`);
      if (!existsSync(file)) {
        throw new DarknetError(
          `draw: darknet's label alphabet is missing ${file} (data/labels/, 760 PNGs, ships with the package's darknet copy)`,
          'ERR_FILE_NOT_FOUND',
        );
      }
    }
  }
  checkedAlphabets.add(dir);
  return dir;
}

/** A rectangle: top-left corner and size. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One line of `./darknet detector test`'s output ("label: NN%"), with its box. */
export interface Detection {
  label: string;
  classIndex: number;
  /** objectness x the class's probability, after NMS (darknet prints it x100 rounded). */
  probability: number;
  objectness: number;
  /**
   * In pixels of the input image, the rectangle darknet's draw_detections
   * draws: each edge truncated toward zero, then left and top raised to 0 and
   * right and bottom lowered to the last column and row (only those clamps:
   * a box wholly outside the image can come out with a width or height <= 0).
   * width = right - left, height = bottom - top.
   */
  box: Box;
  /**
   * darknet's own box (detection.bbox), unclamped floats: x, y the top-left
   * corner and width, height the size, all as fractions of the image's
   * width and height (centre = x + width / 2).
   */
  relativeBox: Box;
}

/** detectWithHeads' result: the detections and the raw outputs of every head. */
export interface DetectionsWithHeads {
  detections: Detection[];
  /** Each [yolo], [region] or [detection] layer's output after network_predict, in layer order. */
  heads: { layer: number; output: Float32Array }[];
  /** With `draw`: the drawn image (see DrawnDetections). */
  image?: Buffer;
  format?: DrawFormat;
  /** The input image's width and height (what `box` is in). */
  width: number;
  height: number;
}

/** @internal detectFrame's extras (see lib/video/stream.ts). */
export interface FrameDetectOptions {
  /** The drawn frame: encoded, or 'rgb' for its pixels. */
  draw?: DrawFormat | 'rgb' | undefined;
  /** darknet demo's averaging: this frame's slot in the stream's history. */
  average?: { frames: number; index: number; history: Float32Array } | undefined;
  /** Raw pixels the caller gives up: passed to darknet without a copy. */
  borrow?: boolean;
}

/** What a network does: its last layer is a detection head, or it is not. */
export type Task = 'classify' | 'detect';

/** One row of darknet's layer table. */
export type LayerSummary = Readonly<NativeLayer>;

/**
 * A loaded darknet network. Calls run on the libuv thread pool, one at a time
 * per network and in the order they were made; different networks run in
 * parallel. Call close() when done (a network left for the garbage collector,
 * or alive when its thread ends, is freed then).
 */
export class Network {
  /** Input width, height and channels from the cfg's [net] section. */
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  /** Number of output values (classes, for a classifier). */
  readonly outputs: number;
  /** 'detect' when the last layer is a [yolo], [region] or [detection] head (see detect()). */
  readonly task: Task;
  /** The head's class count for a detector; `outputs` for a classifier. */
  readonly classes: number;
  /** darknet's layer table. */
  readonly layers: readonly LayerSummary[];
  /** Number of float parameters in the weights file this cfg takes. */
  readonly parameters: number;
  /** The names of the outputs, or of a detector's classes (may be shorter than `outputs` for a classifier, or empty; missing names read as the index). */
  readonly labels: readonly string[];
  /** The files it was loaded from. */
  readonly cfg: string;
  readonly weights: string | undefined;

  #native: NativeNetwork | undefined;
  readonly #hierarchy: boolean;
  /** draw_detections' names: one per class (the index where there is no label). */
  #drawNames: string[] | undefined;
  /** limitInputPixels, 0 for none. */
  readonly #pixelLimit: number;
  /** What runs the layers. */
  readonly engine: Engine;
  /** The convolutions' numerics: 'exact' (darknet's bits) or 'fast' (see Precision). */
  readonly precision: Precision;
  #queue: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | undefined;

  /** Use loadNetwork(). */
  private constructor(
    nativeNetwork: NativeNetwork,
    info: Awaited<ReturnType<NativeNetwork['load']>>,
    labels: string[],
    cfg: string,
    weights: string | undefined,
    pixelLimit: number,
    engine: Engine,
    precision: Precision,
  ) {
    this.#native = nativeNetwork;
    this.engine = engine;
    this.precision = precision;
    this.#pixelLimit = pixelLimit;
    this.#hierarchy = info.hierarchy;
    this.width = info.width;
    this.height = info.height;
    this.channels = info.channels;
    this.outputs = info.outputs;
    this.task = info.task;
    this.classes = info.classes;
    this.layers = Object.freeze(info.layers.map((layer) => Object.freeze(layer)));
    this.parameters = info.weightFloats;
    this.labels = Object.freeze(labels);
    this.cfg = cfg;
    this.weights = weights;
  }

  /** @internal */
  static async load(cfg: string, weights: string | undefined, options: LoadOptions = {}): Promise<Network> {
    const callSite = new Error();
    try {
      // A catalogue name where a cfg goes: its cfg, labels and cached weights.
      const model = weights === undefined && typeof cfg === 'string' ? modelNamed(cfg) : undefined;
      if (model) {
        weights = await modelWeightsFor(model, options);
        options = { ...options, labels: options.labels ?? modelLabels(model) };
        cfg = modelCfg(model);
      }
      const pixelLimit = limitInputPixelsOf(options.limitInputPixels);
      const engine = engineOf(options.engine);
      const precision = precisionOf(options.precision, engine);
      const cfgPath = await checkInputFile(cfg, 'cfg');
      const weightsPath = weights === undefined ? null : await checkInputFile(weights, 'weights');
      const nativeNetwork = new (native().NativeNetwork)();
      const limitNetworkBytes = limitNetworkBytesOf(options.limitNetworkBytes);
      const info = await nativeNetwork.load(cfgPath, weightsPath, { limitNetworkBytes, engine, precision });
      let labels: string[];
      try {
        labels =
          info.task === 'detect'
            ? await resolveDetectorLabels(options.labels, info.classes)
            : await resolveLabels(options.labels, info.outputs);
      } catch (error) {
        nativeNetwork.close();
        throw error;
      }
      return new Network(nativeNetwork, info, labels, cfg, weights, pixelLimit, engine, precision);
    } catch (error) {
      throw withCallerStack(error, callSite);
    }
  }

  /** The addon's options for one run. */
  #runOptions(resize: ResizeMode, top: number, hierarchy: boolean): NativeRunOptions {
    return { resize, engine: this.engine, top, hierarchy, limitInputPixels: this.#pixelLimit };
  }

  /** The pixel limit this network enforces (false: none). */
  get limitInputPixels(): number | false {
    return this.#pixelLimit > 0 ? this.#pixelLimit : false;
  }

  /** Whether close() has been called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Runs `work` after every call made before it, with the caller's stack on errors. */
  #enqueue<T>(work: (nativeNetwork: NativeNetwork) => Promise<T>, prepare?: () => void): Promise<T> {
    const callSite = new Error();
    try {
      if (this.#closing) throw new DarknetError(`network ${this.cfg} is closed`, 'ERR_NETWORK_CLOSED');
      prepare?.();
    } catch (error) {
      return Promise.reject(withCallerStack(error, callSite));
    }
    const run = async (): Promise<T> => {
      const nativeNetwork = this.#native;
      if (!nativeNetwork) throw new DarknetError(`network ${this.cfg} is closed`, 'ERR_NETWORK_CLOSED');
      return work(nativeNetwork);
    };
    const result = this.#queue.then(run, run).catch((error: unknown) => {
      throw withCallerStack(error, callSite);
    });
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /**
   * The network's whole output for an image (for a classifier: the
   * probability of every class, in class order), as darknet's network_predict
   * returns it.
   */
  predict(input: ImageInput, options?: PredictOptions): Promise<Float32Array> {
    let captured: NativeInput;
    let resize: ResizeMode;
    const prepare = (): void => {
      resize = resizeOf(options?.resize);
      captured = captureInput(input, this.#pixelLimit);
    };
    return this.#enqueue(async (nativeNetwork) => {
      const { output } = await nativeNetwork.run(await resolveInput(captured), this.#runOptions(resize, 0, false));
      return output;
    }, prepare);
  }

  /**
   * Each layer's time in the fast engine, the median of `runs` predictions
   * on the input (timed inside each prediction, layer by layer).
   */
  profile(input: ImageInput, options?: ProfileOptions): Promise<LayerTime[]> {
    let captured: NativeInput;
    let resize: ResizeMode;
    let runs: number;
    const prepare = (): void => {
      if (this.engine !== 'fast') throw new DarknetError(`profile() times the fast engine's layers; network ${this.cfg} uses engine '${this.engine}'`, 'ERR_INVALID_INPUT');
      resize = resizeOf(options?.resize);
      runs = positiveIntegerOf('runs', options?.runs, 20);
      captured = captureInput(input, this.#pixelLimit);
    };
    return this.#enqueue(async (nativeNetwork) => {
      const resolved = await resolveInput(captured);
      const times: number[][] = this.layers.map(() => []);
      let algorithms: Int32Array | undefined;
      for (let run = 0; run < runs; ++run) {
        const { layerMs, layerAlgorithms } = await nativeNetwork.run(resolved, { ...this.#runOptions(resize, 0, false), profile: true });
        layerMs?.forEach((ms, i) => times[i]?.push(ms));
        algorithms = layerAlgorithms;
      }
      return this.layers.map((layer, i) => {
        const sorted = (times[i] ?? []).sort((a, b) => a - b);
        const algorithm = LAYER_ALGORITHMS[algorithms?.[i] ?? 0];
        return { index: layer.index, type: layer.type, ms: sorted[sorted.length >> 1] ?? Number.NaN, ...(layer.flops ? { flops: layer.flops } : {}), ...(algorithm ? { algorithm } : {}) };
      });
    }, prepare);
  }

  /** A DarknetError for a call this network's task does not take. */
  #checkTask(task: Task, call: string): void {
    if (this.task === task) return;
    const what = this.task === 'detect' ? 'a detector (use detect())' : 'not a detector (its last layer is not [yolo], [region] or [detection]; use classify())';
    throw new DarknetError(`${call}: network ${this.cfg} is ${what}`, 'ERR_WRONG_TASK');
  }

  /** The `top` most probable classes, best first, ranked by darknet's top_k. */
  classify(input: ImageInput, options?: ClassifyOptions): Promise<Classification[]> {
    return this.#classify(input, options, false);
  }

  /** @internal The video pipeline's classify(): `borrow` when the frame is its own (no copy of its pixels). */
  classifyFrame(input: ImageInput, options: ClassifyOptions, borrow: boolean): Promise<Classification[]> {
    return this.#classify(input, options, borrow);
  }

  #classify(input: ImageInput, options: ClassifyOptions | undefined, borrow: boolean): Promise<Classification[]> {
    let captured: NativeInput;
    let resize: ResizeMode;
    let top: number;
    const prepare = (): void => {
      this.#checkTask('classify', 'classify');
      resize = resizeOf(options?.resize);
      top = topOf(options?.top, this.outputs);
      captured = captureInput(input, this.#pixelLimit, borrow);
    };
    return this.#enqueue(async (nativeNetwork) => {
      const result = await nativeNetwork.run(await resolveInput(captured), this.#runOptions(resize, top, this.#hierarchy));
      return Array.from(result.top, (index) => ({
        label: labelOf(this.labels, index),
        probability: result.output[index] ?? Number.NaN,
        index,
      }));
    }, prepare);
  }

  /**
   * Objects in the image, as `./darknet detector test` finds and prints them:
   * letterbox_image to the network's size, network_predict,
   * get_network_boxes, do_nms_sort (when nms > 0); then every box in darknet's
   * order with each class whose probability is above `thresh`, classes
   * ascending. A [detection] head (YOLOv1) takes examples/yolo.c's flow
   * instead (the image stretched to the network's size), whose boxes are
   * right where detector test's are not.
   */
  detect(input: ImageInput, options: DetectOptions & { draw: true | DrawFormat }): Promise<DrawnDetections>;
  detect(input: ImageInput, options?: DetectOptions & { draw?: false }): Promise<Detection[]>;
  detect(input: ImageInput, options?: DetectOptions): Promise<Detection[] | DrawnDetections>;
  detect(input: ImageInput, options?: DetectOptions): Promise<Detection[] | DrawnDetections> {
    return this.#detect(input, options, false).then(({ detections, image, format }) =>
      image !== undefined && format !== undefined ? { detections, image, format } : detections,
    );
  }

  /** detect(), and the raw output of every head (the parity tests compare them bit for bit). */
  detectWithHeads(input: ImageInput, options?: DetectOptions): Promise<DetectionsWithHeads> {
    return this.#detect(input, options, true);
  }

  /**
   * @internal The video pipeline's detect (lib/video/stream.ts): options
   * already checked there, darknet's demo averaging, the drawn frame as raw
   * RGB. Queued with this network's other calls.
   */
  detectFrame(input: ImageInput, options: DetectOptions, frame: FrameDetectOptions): Promise<DetectionsWithHeads> {
    return this.#detect(input, options, false, frame);
  }

  /** The floats of all its heads together (darknet demo's size_network): a video's averaging history is (average + 1) times this. */
  get headFloats(): number {
    return this.layers.reduce((sum, layer) => sum + (layer.type === 'yolo' || layer.type === 'region' || layer.type === 'detection' ? layer.outputs : 0), 0);
  }

  #detect(input: ImageInput, options: DetectOptions | undefined, heads: boolean, frame?: FrameDetectOptions): Promise<DetectionsWithHeads> {
    let captured: NativeInput;
    let detectOptions: NativeDetectOptions;
    const prepare = (): void => {
      this.#checkTask('detect', 'detect');
      detectOptions = {
        engine: this.engine,
        limitInputPixels: this.#pixelLimit,
        thresh: thresholdOf('thresh', options?.thresh, 0.5, true),
        hierThresh: thresholdOf('hierThresh', options?.hierThresh, 0.5),
        nms: thresholdOf('nms', options?.nms, 0.45),
        heads,
        ...(frame?.average ? { average: frame.average.frames, averageIndex: frame.average.index, history: frame.average.history } : {}),
      };
      const draw = frame ? frame.draw : drawOf(options?.draw);
      if (draw !== undefined) {
        detectOptions.draw = draw;
        detectOptions.alphabetDir = alphabetDir();
        this.#drawNames ??= Array.from({ length: this.classes }, (_, i) => labelOf(this.labels, i));
        detectOptions.names = this.#drawNames;
      }
      captured = captureInput(input, this.#pixelLimit, frame?.borrow);
    };
    return this.#enqueue(async (nativeNetwork) => {
      const result = await nativeNetwork.detect(await resolveInput(captured), detectOptions);
      const found: DetectionsWithHeads = { detections: this.#detections(result), heads: result.heads ?? [], width: result.width, height: result.height };
      if (result.image && detectOptions.draw) {
        found.image = result.image;
        if (detectOptions.draw !== 'rgb') found.format = detectOptions.draw;
      }
      return found;
    }, prepare);
  }

  /** The addon's columns as Detection objects. */
  #detections(result: NativeDetections): Detection[] {
    return Array.from(result.classIndex, (classIndex, i) => {
      const [x = 0, y = 0, w = 0, h = 0] = result.box.subarray(4 * i, 4 * i + 4);
      const [left = 0, top = 0, right = 0, bottom = 0] = result.rect.subarray(4 * i, 4 * i + 4);
      return {
        label: labelOf(this.labels, classIndex),
        classIndex,
        probability: result.probability[i] ?? Number.NaN,
        objectness: result.objectness[i] ?? Number.NaN,
        box: { x: left, y: top, width: right - left, height: bottom - top },
        // darknet's float arithmetic for the corner (b.x - b.w/2), in doubles here
        relativeBox: { x: x - w / 2, y: y - h / 2, width: w, height: h },
      };
    });
  }

  /**
   * Runs the network on every frame of a video, a camera, a stream or an
   * iterable of frames (see VideoSource, VideoOptions): an async iterable of
   * per-frame results. FFmpeg decodes (and encodes `output`); its problems
   * are DarknetErrors (ERR_FFMPEG_NOT_FOUND, ERR_INVALID_VIDEO,
   * ERR_VIDEO_TIMEOUT, ERR_VIDEO_OUTPUT). Several streams on one network
   * share its queue.
   */
  video(source: VideoSource, options?: VideoOptions): VideoStream {
    return new VideoStream(this, source, options);
  }

  /**
   * darknet's description of every layer as it parsed and loaded it, with a
   * copy of each parameter array (biases, scales, rolling mean and variance,
   * weights) in darknet's in-memory layout. What the ONNX export is built from.
   */
  layerParameters(): Promise<NetworkParameters> {
    return this.#enqueue((nativeNetwork) => nativeNetwork.parameters());
  }

  /**
   * Frees darknet's memory once the calls already made have finished; later
   * calls reject with ERR_NETWORK_CLOSED. Idempotent: every call returns the
   * same promise.
   */
  close(): Promise<void> {
    this.#closing ??= this.#queue.then(() => {
      this.#native?.close();
      this.#native = undefined;
    });
    return this.#closing;
  }

  /** `await using network = await loadNetwork(...)` closes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Loads a darknet network: parses `cfg` and, when given, loads `weights`
 * (whose size must be exactly what the cfg's layers need). Without weights
 * the network keeps darknet's random initial values. `cfg` may also be a
 * model name from the catalogue (`loadNetwork('tiny', undefined, { download: true })`).
 */
export function loadNetwork(cfg: string, weights?: string, options?: LoadOptions): Promise<Network> {
  return Network.load(cfg, weights, options);
}

/** The one-shot form of `./darknet classify cfg weights image`: load, classify, close. */
export async function classify(
  cfg: string,
  weights: string,
  input: ImageInput,
  options?: ClassifyOptions & LoadOptions,
): Promise<Classification[]> {
  const network = await loadNetwork(cfg, weights, options);
  try {
    return await network.classify(input, options);
  } finally {
    await network.close();
  }
}
