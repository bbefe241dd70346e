// A BullMQ worker that classifies with a network it loads once: one job at a
// time per network copy, a few more jobs held so that Redis round trips
// overlap darknet's work. Bad images fail their job for good (no retry); a
// crash or a lost connection leaves the job to BullMQ's stalled-job recovery
// and retries.
import { realpath } from 'node:fs/promises';

import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';

import { setThreads } from '../index.js';
import { DarknetError } from '../errors.js';
import { loadNetwork, Network, type LoadOptions } from '../network.js';
import { positiveIntegerOf } from '../options.js';
import { connectionOptions, type RedisConnection } from './connection.js';
import {
  DEFAULT_MAX_IMAGE_BYTES,
  JOB_SCHEMA_VERSION,
  defaultQueueName,
  encodeFailure,
  imageKey,
  nameFileInMessage,
  networkIdOf,
  parseJobData,
  type JobResult,
  type NetworkId,
} from './job.js';

export interface CreateWorkerOptions extends LoadOptions {
  /** A Redis URL (redis://host:port/db) or BullMQ connection options. */
  connection: RedisConnection;
  /** Default: one queue per network, named after its digests (defaultQueueName). */
  queue?: string;
  /** What to run: a loaded network (the worker's copies load from its files), a model name, or files. */
  network?: Network | string | { cfg: string; weights: string };
  /** Copies of the network classifying in parallel (default 1). */
  networks?: number;
  /** Jobs held at once (default networks + 1: one waiting per copy hides Redis's latency). */
  concurrency?: number;
  /** setThreads for this process (the fast engine's pool), when given. */
  threads?: number;
  /** Folder that path jobs (byPath) must lie in; without it, path jobs fail. */
  byPathRoot?: string;
  /** Largest image a job may carry (default DEFAULT_MAX_IMAGE_BYTES). */
  maxImageBytes?: number;
  /** BullMQ's lock on an active job (ms, default 30000): a dead worker's jobs are taken over after it. */
  lockDuration?: number;
  /** How often stalled jobs are looked for (ms, default 30000). */
  stalledInterval?: number;
  /** How often a job may stall (its worker die) before it fails for good (default 3). */
  maxStalledCount?: number;
}

/** The running worker: BullMQ's Worker (attach your own events), and close() that also frees the networks. */
export interface DarknetWorker {
  readonly worker: Worker<unknown, JobResult>;
  readonly queue: string;
  readonly network: NetworkId;
  /** Stops taking jobs, finishes the ones held, then closes the networks. Idempotent. */
  close(): Promise<void>;
}

async function loadFirst(source: CreateWorkerOptions['network'], options: LoadOptions): Promise<{ first: Network; owned: boolean }> {
  if (source instanceof Network) return { first: source, owned: false };
  // A model name: its cfg and cached weights (network.cfg and .weights name those files).
  if (typeof source === 'string') return { first: await loadNetwork(source, undefined, options), owned: true };
  if (source === undefined) throw new DarknetError('createWorker needs a network: a Network, a model name or { cfg, weights }', 'ERR_INVALID_INPUT');
  return { first: await loadNetwork(source.cfg, source.weights, options), owned: true };
}

export async function createWorker(options: CreateWorkerOptions): Promise<DarknetWorker> {
  const copies = positiveIntegerOf('networks', options.networks, 1);
  const concurrency = positiveIntegerOf('concurrency', options.concurrency, copies + 1);
  const maxImageBytes = positiveIntegerOf('maxImageBytes', options.maxImageBytes, DEFAULT_MAX_IMAGE_BYTES);
  // Resolved once here: a missing root would otherwise fail every path job as a crash (and retry it).
  const realByPathRoot =
    options.byPathRoot === undefined
      ? undefined
      : await realpath(options.byPathRoot).catch((error: Error) => {
          throw new DarknetError(`byPathRoot ${options.byPathRoot}: ${error.message}`, 'ERR_FILE_NOT_FOUND');
        });
  if (options.threads !== undefined) setThreads(options.threads);
  const connection = connectionOptions(options.connection);
  // Only what loadNetwork takes.
  const { labels, download, onDownloadProgress, limitInputPixels, limitNetworkBytes, engine, precision } = options;
  const loadOptions: LoadOptions = Object.fromEntries(
    Object.entries({ labels, download, onDownloadProgress, limitInputPixels, limitNetworkBytes, engine, precision }).filter(([, value]) => value !== undefined),
  );

  const { first, owned } = await loadFirst(options.network, loadOptions);
  const networks: Network[] = [first];
  const ownedNetworks: Network[] = owned ? [first] : [];
  try {
    if (first.weights === undefined) throw new DarknetError(`a queue worker needs weights: ${first.cfg} has none`, 'ERR_INVALID_INPUT');
    for (let i = 1; i < copies; ++i) {
      const copy = await loadNetwork(first.cfg, first.weights, { ...loadOptions, labels: first.labels, engine: first.engine, precision: first.precision, limitInputPixels: first.limitInputPixels });
      networks.push(copy);
      ownedNetworks.push(copy);
    }
  } catch (error) {
    await Promise.all(ownedNetworks.map((network) => network.close()));
    throw error;
  }
  const id = await networkIdOf(first.cfg, first.weights).catch(async (error: unknown) => {
    await Promise.all(ownedNetworks.map((network) => network.close()));
    throw error;
  });
  const queue = options.queue ?? defaultQueueName(id);
  const busy = new Map<Network, number>(networks.map((network) => [network, 0]));
  // For the image bytes kept beside the jobs (plain GETs: no BullMQ script).
  const images = new Redis({ ...(connection as RedisOptions), lazyConnect: true });
  images.on('error', () => undefined);

  /**
   * A job's bytes from Redis in one round trip: GETRANGE returns at most one
   * byte over the limit, so an oversized value is refused without fetching it.
   */
  const storedImage = async (key: string, file: string): Promise<Buffer> => {
    const bytes = await images.getrangeBuffer(key, 0, maxImageBytes);
    if (bytes.length === 0) throw new DarknetError(`invalid job: image ${file}: its bytes are not in Redis (${key} expired or was removed)`, 'ERR_INVALID_JOB');
    if (bytes.length > maxImageBytes) {
      const size = await images.strlen(key);
      throw new DarknetError(`image ${file}: ${size} bytes, over this worker's ${maxImageBytes}-byte limit`, 'ERR_PAYLOAD_TOO_LARGE');
    }
    return bytes;
  };

  const processor = async (job: Job<unknown, JobResult>): Promise<JobResult> => {
    let parsed;
    let input: string | Buffer;
    try {
      parsed = await parseJobData(job.data, { network: id, byPathRoot: options.byPathRoot, realByPathRoot, maxImageBytes, imageKey: imageKey(queue, job.id ?? '') });
      if (parsed.task !== first.task) {
        // A producer that asked this network for the other task (it hashes the files, it does not parse them).
        throw new DarknetError(`invalid job: a ${parsed.task} job, and this worker's network ${first.cfg} ${first.task === 'detect' ? 'is a detector' : 'is not a detector'}`, 'ERR_WRONG_TASK');
      }
      input = typeof parsed.input === 'object' && !Buffer.isBuffer(parsed.input) ? await storedImage(parsed.input.key, parsed.file) : parsed.input;
    } catch (error) {
      // A connection error (Redis away) is retried like a crash; a bad job is not.
      if (!(error instanceof DarknetError)) throw error;
      throw new UnrecoverableError(encodeFailure(error));
    }
    // The least busy copy: calls on one network are serialized, so it queues there.
    let network = first;
    for (const [candidate, count] of busy) if (count < (busy.get(network) ?? 0)) network = candidate;
    busy.set(network, (busy.get(network) ?? 0) + 1);
    try {
      if (parsed.task === 'detect') return { v: JOB_SCHEMA_VERSION, detections: await network.detect(input, parsed.options) };
      return { v: JOB_SCHEMA_VERSION, predictions: await network.classify(input, parsed.options) };
    } catch (error) {
      // An image darknet refuses fails the same way on every machine: no retry.
      if (error instanceof DarknetError && error.code !== 'ERR_NETWORK_CLOSED') {
        throw new UnrecoverableError(encodeFailure({ code: error.code, message: nameFileInMessage(error.message, parsed.file) }));
      }
      throw error;
    } finally {
      busy.set(network, (busy.get(network) ?? 1) - 1);
    }
  };

  let worker: Worker<unknown, JobResult>;
  try {
    worker = new Worker<unknown, JobResult>(queue, processor, {
      connection,
      concurrency,
      lockDuration: options.lockDuration ?? 30000,
      stalledInterval: options.stalledInterval ?? 30000,
      maxStalledCount: options.maxStalledCount ?? 3,
      autorun: true,
    });
  } catch (error) {
    images.disconnect();
    await Promise.all(ownedNetworks.map((network) => network.close()));
    throw error;
  }
  // Without a listener an 'error' (Redis gone) would throw; BullMQ reconnects on its own.
  worker.on('error', () => undefined);

  let closing: Promise<void> | undefined;
  return {
    worker,
    queue,
    network: id,
    close() {
      closing ??= (async () => {
        try {
          await worker.close();
        } finally {
          images.disconnect();
          await Promise.all(ownedNetworks.map((network) => network.close()));
        }
      })();
      return closing;
    },
  };
}
