import { availableParallelism } from 'node:os';

import type { ImageInput } from './input.js';
import { concurrencyOf } from './options.js';
import { ResultStream } from './result-stream.js';
import { loadNetwork, Network, type Classification, type ClassifyOptions, type LoadOptions } from './network.js';

/** One image's outcome: its predictions, or the error it gave. */
export type BulkResult<T extends ImageInput = ImageInput> =
  | { input: T; predictions: Classification[]; error?: undefined }
  | { input: T; predictions?: undefined; error: Error };

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

/** What classifyMany runs: a loaded network, a model name, or a cfg/weights pair. */
export type BulkSource = Network | string | { cfg: string; weights: string };

/** What a copy of `first` loads with: its labels, pixel limit and engine. */
function copyOptions(first: Network, options: LoadOptions): LoadOptions {
  return {
    labels: first.labels,
    limitInputPixels: first.limitInputPixels,
    engine: first.engine,
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

/**
 * Classifies many images with `concurrency` networks working in parallel and
 * yields each result as it completes (completion order), carrying its input.
 * A failing image yields its error and the run goes on. Networks this call
 * loads are closed when the iteration ends, also when it is abandoned early.
 */
export async function* classifyMany<T extends ImageInput>(
  source: BulkSource,
  inputs: Iterable<T> | AsyncIterable<T>,
  options: ClassifyManyOptions = {},
): AsyncGenerator<BulkResult<T>, void, undefined> {
  const concurrency = concurrencyOf(options.concurrency, availableParallelism());
  const total = Array.isArray(inputs) ? inputs.length : undefined;
  const { networks, owned } = await openNetworks(source, total === undefined ? concurrency : Math.max(1, Math.min(concurrency, total)), options);

  const iterator = Symbol.asyncIterator in inputs ? (inputs as AsyncIterable<T>)[Symbol.asyncIterator]() : (inputs as Iterable<T>)[Symbol.iterator]();
  const stream = new ResultStream<T>(total, options.onProgress);
  let stopped = false;
  const { top, resize } = options;
  const classifyOptions: ClassifyOptions = { ...(top !== undefined ? { top } : {}), ...(resize !== undefined ? { resize } : {}) };

  const publish = (result: BulkResult<T>): void => stream.publish(result);

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
        publish({ input: item.value, predictions: await network.classify(item.value, classifyOptions) });
      } catch (error) {
        publish({ input: item.value, error: error as Error });
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
