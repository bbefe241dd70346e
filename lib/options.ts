import { DarknetError } from './errors.js';

/**
 * Every option check of the public API, in one place and one message style
 * ("<name> must be <what>, got <value>"), and the one object per call that
 * the addon takes (binding/napi/convert.cc turns each into its C struct,
 * dn_load_options / dn_run_options). A new option is one field here and one
 * in binding/ops/options.h.
 */

/**
 * How an image is fitted to the network's input:
 * - 'letterbox' (default): `./darknet classify`, load_image_color then letterbox_image.
 * - 'min': the 2016 Tiny Darknet flow, resize_min to the network width, then
 *   resize_network to that size (so the whole image is seen, uncropped).
 */
export type ResizeMode = 'letterbox' | 'min';

/**
 * What runs the layers. 'fast' (default): our multi-threaded, vectorized
 * convolution and max-pooling (binding/engine/fast_engine.c), darknet's own code for
 * every other layer; same arithmetic in the same order as darknet's CPU build,
 * so the same output bits on x86. 'darknet': darknet's own network_predict,
 * single-threaded, exactly as ./darknet runs it.
 */
export type Engine = 'fast' | 'darknet';

/**
 * The numerics of the fast engine's convolutions. 'exact' (default):
 * darknet's arithmetic in darknet's order, so darknet's output bits.
 * 'fast': batch norm and bias folded into the weights at load, FMA
 * multiply-adds where the CPU has them, bias and leaky applied in the GEMM
 * kernel's store: faster, and within the contract test/precision.test.mjs
 * checks (the same top-5 classes, detections at IoU >= 0.99 and probability
 * within 1e-3). Only with engine 'fast'.
 */
export type Precision = 'exact' | 'fast';

/** The environment variable that sets loadNetwork's default precision (for scripts). */
export const PRECISION_ENV = 'DARKNET_NAPI_PRECISION';

export const DEFAULT_LIMIT_NETWORK_BYTES = 8 * 1024 ** 3;

/** sharp's default: 0x3FFF x 0x3FFF. */
export const DEFAULT_LIMIT_INPUT_PIXELS = 268402689;

/** What the addon's load takes (dn_load_options). */
export interface NativeLoadOptions {
  /** 0: no limit. */
  limitNetworkBytes: number;
  /** The engine the network's runs use: with 'fast', darknet's copy of the weights is given up. */
  engine: Engine;
  /** With engine 'fast': 'fast' folds batch norm into packed weights and runs the FMA kernels. */
  precision: Precision;
}

/** What the addon's run takes (dn_run_options). */
export interface NativeRunOptions {
  resize: ResizeMode;
  engine: Engine;
  /** How many of darknet's top_k to return; 0: none. */
  top: number;
  hierarchy: boolean;
  /** 0: no limit. */
  limitInputPixels: number;
  /** Also return each layer's time (the fast engine's). */
  profile?: boolean;
}

/** What the addon's detect takes (dn_detect_options). */
export interface NativeDetectOptions {
  engine: Engine;
  /** 0: no limit. */
  limitInputPixels: number;
  thresh: number;
  hierThresh: number;
  nms: number;
  /** Also return every head's raw output. */
  heads: boolean;
  /** Also draw the detections and encode the image (binding/ops/draw.h); 'rgb': the drawn pixels themselves (video). */
  draw?: DrawFormat | 'rgb';
  /**
   * darknet's `detector demo` flow (binding/ops/options.h): the mean of the
   * heads over `average` frames, do_nms_obj; history holds (average + 1) x
   * the heads' floats and averageIndex is this frame's slot.
   */
  average?: number;
  averageIndex?: number;
  history?: Float32Array;
  /** With draw: a name for every class (draw_detections' labels). */
  names?: string[];
  /** With draw: darknet's data/labels/ (the label alphabet). */
  alphabetDir?: string;
}

/** How detect's drawn image is encoded: JPEG at quality 80 (darknet's save_image) or PNG (save_image_png). */
export type DrawFormat = 'jpeg' | 'png';

/** detect's `draw` option: true is 'jpeg', as ./darknet detector test writes predictions.jpg. */
export function drawOf(option: unknown): DrawFormat | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true || option === 'jpeg') return 'jpeg';
  if (option === 'png') return 'png';
  throw invalid(`draw must be true, false, 'jpeg' or 'png', got ${String(option)}`);
}

function invalid(message: string): DarknetError {
  return new DarknetError(message, 'ERR_INVALID_INPUT');
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1;
}

/** limitInputPixels as the addon takes it: 0 for none. */
export function limitInputPixelsOf(option: unknown): number {
  if (option === undefined) return DEFAULT_LIMIT_INPUT_PIXELS;
  if (option === false) return 0;
  if (!isPositiveInteger(option)) throw invalid(`limitInputPixels must be a positive integer or false, got ${String(option)}`);
  return option;
}

/** limitNetworkBytes as the addon takes it: 0 for none. */
export function limitNetworkBytesOf(option: unknown): number {
  const limit = option ?? DEFAULT_LIMIT_NETWORK_BYTES;
  if (limit === false) return 0;
  if (!isPositiveInteger(limit)) throw invalid(`limitNetworkBytes must be a positive integer or false, got ${String(limit)}`);
  return limit;
}

export function engineOf(option: unknown): Engine {
  const engine = option ?? 'fast';
  if (engine !== 'fast' && engine !== 'darknet') throw invalid(`engine must be 'fast' or 'darknet', got ${String(engine)}`);
  return engine;
}

/**
 * precision (default: DARKNET_NAPI_PRECISION when set, else 'exact'); 'fast'
 * needs the fast engine.
 */
export function precisionOf(option: unknown, engine: Engine): Precision {
  const fromEnv = process.env[PRECISION_ENV];
  const precision = option ?? (fromEnv === undefined || fromEnv === '' ? 'exact' : fromEnv);
  if (precision !== 'exact' && precision !== 'fast') {
    const source = option === undefined ? `${PRECISION_ENV}=` : '';
    throw invalid(`precision must be 'exact' or 'fast', got ${source}${String(precision)}`);
  }
  if (precision === 'fast' && engine !== 'fast') {
    throw invalid(`precision 'fast' runs in engine 'fast', not engine '${engine}'`);
  }
  return precision;
}

export function resizeOf(option: unknown): ResizeMode {
  const resize = option ?? 'letterbox';
  if (resize !== 'letterbox' && resize !== 'min') throw invalid(`resize must be 'letterbox' or 'min', got ${String(resize)}`);
  return resize;
}

/** top (default 5), at most `outputs`. */
export function topOf(option: unknown, outputs: number): number {
  const top = option ?? 5;
  if (!isPositiveInteger(top)) throw invalid(`top must be a positive integer, got ${String(top)}`);
  return Math.min(top, outputs);
}

/** An option that is a count or a size (default: `fallback`). */
export function positiveIntegerOf(name: string, option: unknown, fallback: number): number {
  const value = option ?? fallback;
  if (!isPositiveInteger(value)) throw invalid(`${name} must be a positive integer, got ${String(value)}`);
  return value;
}

/** classifyMany's concurrency (default: `fallback`). */
export function concurrencyOf(option: unknown, fallback: number): number {
  return positiveIntegerOf('concurrency', option, fallback);
}

/** setThreads' count: 1 to `max` (the pool's cap). */
export function threadCountOf(count: unknown, max: number): number {
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > max) {
    throw invalid(`setThreads: count must be an integer from 1 to ${max}, got ${String(count)}`);
  }
  return count;
}

/**
 * A detection threshold: a finite number in [0, 1] (default `fallback`);
 * with `positive`, 0 is refused too. detect's `thresh` is positive: at 0
 * every box darknet makes passes (yolov3 at 608x608: 22,743 boxes x 80
 * classes into an O(n^2) NMS), and darknet's own `prob > thresh` tests make
 * 0 and "keep everything" the same; a low positive thresh that still leaves
 * too many boxes is refused by the addon (binding/ops/detect.h).
 */
export function thresholdOf(name: string, option: unknown, fallback: number, positive = false): number {
  const value = option ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1 || (positive && value === 0)) {
    throw invalid(`${name} must be a number ${positive ? 'above 0 and at most 1' : 'from 0 to 1'}, got ${String(value)}`);
  }
  return value;
}
