import { availableParallelism } from 'node:os';

import { DarknetError } from '../errors.js';
import type { ImageInput } from '../input.js';
import { concurrencyOf } from '../options.js';
import { ResultStream } from './result-stream.js';
import {
  loadNetwork,
  Network,
  type Classification,
  type ClassifyOptions,
  type Detection,
  type DetectOptions,
  type LoadOptions,
  type Task,
} from '../network.js';

/** One image's outcome: its predictions, or the error it gave. */
export type BulkResult<T extends ImageInput = ImageInput> =
  | { input: T; predictions: Classification[]; error?: undefined }
  | { input: T; predictions?: undefined; error: Error };

/** One image's outcome in detectMany: its detections, or the error it gave. */
export type DetectResult<T extends ImageInput = ImageInput> =
  | { input: T; detections: Detection[]; error?: undefined }
  | { input: T; detections?: undefined; error: Error };

export interface BulkProgress {
  done: number;
  failed: number;
  /** Known when the inputs are an array. */
  total: number | undefined;
  imagesPerSecond: number;
}

export interface ClassifyManyOptions extends ClassifyOptions, LoadOptions {
  /** Networks working in parallel (default: one per core). Each is a separate copy of the network. */
  concurrency?: number;
  onProgress?: (progress: BulkProgress) => void;
}

/** detect()'s thresholds (no drawing in bulk), and the bulk options. */
export interface DetectManyOptions extends Omit<DetectOptions, 'draw'>, LoadOptions {
  /** Networks working in parallel (default: one per core). Each is a separate copy of the network. */
  concurrency?: number;
  onProgress?: (progress: BulkProgress) => void;
}

/** What classifyMany and detectMany run: a loaded network, a model name, or a cfg/weights pair. */
export type BulkSource = Network | string | { cfg: string; weights: string };

/** What a copy of `first` loads with: its labels, pixel limit, engine and precision. */
function copyOptions(first: Network, options: LoadOptions): LoadOptions {
  return {
    labels: first.labels,
    limitInputPixels: first.limitInputPixels,
    engine: first.engine,
    precision: first.precision,
    ...(options.limitNetworkBytes !== undefined ? { limitNetworkBytes: options.limitNetworkBytes } : {}),
  };
}

async function openNetworks(source: BulkSource, count: number, options: LoadOptions): Promise<{ networks: Network[]; owned: Network[] }> {
  const owned: Network[] = [];
  try {
    let first: Network;
    if (source instanceof Network) {
      first = source;
    } else {
      first = typeof source === 'string' ? await loadNetwork(source, undefined, options) : await loadNetwork(source.cfg, source.weights, options);
      owned.push(first);
    }
    // Copies share the first one's files and labels; each has its own darknet
    // state. They load at once, each on its own worker thread.
    const copies = await Promise.allSettled(
      Array.from({ length: count - 1 }, () => loadNetwork(first.cfg, first.weights, copyOptions(first, options))),
    );
    const loaded = copies.flatMap((copy) => (copy.status === 'fulfilled' ? [copy.value] : []));
    owned.push(...loaded);
    const failure = copies.find((copy): copy is PromiseRejectedResult => copy.status === 'rejected');
    if (failure) throw failure.reason;
    return { networks: [first, ...loaded], owned };
  } catch (error) {
    await Promise.all(owned.map((network) => network.close()));
    throw error;
  }
}

interface ManyOptions extends LoadOptions {
  concurrency?: number | undefined;
  onProgress?: ((progress: BulkProgress) => void) | undefined;
}

/**
 * The one bulk loop of both tasks: `concurrency` networks working in
 * parallel, each pulling the next input, every result yielded as it completes
 * (completion order) with its input. A failing image yields its error and the
 * run goes on. Networks this call loads are closed when the iteration ends,
 * also when it is abandoned early.
 */
async function* runMany<T extends ImageInput, R extends { error?: unknown }>(
  task: Task,
  source: BulkSource,
  inputs: Iterable<T> | AsyncIterable<T>,
  options: ManyOptions,
  run: (network: Network, input: T) => Promise<R>,
  failed: (input: T, error: Error) => R,
): AsyncGenerator<R, void, undefined> {
  const concurrency = concurrencyOf(options.concurrency, availableParallelism());
  const total = Array.isArray(inputs) ? inputs.length : undefined;
  const { networks, owned } = await openNetworks(source, total === undefined ? concurrency : Math.max(1, Math.min(concurrency, total)), options);
  const [first] = networks;
  if (first && first.task !== task) {
    // Once, before any image: each one would fail the same way.
    await Promise.all(owned.map((network) => network.close()));
    const [name, other] = task === 'detect' ? ['detectMany', 'classifyMany'] : ['classifyMany', 'detectMany'];
    throw new DarknetError(`${name}: ${first.cfg} is ${first.task === 'detect' ? 'a detector' : 'not a detector'} (use ${other}())`, 'ERR_WRONG_TASK');
  }

  const iterator = Symbol.asyncIterator in inputs ? (inputs as AsyncIterable<T>)[Symbol.asyncIterator]() : (inputs as Iterable<T>)[Symbol.iterator]();
  const stream = new ResultStream<R>(total, options.onProgress);
  let stopped = false;

  // One worker per network; each pulls the next input (the iterator is shared).
  let pulling: Promise<unknown> = Promise.resolve();
  const next = (): Promise<IteratorResult<T>> => {
    const result = pulling.then(() => iterator.next());
    pulling = result.catch(() => undefined);
    return result;
  };
  const workers = networks.map(async (network) => {
    while (!stopped) {
      const item = await next();
      if (item.done) return;
      try {
        stream.publish(await run(network, item.value));
      } catch (error) {
        stream.publish(failed(item.value, error as Error));
      }
    }
  });
  let finished = false;
  const all = Promise.all(workers).finally(() => {
    finished = true;
    stream.wake();
  });

  try {
    // At the end, `all` surfaces an error of the input iterator.
    yield* stream.results(() => (finished ? all : undefined));
  } finally {
    stopped = true;
    await all.catch(() => undefined);
    await Promise.all(owned.map((network) => network.close()));
  }
}

/** Classifies many images in parallel (see runMany); yields `{ input, predictions } | { input, error }`. */
export function classifyMany<T extends ImageInput>(
  source: BulkSource,
  inputs: Iterable<T> | AsyncIterable<T>,
  options: ClassifyManyOptions = {},
): AsyncGenerator<BulkResult<T>, void, undefined> {
  const { top, resize } = options;
  const classifyOptions: ClassifyOptions = { ...(top !== undefined ? { top } : {}), ...(resize !== undefined ? { resize } : {}) };
  return runMany<T, BulkResult<T>>(
    'classify',
    source,
    inputs,
    options,
    async (network, input) => ({ input, predictions: await network.classify(input, classifyOptions) }),
    (input, error) => ({ input, error }),
  );
}

/** Detects objects in many images in parallel (see runMany); yields `{ input, detections } | { input, error }`. */
export function detectMany<T extends ImageInput>(
  source: BulkSource,
  inputs: Iterable<T> | AsyncIterable<T>,
  options: DetectManyOptions = {},
): AsyncGenerator<DetectResult<T>, void, undefined> {
  const { thresh, hierThresh, nms } = options;
  const detectOptions: DetectOptions & { draw?: false } = {
    ...(thresh !== undefined ? { thresh } : {}),
    ...(hierThresh !== undefined ? { hierThresh } : {}),
    ...(nms !== undefined ? { nms } : {}),
  };
  return runMany<T, DetectResult<T>>(
    'detect',
    source,
    inputs,
    options,
    async (network, input) => ({ input, detections: await network.detect(input, detectOptions) }),
    (input, error) => ({ input, error }),
  );
}
