#!/usr/bin/env node
// `darknet`: a drop-in for pjreddie's `./darknet classify` and
// `./darknet classifier predict`, running in one process with one loaded network.
import { createInterface } from 'node:readline';

import { formatFixed, formatFixedWidth, percentOf } from './format.js';
import { readClassifierData } from './labels.js';
import { native } from './native.js';
import { loadNetwork, type Classification, type Network, type ResizeMode } from './network.js';
import { resolveDarknetPath } from './paths.js';

const USAGE = `usage:
  darknet classify <cfg> <weights> [image] [options]
  darknet classifier predict <data> <cfg> <weights> [image] [options]
  darknet --version

Like pjreddie's ./darknet: stdout gets the top 5 as "%5.2f%%: label" lines,
stderr "<image>: Predicted in <seconds> seconds.". Without [image], image paths
are read from standard input, one per line, all with the one loaded network.
classify takes its labels from cfg/imagenet1k.data (in the working directory,
else in the package's darknet copy); classifier predict from <data>.

options:
  --top N, -t N      print the N best classes (classify: 5; predict: the data file's top=)
  --resize MODE      letterbox (default, as ./darknet classify) or min (the 2016
                     Tiny Darknet flow; prints "label: 0.167168" lines as that page did)
  --json             one JSON object per image: {"file","predictions","seconds"}
  -h, --help         this text
  -v, --version      the package version and how the native addon was built

Exit status: 0 when every image was classified, 1 on any failure, 2 on a usage error.`;

class UsageError extends Error {}

interface Options {
  positionals: string[];
  top: number | undefined;
  resize: ResizeMode;
  json: boolean;
  help: boolean;
  version: boolean;
}

function parseArguments(argv: string[]): Options {
  const options: Options = { positionals: [], top: undefined, resize: 'letterbox', json: false, help: false, version: false };
  for (let i = 0; i < argv.length; ++i) {
    const arg = argv[i] as string;
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`${arg} needs a value`);
      return next;
    };
    if (arg === '--top' || arg === '-t') {
      const text = value();
      const top = Number(text);
      if (!Number.isInteger(top) || top < 1) throw new UsageError(`--top must be a positive integer, got ${text}`);
      options.top = top;
    } else if (arg === '--resize') {
      const mode = value();
      if (mode !== 'letterbox' && mode !== 'min') throw new UsageError(`--resize must be letterbox or min, got ${mode}`);
      options.resize = mode;
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
  dataFile: string,
  cfg: string,
  weights: string,
  image: string | undefined,
  defaultTop: number | undefined,
  options: Options,
): Promise<number> {
  const data = await readClassifierData(dataFile);
  const network = await loadNetwork(cfg, weights, { labels: data.names });
  try {
    const top = Math.min(options.top ?? defaultTop ?? data.top, network.outputs);
    const ok = image !== undefined ? await classifyOne(network, image, top, options) : await classifyStdin(network, top, options);
    return ok ? 0 : 1;
  } finally {
    await network.close();
  }
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
          `cuda ${build.cuda ? 'on' : 'off'}, cudnn ${build.cudnn ? 'on' : 'off'}, openmp ${build.openmp ? 'on' : 'off'}, gemm ${build.blas}, N-API ${build.napiVersion}\n`,
      );
      return 0;
    }
    const [command, ...rest] = options.positionals;
    if (command === 'classify') {
      const [cfg, weights, image, extra] = rest;
      if (cfg === undefined || weights === undefined || extra !== undefined) throw new UsageError('classify takes <cfg> <weights> [image]');
      // darknet: predict_classifier("cfg/imagenet1k.data", cfg, weights, image, 5)
      return await predict(resolveDarknetPath('cfg/imagenet1k.data'), cfg, weights, image, 5, options);
    }
    if (command === 'classifier') {
      const [sub, data, cfg, weights, image, extra] = rest;
      if (sub !== 'predict') throw new UsageError(`classifier ${sub ?? ''}: only "classifier predict" is supported`);
      if (data === undefined || cfg === undefined || weights === undefined || extra !== undefined) {
        throw new UsageError('classifier predict takes <data> <cfg> <weights> [image]');
      }
      return await predict(data, cfg, weights, image, undefined, options);
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

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    reportError(error);
    process.exitCode = 1;
  },
);
