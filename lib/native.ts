import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

import { binaryProblem } from './binary-check.js';
import { DarknetError } from './errors.js';
import type { NativeDetectOptions, NativeLoadOptions, NativeRunOptions } from './options.js';
import { packageRoot } from './paths.js';

/** An image as the addon takes it (validated in input.ts). */
export type NativeInput =
  | { path: string }
  | { bytes: Uint8Array }
  | { pixels: Uint8Array; width: number; height: number; channels: number; borrow?: boolean };

export interface NativeLayer {
  index: number;
  type: string;
  input: [number, number, number];
  output: [number, number, number];
  outputs: number;
  filters?: number;
  size?: number;
  stride?: number;
  groups?: number;
  batchNormalize?: boolean;
  flops?: number;
}

export interface NativeNetworkInfo {
  width: number;
  height: number;
  channels: number;
  outputs: number;
  hierarchy: boolean;
  /** 'detect' when the last layer is a [yolo], [region] or [detection] head. */
  task: 'classify' | 'detect';
  /** The head's classes (a detector), else the outputs. */
  classes: number;
  weightFloats: number;
  layers: NativeLayer[];
}

/**
 * One layer as darknet parsed and loaded it (binding/ops/layer_params.c):
 * its fields, and copies of the parameter arrays load_weights filled (those
 * present for convolutional, connected and batchnorm layers). Fields a layer
 * type does not use hold darknet's zero values.
 */
export interface LayerParameters {
  index: number;
  /** darknet's type name ("convolutional", ...). */
  type: string;
  /** get_activation_string of the layer's activation. */
  activation: string;
  input: [number, number, number];
  output: [number, number, number];
  inputs: number;
  outputs: number;
  filters: number;
  size: number;
  stride: number;
  /** The padding darknet uses (convolutional: pad=1 already turned into size/2). */
  pad: number;
  groups: number;
  batchNormalize: boolean;
  flipped: boolean;
  binary: boolean;
  xnor: boolean;
  noadjust: boolean;
  /** [shortcut]: the layer it adds. */
  from: number;
  /** [route]: its input layers. */
  layers: number[];
  /** [softmax]: a tree= hierarchy. */
  tree: boolean;
  alpha: number;
  beta: number;
  temperature: number;
  /** [upsample]: a negative stride= (darknet downsamples by -stride). */
  reverse: boolean;
  /** [upsample]: scale=, the factor on every output (0 for other layers). */
  scale: number;
  /** [yolo], [region]: classes= (0 for other layers). */
  classes: number;
  /** [region]: coords=; 4 for [yolo] (0 for other layers). */
  coords: number;
  /** [region]: softmax= (over each anchor's classes) and background=. */
  softmax: boolean;
  background: boolean;
  biases?: Float32Array;
  scales?: Float32Array;
  rollingMean?: Float32Array;
  rollingVariance?: Float32Array;
  weights?: Float32Array;
}

export interface NetworkParameters {
  width: number;
  height: number;
  channels: number;
  outputs: number;
  /** get_network_output_layer: the last layer that is not [cost]. */
  outputLayer: number;
  layers: LayerParameters[];
}

/** darknet's detections as columns (binding/napi/detect_worker.cc). */
export interface NativeDetections {
  classIndex: Int32Array;
  probability: Float32Array;
  objectness: Float32Array;
  /** darknet's box per detection: centre x, y, width, height, fractions of the image. */
  box: Float32Array;
  /** draw_detections' rectangle per detection: left, top, right, bottom pixels. */
  rect: Int32Array;
  /** With `heads`: every head's raw output. */
  heads?: { layer: number; output: Float32Array }[];
  /** With `draw`: the image with the detections drawn, encoded. */
  image?: Buffer;
  /** The image's size (what `rect` is in). */
  width: number;
  height: number;
}

export interface NativeNetwork {
  load(cfg: string, weights: string | null, options: NativeLoadOptions): Promise<NativeNetworkInfo>;
  run(input: NativeInput, options: NativeRunOptions): Promise<{ output: Float32Array; top: Int32Array; layerMs?: Float64Array; layerAlgorithms?: Int32Array }>;
  detect(input: NativeInput, options: NativeDetectOptions): Promise<NativeDetections>;
  parameters(): Promise<NetworkParameters>;
  close(): void;
}

export interface NativeBuild {
  version: string;
  darknetCommit: string;
  compiler: string;
  cFlags: string;
  /** false, or the CUDA version and architectures of a DARKNET_GPU=ON build. */
  cuda: false | { version: string; architectures: string };
  cudnn: boolean;
  openmp: boolean;
  blas: string;
  /** The fast engine's GEMM kernel: the fastest of those the CPU runs (DARKNET_NAPI_KERNEL forces another). */
  kernel: 'avx512' | 'avx512vl' | 'avx2' | 'sse2' | 'neon' | 'generic';
  /** Every kernel this CPU runs, widest first. */
  kernels: string[];
  /** Whether batch norm runs inside the fast engine's convolution epilogue
   * (its arithmetic checked at startup against darknet's normalize_cpu), or
   * as darknet's own normalize_cpu pass over whole rows. */
  fusedBatchNorm: boolean;
  /** Whether the fast engine letterboxes with its own rows (checked at startup
   * against darknet's resize_image), or with darknet's resize_image. */
  fastLetterbox: boolean;
  /** What precision 'fast' runs on this CPU. */
  fastPrecision: {
    /** The selected kernel's fused build: 'avx2+fma', 'avx512vl+fma', 'sse2', ...; without "+fma" where it has none. */
    kernel: string;
    fma: boolean;
    /** Whether bias and leaky run in the kernel's store (else in a pass per tile: an FMA ISA on a CPU without FMA). */
    fusedKernel: boolean;
    /** Each of its techniques, in words (darknet --version lists them). */
    uses: string[];
  };
  napiVersion: number;
}

export interface NativeBinding {
  NativeNetwork: new () => NativeNetwork;
  setErrorClass(constructor: typeof DarknetError): void;
  build: NativeBuild;
  loadedNetworkCount(): number;
  setThreads(count: number): void;
  threads(): number;
  /** 8-bit RGB (width x height x 3) encoded as JPEG (quality 80, save_image's) or PNG, off the JS thread. */
  encodeImage(pixels: Uint8Array, width: number, height: number, format: 'jpeg' | 'png'): Promise<Buffer>;
}

const require = createRequire(import.meta.url);

/** The environment variable that points at a specific darknet_napi.node. */
export const BINARY_ENV = 'DARKNET_NAPI_BINARY';

function libc(): string {
  if (process.platform !== 'linux') return '';
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime ? `glibc ${report.header.glibcVersionRuntime}` : 'musl';
}

function loadError(tried: string, cause: unknown): DarknetError {
  const platform = `${process.platform}-${process.arch}${libc() ? ` (${libc()})` : ''}, Node ${process.version} (N-API ${process.versions.napi})`;
  const lines = [
    `Could not load the darknet-napi native addon for ${platform}.`,
    `Tried: ${tried}`,
    `Reason: ${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}`,
    'Possible fixes:',
    process.platform === 'win32'
      ? '- Rebuild from source with MSYS2\'s MinGW-w64 (its gcc, cmake and ninja on PATH): `npm rebuild darknet-napi --build-from-source`.'
      : '- Rebuild from source: `npm rebuild darknet-napi --build-from-source` (needs cmake >= 3.19, a C/C++ compiler and make or ninja).',
    '- darknet\'s sources are fetched by scripts/fetch-darknet.sh (git submodule, else Debian\'s source package): check its output.',
    `- Point ${BINARY_ENV} at a darknet_napi.node built for this platform.`,
    '- Reinstall with the same Node.js and architecture that run this program (`npm ci`).',
  ];
  return new DarknetError(lines.join('\n'), 'ERR_BINDING', { cause });
}

/** Loads the binary at `path` after checking that dlopen can't crash on it. */
function requireBinary(path: string): NativeBinding {
  const problem = binaryProblem(path);
  if (problem) throw new Error(problem);
  return require(path) as NativeBinding;
}

function loadBinding(): NativeBinding {
  const override = process.env[BINARY_ENV];
  let tried: string;
  try {
    let binding: NativeBinding;
    if (override) {
      tried = `${BINARY_ENV}=${override}`;
      binding = requireBinary(resolve(override));
    } else {
      tried = `prebuilds/ and build/ in ${packageRoot} (node-gyp-build)`;
      if (!existsSync(join(packageRoot, 'package.json'))) throw new Error(`${packageRoot} is not the package root`);
      const nodeGypBuild = require('node-gyp-build') as { resolve(dir: string): string };
      const path = nodeGypBuild.resolve(packageRoot);
      tried = `${path} (found by node-gyp-build in prebuilds/ and build/)`;
      binding = requireBinary(path);
    }
    if (typeof binding.NativeNetwork !== 'function' || typeof binding.setErrorClass !== 'function') {
      throw new Error('the file is not a darknet-napi addon');
    }
    binding.setErrorClass(DarknetError);
    return binding;
  } catch (error) {
    if (error instanceof DarknetError) throw error;
    throw loadError(tried!, error);
  }
}

let binding: NativeBinding | undefined;

/** The addon, loaded on first use. Throws a DarknetError (ERR_BINDING) that lists the likely fixes. */
export function native(): NativeBinding {
  binding ??= loadBinding();
  return binding;
}
