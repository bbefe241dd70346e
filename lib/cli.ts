#!/usr/bin/env node
// `darknet`: a drop-in for pjreddie's `./darknet classify` and
// `./darknet classifier predict`, running in one process with one loaded network.
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, extname } from 'node:path';
import { createInterface } from 'node:readline';

import { formatFixed, formatFixedWidth, percentOf } from './format.js';
import { classifyMany, detectMany } from './bulk/bulk.js';
import { cacheDir } from './models/cache.js';
import { download } from './models/download.js';
import { expandImageArguments } from './bulk/image-files.js';
import { readClassifierData } from './labels.js';
import { findModel, isDownloaded, MODELS, modelCfg, modelLabels, modelNamed, modelWeights, type ModelInfo } from './models/catalogue.js';
import { native } from './native.js';
import { loadNetwork, modelWeightsFor, type Classification, type Detection, type Network, type ResizeMode, type Task } from './network.js';
import { exportOnnx } from './onnx/export.js';
import { PRECISION_ENV, type Precision } from './options.js';
import { resolveDarknetPath } from './paths.js';
import { looksLikeVideo, runDemo, type DemoFlags } from './cli/demo.js';
import { DarknetError } from './errors.js';
import { extOutput, frameJson, JSON_ARRAY_CLOSE, JSON_ARRAY_OPEN, JSON_FRAME_SEPARATOR, labelLines, labelPathOf } from './video/demo-json.js';
import { createProgress, formatBytes } from './cli/progress.js';
import { classifyRemote, detectRemote } from './queue/index.js';

const USAGE = `usage:
  darknet classify <cfg> <weights> [image] [options]
  darknet classify <model> [image] [options]
  darknet classify <cfg> <weights> | <model>  <images, folders, globs...> [bulk options]
  darknet classify <cfg> <weights> | <model>  <images...> --redis URL [--queue NAME] [--by-path]
  darknet worker --redis URL [--queue NAME] <cfg> <weights> | <model>  [worker options]
  darknet classifier predict <data> <cfg> <weights> [image] [options]
  darknet detect <cfg> <weights> [image] [-thresh T] [-out NAME] [--json]
  darknet detect <model> [image] [--yes] ...
  darknet detect <cfg> <weights> | <model>  <images, folders, globs...> [-thresh T] [bulk options]
  darknet detect <cfg> <weights> | <model>  <images...> --redis URL [--queue NAME] [--by-path]
  darknet detector test <data> <cfg> <weights> [image] [-thresh T] [-hier H] [-out NAME] [--json]
  darknet detector demo <data> <cfg> <weights> [<video file | URL>] [-c N] [demo options]
  darknet detect <cfg> <weights> | <model>  <video file | URL> [demo options]
  darknet models
  darknet download <model|url> [--sha256 HEX] [--quiet] [--timeout SECONDS]
  darknet export --onnx <cfg> <weights> | <model>  [-o out.onnx]
  darknet --version

Like pjreddie's ./darknet: stdout gets the top 5 as "%5.2f%%: label" lines,
stderr "<image>: Predicted in <seconds> seconds.". Without [image], image paths
are read from standard input, one per line, all with the one loaded network.
classify takes its labels from cfg/imagenet1k.data (in the working directory,
else in the package's darknet copy); classifier predict from <data>.

detect and detector test are ./darknet's: stdout gets "<image>: Predicted in
<seconds> seconds." and one "label: NN%" line per class above -thresh (0.5),
and the image with the boxes drawn goes to predictions.jpg (-out NAME: NAME.jpg).
detect takes its labels from cfg/coco.data, detector test from <data> (each
relative to the working directory, else the package's darknet copy).

options:
  -thresh T          detect: report classes above T (0 < T <= 1, default 0.5)
  -hier T            detector test: the hierarchy threshold (yolo9000; default 0.5)
  -out NAME          detect: write the drawn image to NAME.jpg (default predictions.jpg)
  --top N, -t N      print the N best classes (classify: 5; predict: the data file's top=)
  --resize MODE      letterbox (default, as ./darknet classify) or min (the 2016
                     Tiny Darknet flow; prints "label: 0.167168" lines as that page did)
  --json             one JSON object per image: {"file","predictions","seconds"}
  --precision MODE   exact (default: darknet's output bits) or fast (batch norm folded
                     into the weights, FMA kernels; every command that loads a network,
                     worker and demo included; also ${'$'}DARKNET_NAPI_PRECISION)
  --yes, -y          download a model's weights without asking (into ${'$'}DARKNET_NAPI_CACHE,
                     else the platform's cache folder; DARKNET_NAPI_MIRROR replaces pjreddie.com)

demo (video files, image sequences such as frame_%04d.png, http(s)/rtsp/rtmp
streams and cameras, decoded by FFmpeg): darknet's demo flow on every frame,
the heads averaged over -avg frames; per frame "Objects:", the "label: NN%"
lines and "FPS:... AVG_FPS:..."; "Video stream: W x H" first:
  -c N               camera N (/dev/videoN; avfoundation on macOS), -w W -h H -fps F its capture
  -s N               take every Nth frame
  -avg N, -avgframes N  average the heads over N frames (default 3; 1: each frame as detect)
  -prefix NAME       save each drawn frame as NAME_%08d.jpg
  -out_filename F    write the drawn video to F (the source's frame rate)
  -json_file_output F  AlexeyAB's JSON of every frame to F
  -json_port P       serve that JSON as a stream (HTTP/1.0) on port P
  -mjpeg_port P      serve the drawn frames as MJPEG (for an <img>) on port P
  --listen ADDRESS   where the ports listen (default 127.0.0.1; 0.0.0.0 shows them to the network)
  -ext_output        each line with its box; -dontdraw_bbox: frames served undrawn;
  -benchmark         no drawing, FPS only; -dont_show, -fullscreen: accepted (no window)

bulk (several images, a folder or a glob): one JSON line per image on stdout as
results arrive ({"file","predictions"}, detect: {"file","detections"}, or
{"file","error"}), progress on stderr (detect draws nothing in bulk):
  --jobs N           networks working in parallel (default: one per core)
  --recursive, -r    also the images in subfolders
  --csv              CSV instead of JSON lines (detect: one row per detection)
  --quiet, -q        no progress
  -h, --help         this text

queue (many machines; Redis, BullMQ): classify (or detect) --redis URL enqueues one job per
image and prints the same lines as results arrive; worker serves the queue
until SIGTERM/SIGINT/SIGBREAK or the IPC message 'shutdown' (then finishes
the jobs it holds and exits 0):
  --redis URL        redis://host:port[/db]
  --queue NAME       default: one queue per network, named after its weights' sha256
  --by-path          send paths, not image bytes (workers on shared storage)
  --by-path-root DIR worker: take path jobs for files under DIR (default: none)
  --jobs N           worker: network copies (default 1)
  --concurrency N    worker: jobs held at once (default copies + 1)
  --threads N        worker: the fast engine's threads (default: one per core)
  --stalled-interval MS  worker: a dead worker's jobs are taken over after this (default 30000)
  -v, --version      the package version and how the native addon was built

export --onnx: the network as an ONNX model (opset 13; input "input" float32
[1,channels,height,width] RGB in 0..1, output "output" [1,outputs]; a detector
outputs each [yolo]/[region] head's raw output, named yolo_16, ...), written to
-o/--output FILE, default the cfg's name with .onnx in the working directory.

Exit status: 0 when every image was classified, 1 on any failure, 2 on a usage error.`;

class UsageError extends Error {}

interface Options {
  positionals: string[];
  top: number | undefined;
  resize: ResizeMode;
  json: boolean;
  help: boolean;
  version: boolean;
  yes: boolean;
  quiet: boolean;
  csv: boolean;
  recursive: boolean;
  jobs: number | undefined;
  sha256: string | undefined;
  timeout: number | undefined;
  onnx: boolean;
  output: string | undefined;
  redis: string | undefined;
  queue: string | undefined;
  byPath: boolean;
  byPathRoot: string | undefined;
  concurrency: number | undefined;
  threads: number | undefined;
  precision: Precision | undefined;
  stalledInterval: number | undefined;
  thresh: number | undefined;
  hier: number | undefined;
  out: string | undefined;
  saveLabels: boolean;
  demo: DemoFlags;
}

function positiveInteger(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`${flag} must be a positive integer, got ${text}`);
  return value;
}

function parseArguments(argv: string[]): Options {
  const options: Options = {
    positionals: [],
    top: undefined,
    resize: 'letterbox',
    json: false,
    help: false,
    version: false,
    yes: false,
    quiet: false,
    csv: false,
    recursive: false,
    jobs: undefined,
    sha256: undefined,
    timeout: undefined,
    onnx: false,
    output: undefined,
    redis: undefined,
    queue: undefined,
    byPath: false,
    byPathRoot: undefined,
    concurrency: undefined,
    threads: undefined,
    precision: undefined,
    stalledInterval: undefined,
    thresh: undefined,
    hier: undefined,
    out: undefined,
    saveLabels: false,
    demo: {
      thresh: undefined, hier: undefined, camera: undefined, skip: undefined, average: undefined, prefix: undefined,
      width: undefined, height: undefined, fps: undefined, outFilename: undefined, jsonFileOutput: undefined,
      jsonPort: undefined, mjpegPort: undefined, dontdrawBbox: false, extOutput: false, benchmark: false, listen: undefined, quiet: false,
    },
  };
  const demo = options.demo;
  const count = (flag: string, text: string, min = 0): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) throw new UsageError(`${flag} must be an integer from ${min}, got ${text}`);
    return value;
  };
  const port = (flag: string, text: string): number => {
    const value = count(flag, text);
    if (value > 65535) throw new UsageError(`${flag} must be a port from 0 to 65535, got ${text}`);
    return value;
  };
  for (let i = 0; i < argv.length; ++i) {
    const arg = argv[i] as string;
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`${arg} needs a value`);
      return next;
    };
    if (arg === '-thresh') {
      options.thresh = Number(value());
      demo.thresh = options.thresh;
    } else if (arg === '-hier') {
      options.hier = Number(value());
      demo.hier = options.hier;
    } else if (arg === '-out') {
      options.out = value();
    } else if (arg === '-fullscreen' || arg === '-dont_show') {
      // darknet's OpenCV window: there is none
    } else if (arg === '-c') {
      demo.camera = count('-c', value());
    } else if (arg === '-s') {
      demo.skip = count('-s', value());
    } else if (arg === '-avg' || arg === '-avgframes') {
      demo.average = count(arg, value(), 1);
    } else if (arg === '-prefix') {
      demo.prefix = value();
    } else if (arg === '-w') {
      demo.width = count('-w', value(), 1);
    } else if (arg === '-h' && argv[i + 1] !== undefined && /^\d+$/.test(argv[i + 1] as string)) {
      // darknet demo's capture height (-h alone is --help)
      demo.height = count('-h', value(), 1);
    } else if (arg === '-fps') {
      demo.fps = count('-fps', value(), 1);
    } else if (arg === '-out_filename') {
      demo.outFilename = value();
    } else if (arg === '-json_file_output') {
      demo.jsonFileOutput = value();
    } else if (arg === '-json_port') {
      demo.jsonPort = port('-json_port', value());
    } else if (arg === '-mjpeg_port') {
      demo.mjpegPort = port('-mjpeg_port', value());
    } else if (arg === '-dontdraw_bbox') {
      demo.dontdrawBbox = true;
    } else if (arg === '-ext_output') {
      demo.extOutput = true;
    } else if (arg === '-save_labels') {
      options.saveLabels = true;
    } else if (arg === '-benchmark') {
      demo.benchmark = true;
    } else if (arg === '--listen') {
      demo.listen = value();
    } else if (arg === '--top' || arg === '-t') {
      options.top = positiveInteger('--top', value());
    } else if (arg === '--jobs' || arg === '-j') {
      options.jobs = positiveInteger('--jobs', value());
    } else if (arg === '--timeout') {
      options.timeout = positiveInteger('--timeout', value());
    } else if (arg === '--sha256') {
      const hex = value().toLowerCase();
      if (!/^[0-9a-f]{64}$/.test(hex)) throw new UsageError(`--sha256 needs 64 hex digits, got ${hex}`);
      options.sha256 = hex;
    } else if (arg === '--yes' || arg === '-y') {
      options.yes = true;
    } else if (arg === '--quiet' || arg === '-q') {
      options.quiet = true;
    } else if (arg === '--csv') {
      options.csv = true;
    } else if (arg === '--recursive' || arg === '-r') {
      options.recursive = true;
    } else if (arg === '--resize') {
      const mode = value();
      if (mode !== 'letterbox' && mode !== 'min') throw new UsageError(`--resize must be letterbox or min, got ${mode}`);
      options.resize = mode;
    } else if (arg === '--onnx') {
      options.onnx = true;
    } else if (arg === '--output' || arg === '-o') {
      options.output = value();
    } else if (arg === '--redis') {
      options.redis = value();
    } else if (arg === '--queue') {
      options.queue = value();
    } else if (arg === '--by-path') {
      options.byPath = true;
    } else if (arg === '--by-path-root') {
      options.byPathRoot = value();
    } else if (arg === '--concurrency') {
      options.concurrency = positiveInteger('--concurrency', value());
    } else if (arg === '--precision') {
      const mode = value();
      if (mode !== 'exact' && mode !== 'fast') throw new UsageError(`--precision must be exact or fast, got ${mode}`);
      options.precision = mode;
    } else if (arg === '--threads') {
      options.threads = positiveInteger('--threads', value());
    } else if (arg === '--stalled-interval') {
      options.stalledInterval = positiveInteger('--stalled-interval', value());
    } else if (arg === '--json') {
      options.json = true;
    } else if (arg === '-h' || arg === '--help') {
      options.help = true;
    } else if (arg === '-v' || arg === '--version') {
      options.version = true;
    } else if (arg.startsWith('-') && arg !== '-') {
      throw new UsageError(`unknown option ${arg}`);
    } else {
      options.positionals.push(arg);
    }
  }
  demo.quiet = options.quiet;
  return options;
}

function formatResult(file: string, results: Classification[], seconds: number, options: Options): string {
  if (options.json) {
    return `${JSON.stringify({ file, predictions: results, seconds })}\n`;
  }
  if (options.resize === 'min') {
    return results.map((r) => `${r.label}: ${formatFixed(r.probability, 6)}\n`).join('');
  }
  return results.map((r) => `${formatFixedWidth(percentOf(r.probability), 5, 2)}%: ${r.label}\n`).join('');
}

function write(text: string): void {
  process.stdout.write(text);
}

function reportError(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`darknet: ${message.split('\n').join('\n  ')}\n`);
}

/** Classifies one image and prints it as darknet does. Returns false on failure. */
async function classifyOne(network: Network, file: string, top: number, options: Options): Promise<boolean> {
  try {
    const start = process.hrtime.bigint();
    const results = await network.classify(file, { top, resize: options.resize });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    process.stderr.write(`${file}: Predicted in ${formatFixed(seconds, 6)} seconds.\n`);
    write(formatResult(file, results, seconds, options));
    return true;
  } catch (error) {
    reportError(error);
    return false;
  }
}

/** The `Enter Image Path: ` loop of darknet's predict_classifier. */
async function classifyStdin(network: Network, top: number, options: Options): Promise<boolean> {
  let ok = true;
  const prompt = options.json ? '' : 'Enter Image Path: ';
  write(prompt);
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  for await (const line of lines) {
    if (line.length > 0) ok = (await classifyOne(network, line, top, options)) && ok;
    write(prompt);
  }
  return ok;
}

async function predict(
  names: string,
  cfg: string,
  weights: string,
  image: string | undefined,
  top: number,
  options: Options,
): Promise<number> {
  const network = await loadNetwork(cfg, weights, { labels: names });
  try {
    top = Math.min(top, network.outputs);
    const ok = image !== undefined ? await classifyOne(network, image, top, options) : await classifyStdin(network, top, options);
    return ok ? 0 : 1;
  } finally {
    await network.close();
  }
}

/** detector test's -out result.json (AlexeyAB's): one entry per image, written as they come. */
interface JsonOut {
  write(text: string): void;
  count: number;
}

/** One image through detect, printed as test_detector prints it; the drawn image to <out>.jpg. */
async function detectOne(network: Network, file: string, options: Options, jsonOut?: JsonOut): Promise<boolean> {
  try {
    const start = process.hrtime.bigint();
    const detectOptions = {
      ...(options.thresh !== undefined ? { thresh: options.thresh } : {}),
      ...(options.hier !== undefined ? { hierThresh: options.hier } : {}),
    };
    const drawn = !options.json || (options.out !== undefined && !jsonOut);
    let detections: Detection[];
    let image: Buffer | undefined;
    let width = 0;
    let height = 0;
    if (drawn || options.demo.extOutput) {
      const found = await network.detectWithHeads(file, { ...detectOptions, ...(drawn ? { draw: 'jpeg' as const } : {}) });
      ({ detections, width, height } = found);
      image = found.image;
    } else {
      detections = await network.detect(file, detectOptions);
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    // with -out result.json, AlexeyAB's detector test still writes predictions.jpg
    if (image) await writeFile(`${jsonOut ? 'predictions' : (options.out ?? 'predictions')}.jpg`, image);
    if (jsonOut) {
      jsonOut.write((jsonOut.count > 0 ? JSON_FRAME_SEPARATOR : '') + frameJson(++jsonOut.count, detections, file));
    }
    if (options.saveLabels) {
      const labels = labelPathOf(file);
      if (labels === undefined) throw new DarknetError(`-save_labels: cannot name the label file of ${file} (its extension is not .jpg, .jpeg, .png, .bmp, .ppm or .tiff)`, 'ERR_INVALID_INPUT');
      await writeFile(labels, labelLines(detections));
    }
    if (options.json) {
      write(`${JSON.stringify({ file, detections, seconds })}\n`);
    } else {
      // printf("%s: %.0f%%\n", names[j], dets[i].prob[j]*100), -ext_output's box after it
      const lines = detections.map((d) => `${d.label}: ${formatFixed(percentOf(d.probability), 0)}%${options.demo.extOutput ? extOutput(d, width, height) : ''}\n`).join('');
      write(`${file}: Predicted in ${formatFixed(seconds, 6)} seconds.\n${lines}`);
    }
    return true;
  } catch (error) {
    reportError(error);
    return false;
  }
}

/**
 * test_detector: one network, one image or the `Enter Image Path: ` loop
 * (a bad image is reported and the loop goes on).
 */
async function detectImages(cfg: string, weights: string | undefined, data: string, image: string | undefined, options: Options): Promise<number> {
  const network = await loadNetwork(cfg, weights, { labels: data });
  // -out NAME.json: AlexeyAB's JSON of every image ("[\n", entries, "\n]")
  let json: { out: JsonOut; stream: ReturnType<typeof createWriteStream> } | undefined;
  try {
    if (network.task !== 'detect') {
      throw new Error(`${cfg} is not a detector (its last layer is not [yolo], [region] or [detection]): use classify`);
    }
    if (options.out?.endsWith('.json')) {
      const stream = createWriteStream(options.out);
      await new Promise<void>((resolve, reject) => {
        stream.once('open', () => resolve());
        stream.once('error', (error) => reject(new DarknetError(`-out ${options.out}: ${error.message}`, 'ERR_FILE_UNREADABLE')));
      });
      stream.write(JSON_ARRAY_OPEN);
      json = { stream, out: { count: 0, write: (text) => stream.write(text) } };
    }
    if (image !== undefined) return (await detectOne(network, image, options, json?.out)) ? 0 : 1;
    let ok = true;
    const prompt = options.json ? '' : 'Enter Image Path: ';
    write(prompt);
    // lines end in \n or \r\n (a list made on Windows)
    const lines = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
    for await (const raw of lines) {
      const line = raw.replace(/\r$/, '');
      if (line.length > 0) ok = (await detectOne(network, line, options, json?.out)) && ok;
      write(prompt);
    }
    return ok ? 0 : 1;
  } finally {
    if (json) {
      json.stream.write(JSON_ARRAY_CLOSE);
      await new Promise((resolve) => json!.stream.end(resolve));
    }
    await network.close();
  }
}

/**
 * detect <cfg> <weights> [image] | detect <model> [image]: test_detector with
 * cfg/coco.data; with several images, a folder, a glob or --redis, the bulk mode.
 */
async function detectCommand(rest: string[], options: Options): Promise<number> {
  // darknet: test_detector("cfg/coco.data", cfg, weights, image, ...)
  const { cfg, weights, labels, images } = await sourceOf('detect', rest, options, async () => resolveDarknetPath('cfg/coco.data'));
  if (images.length === 1 && looksLikeVideo(images[0] as string) && options.redis === undefined) {
    return runDemo(cfg, weights, labels, images[0], options.demo);
  }
  if (!isBulk(images, options)) return detectImages(cfg, weights, labels, images[0], options);
  if (options.out !== undefined) throw new UsageError('-out draws one image: the bulk mode writes JSON lines or CSV only');
  return bulkCommand('detect', cfg, weights, labels, images, options);
}

/**
 * What `classify` and `detect` take: <model> [images...] (the catalogue's cfg,
 * weights and labels), or <cfg> <weights> [images...] with darknet's default
 * labels for the task.
 */
async function sourceOf(
  command: 'classify' | 'detect',
  rest: string[],
  options: Options,
  defaultLabels: () => Promise<string>,
): Promise<{ cfg: string; weights: string; labels: string; images: string[] }> {
  const [first, second, ...more] = rest;
  const usage = `${command} takes <cfg> <weights> [image], or <model> [image]`;
  if (first === undefined) throw new UsageError(usage);
  const model = modelNamed(first);
  if (model) {
    return { cfg: modelCfg(model), weights: await weightsOfModel(model, options), labels: modelLabels(model), images: rest.slice(1) };
  }
  if (second === undefined) {
    throw new UsageError(`${usage}${!existsSync(first) ? `; ${first} is neither a file nor a model (see \`darknet models\`)` : ''}`);
  }
  return { cfg: first, weights: second, labels: await defaultLabels(), images: more };
}

/** detector test <data> <cfg> <weights> [image] | detector demo <data> <cfg> <weights> [video] */
async function detectorCommand(rest: string[], options: Options): Promise<number> {
  const [sub, data, cfg, weights, image, extra] = rest;
  if (sub === 'demo') {
    if (data === undefined || cfg === undefined || weights === undefined || extra !== undefined) {
      throw new UsageError('detector demo takes <data> <cfg> <weights> [<video file | URL> | -c N]');
    }
    return runDemo(resolveDarknetPath(cfg), weights, resolveDarknetPath(data), image, options.demo);
  }
  if (sub !== 'test') throw new UsageError(`detector ${sub ?? ''}: only "detector test" and "detector demo" are supported`);
  if (data === undefined || cfg === undefined || extra !== undefined) {
    throw new UsageError('detector test takes <data> <cfg> <weights> [image]');
  }
  return detectImages(cfg, weights, resolveDarknetPath(data), image, options);
}

/** Asks on a terminal; elsewhere the answer is no (pass --yes). */
async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await new Promise<string>((resolvePromise) => rl.question(`${question} [y/N] `, resolvePromise));
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

/** A model's weights from the cache, downloaded first when --yes or the user agrees. */
async function weightsOfModel(model: ModelInfo, options: Options): Promise<string> {
  if (isDownloaded(model)) return modelWeights(model);
  const allowed =
    options.yes || (await confirm(`darknet: ${model.name}'s weights are not downloaded. Download them from ${model.url}?`));
  if (!allowed) {
    throw new Error(`the weights of model ${model.name} are not downloaded: run \`darknet download ${model.name}\` or add --yes`);
  }
  const progress = createProgress(`${model.name}.weights`, 'bytes', { quiet: options.quiet });
  const path = await modelWeightsFor(model, {
    download: true,
    ...(options.sha256 ? { sha256: options.sha256 } : {}),
    onDownloadProgress: (p) => progress.update(p.received, p.total, p.bytesPerSecond),
  });
  progress.end(`darknet: downloaded ${path}`);
  return path;
}

function isBulkArgument(arg: string): boolean {
  if (/[*?[]/.test(arg) && !existsSync(arg)) return true;
  try {
    return statSync(arg).isDirectory();
  } catch {
    return false;
  }
}

/** classify <cfg> <weights> [images...] | classify <model> [images...] */
async function classifyCommand(rest: string[], options: Options): Promise<number> {
  // darknet: predict_classifier("cfg/imagenet1k.data", cfg, weights, image, 5)
  const { cfg, weights, labels, images } = await sourceOf('classify', rest, options, async () =>
    (await readClassifierData(resolveDarknetPath('cfg/imagenet1k.data'))).names);
  if (!isBulk(images, options)) return predict(labels, cfg, weights, images[0], options.top ?? 5, options);
  return bulkCommand('classify', cfg, weights, labels, images, options);
}

/** Several images, a folder or a glob, or a bulk option: one line per image. */
function isBulk(images: string[], options: Options): boolean {
  return options.redis !== undefined || images.length > 1 || options.csv || options.recursive || options.jobs !== undefined || images.some(isBulkArgument);
}

/** Says on stderr that Redis is away, now and then rather than per retry. */
function redisErrorReporter(): (error: Error) => void {
  let last = 0;
  return (error) => {
    if (Date.now() - last < 5000) return;
    last = Date.now();
    process.stderr.write(`darknet: redis: ${error.message} (retrying)\n`);
  };
}

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const DETECT_CSV = ['file', 'label', 'class_index', 'probability', 'objectness', 'x', 'y', 'width', 'height', 'error'];

/**
 * The bulk mode of both commands: local networks (--jobs) or the queue
 * (--redis), one JSON line (or CSV rows) per image as results arrive.
 */
async function bulkCommand(task: Task, cfg: string, weights: string, labels: string, args: string[], options: Options): Promise<number> {
  const files = await expandImageArguments(args, { recursive: options.recursive });
  if (files.length === 0) throw new Error(`no images found in ${args.join(' ')}`);
  const top = options.top ?? 5;
  const jobs = options.jobs ?? availableParallelism();
  if (options.csv) {
    const columns = Array.from({ length: top }, (_, i) => [`label_${i + 1}`, `probability_${i + 1}`, `index_${i + 1}`]).flat();
    write(`${(task === 'detect' ? DETECT_CSV : ['file', ...columns, 'error']).join(',')}\n`);
  }
  const progress = createProgress(task, 'images', { quiet: options.quiet });
  const started = Date.now();
  let failed = 0;
  const onProgress = (p: { done: number; total: number | undefined; imagesPerSecond: number }): void => progress.update(p.done, p.total, p.imagesPerSecond);
  const remote =
    options.redis !== undefined
      ? {
          connection: options.redis,
          byPath: options.byPath,
          onProgress,
          onRedisError: redisErrorReporter(),
          ...(options.queue !== undefined ? { queue: options.queue } : {}),
        }
      : undefined;
  const thresholds = {
    ...(options.thresh !== undefined ? { thresh: options.thresh } : {}),
    ...(options.hier !== undefined ? { hierThresh: options.hier } : {}),
  };
  const results: AsyncIterable<{ input: string; error?: Error | undefined; predictions?: Classification[] | undefined; detections?: Detection[] | undefined }> =
    task === 'detect'
      ? remote
        ? detectRemote({ cfg, weights }, files, { ...remote, ...thresholds })
        : detectMany({ cfg, weights }, files, { concurrency: jobs, labels, onProgress, ...thresholds })
      : remote
        ? classifyRemote({ cfg, weights }, files, { ...remote, top, resize: options.resize })
        : classifyMany({ cfg, weights }, files, { concurrency: jobs, top, resize: options.resize, labels, onProgress });
  for await (const result of results) {
    const error = result.error ? { code: (result.error as { code?: string }).code ?? 'ERR_DARKNET', message: result.error.message } : undefined;
    if (error) ++failed;
    if (options.csv) {
      const rows: (string | number)[][] = [];
      if (task === 'detect') {
        for (const d of result.detections ?? []) rows.push([result.input, d.label, d.classIndex, d.probability, d.objectness, d.box.x, d.box.y, d.box.width, d.box.height, '']);
        // An image without detections, or failed, still gets its row.
        if (rows.length === 0) rows.push([result.input, ...Array<string>(DETECT_CSV.length - 2).fill(''), error ? `${error.code}: ${error.message}` : '']);
      } else {
        const cells: (string | number)[] = [result.input];
        for (let i = 0; i < top; ++i) {
          const p = result.predictions?.[i];
          cells.push(p?.label ?? '', p?.probability ?? '', p?.index ?? '');
        }
        cells.push(error ? `${error.code}: ${error.message}` : '');
        rows.push(cells);
      }
      write(rows.map((cells) => `${cells.map(csvField).join(',')}\n`).join(''));
    } else {
      const found = task === 'detect' ? { detections: result.detections } : { predictions: result.predictions };
      write(`${JSON.stringify(error ? { file: result.input, error } : { file: result.input, ...found })}\n`);
    }
  }
  const seconds = (Date.now() - started) / 1000;
  progress.end(
    `darknet: ${files.length} images, ${failed} failed, ${seconds.toFixed(1)} s, ${(files.length / Math.max(seconds, 1e-9)).toFixed(1)} images/s ${options.redis !== undefined ? 'through the queue' : `with ${Math.min(jobs, files.length)} job(s)`}`,
  );
  return failed > 0 ? 1 : 0;
}

/**
 * worker --redis URL <cfg> <weights> | <model>: a model's labels, or for a
 * cfg loadNetwork's default for its task (ImageNet's short names for a
 * classifier, as classify, a names list by class count for a detector).
 */
async function workerCommandOf(rest: string[], options: Options): Promise<number> {
  if (options.redis === undefined) throw new UsageError('worker needs --redis URL');
  const [first, second, extra] = rest;
  const model = first !== undefined && second === undefined ? modelNamed(first) : undefined;
  if (first === undefined || extra !== undefined || (second === undefined && !model)) {
    throw new UsageError('worker takes <cfg> <weights>, or <model>');
  }
  const cfg = model ? modelCfg(model) : first;
  const weights = model ? await weightsOfModel(model, options) : (second as string);
  const names = model ? modelLabels(model) : undefined;
  // BullMQ and ioredis load only for the commands that use them.
  const { workerCommand } = await import('./queue/worker-command.js');
  return workerCommand(cfg, weights, names, {
    redis: options.redis,
    queue: options.queue,
    networks: options.jobs,
    concurrency: options.concurrency,
    threads: options.threads,
    byPathRoot: options.byPathRoot,
    stalledInterval: options.stalledInterval,
    quiet: options.quiet,
  });
}

function listModels(): number {
  write(`cache: ${cacheDir()}\n`);
  for (const model of MODELS) {
    const state = isDownloaded(model) ? `downloaded  ${modelWeights(model)}` : 'not downloaded';
    write(`${model.name.padEnd(14)} ${model.cfg.padEnd(22)} ${state.padEnd(16)} ${model.description}${model.size ? ` (${formatBytes(model.size)})` : ''}\n`);
  }
  return 0;
}

async function downloadCommand(target: string, options: Options): Promise<number> {
  const model = findModel(target);
  const label = model ? `${model.name}.weights` : basename(target);
  const progress = createProgress(label, 'bytes', { quiet: options.quiet });
  const onProgress = (p: { received: number; total: number | undefined; bytesPerSecond: number }): void =>
    progress.update(p.received, p.total, p.bytesPerSecond);
  let path: string;
  if (model) {
    path = await modelWeightsFor(model, {
      download: true,
      onDownloadProgress: onProgress,
      ...(options.sha256 ? { sha256: options.sha256 } : {}),
      ...(options.timeout ? { timeout: options.timeout * 1000 } : {}),
    });
  } else {
    path = await download(target, {
      onProgress,
      ...(options.sha256 ? { sha256: options.sha256 } : {}),
      ...(options.timeout ? { timeout: options.timeout * 1000 } : {}),
    });
  }
  progress.end();
  write(`${path}\n`);
  return 0;
}

/** export --onnx <cfg> <weights> | <model> [-o out.onnx] */
async function exportCommand(rest: string[], options: Options): Promise<number> {
  if (!options.onnx) throw new UsageError('export needs a format: export --onnx <cfg> <weights> [-o out.onnx]');
  const [first, second, extra] = rest;
  if (first === undefined || extra !== undefined) throw new UsageError('export --onnx takes <cfg> <weights>, or <model>');
  const model = second === undefined ? modelNamed(first) : undefined;
  if (second === undefined && !model) {
    throw new UsageError(`export --onnx takes <cfg> <weights>; ${first} is neither a file nor a model (see \`darknet models\`)`);
  }
  const cfg = model ? modelCfg(model) : first;
  const weights = model ? await weightsOfModel(model, options) : (second as string);
  const output = options.output ?? `${basename(cfg, extname(cfg))}.onnx`;
  await writeFile(output, await exportOnnx(cfg, weights));
  write(`${output}\n`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  let options: Options;
  try {
    options = parseArguments(argv);
  } catch (error) {
    process.stderr.write(`darknet: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    write(`${USAGE}\n`);
    return 0;
  }
  try {
    if (options.version) {
      const build = native().build;
      write(
        `darknet-napi ${build.version}\n` +
          `darknet ${build.darknetCommit}\n` +
          `compiler ${build.compiler}, flags ${build.cFlags}\n` +
          `cuda ${build.cuda ? 'on' : 'off'}, cudnn ${build.cudnn ? 'on' : 'off'}, openmp ${build.openmp ? 'on' : 'off'}, gemm ${build.blas}, N-API ${build.napiVersion}\n` +
          `fast engine: kernel ${build.kernel} (this CPU runs ${build.kernels.join(', ')}), batch norm ${build.fusedBatchNorm ? 'fused' : "darknet's"}, letterbox ${build.fastLetterbox ? 'ours' : "darknet's"}\n` +
          `precision fast: kernel ${build.fastPrecision.kernel}; ${build.fastPrecision.uses.join('; ')}\n`,
      );
      return 0;
    }
    // --precision: every network this process loads (and its children: the
    // video pipeline's, bulk's copies, the queue worker's) through loadNetwork's
    // default, the same variable scripts set.
    if (options.precision !== undefined) process.env[PRECISION_ENV] = options.precision;
    const [command, ...rest] = options.positionals;
    if (command === 'classify') return await classifyCommand(rest, options);
    if (command === 'classifier') {
      const [sub, data, cfg, weights, image, extra] = rest;
      if (sub !== 'predict') throw new UsageError(`classifier ${sub ?? ''}: only "classifier predict" is supported`);
      if (data === undefined || cfg === undefined || weights === undefined || extra !== undefined) {
        throw new UsageError('classifier predict takes <data> <cfg> <weights> [image]');
      }
      const { names, top } = await readClassifierData(data);
      return await predict(names, cfg, weights, image, options.top ?? top, options);
    }
    if (command === 'detect') return await detectCommand(rest, options);
    if (command === 'detector') return await detectorCommand(rest, options);
    if (command === 'models') return listModels();
    if (command === 'worker') return await workerCommandOf(rest, options);
    if (command === 'export') return await exportCommand(rest, options);
    if (command === 'download') {
      const [target, extra] = rest;
      if (target === undefined || extra !== undefined) throw new UsageError('download takes <model|url>');
      return await downloadCommand(target, options);
    }
    throw new UsageError(command === undefined ? 'no command given' : `unknown command ${command}`);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`darknet: ${error.message}\n${USAGE}\n`);
      return 2;
    }
    reportError(error);
    return 1;
  }
}

// `darknet ... | head`: a closed stdout ends the program quietly, like C's SIGPIPE.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    reportError(error);
    process.exitCode = 1;
  },
);
