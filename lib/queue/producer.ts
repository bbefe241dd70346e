// The producer: one job per image, results read back as they arrive, in the
// shape classifyMany yields. Results come from QueueEvents, and a poll of the
// jobs still pending catches any event lost while Redis was away. Each image
// is reported once, by job id, even if a worker ran its job twice.
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';

import { Job, Queue, QueueEvents } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';

import type { BulkProgress, BulkResult, DetectResult } from '../bulk/bulk.js';
import { ResultStream } from '../bulk/result-stream.js';
import { DarknetError } from '../errors.js';
import { checkInputFile } from '../files.js';
import { modelCfg, modelNamed } from '../models/catalogue.js';
import { modelWeightsFor, Network, type ClassifyOptions, type DetectOptions } from '../network.js';
import { positiveIntegerOf, resizeOf, thresholdOf, topOf } from '../options.js';
import { connectionOptions, type RedisConnection } from './connection.js';
import {
  DEFAULT_MAX_IMAGE_BYTES,
  decodeFailure,
  defaultQueueName,
  imageKey,
  JOB_SCHEMA_VERSION,
  KEEP_COMPLETED_JOBS,
  networkIdOf,
  parseJobResult,
  type JobData,
} from './job.js';

/** What classifyRemote and detectRemote share. */
export interface RemoteOptions {
  connection: RedisConnection;
  /** Default: the network's own queue (defaultQueueName), as the workers use. */
  queue?: string;
  /** Send the image's path instead of its bytes (workers on shared storage, with an allowed root). */
  byPath?: boolean;
  /** Images larger than this are refused before enqueueing (default DEFAULT_MAX_IMAGE_BYTES). */
  maxImageBytes?: number;
  /** The most jobs of this run in Redis at once (default 1000): bounds Redis's memory. */
  window?: number;
  /** Tries per job when workers die or lose Redis (default 5, exponential backoff from 1 s). */
  attempts?: number;
  /** How often jobs without news are looked up (ms, default 2000). */
  pollInterval?: number;
  onProgress?: (progress: BulkProgress) => void;
  /** Redis connection errors; the run waits for Redis to come back (default: ignored). */
  onRedisError?: (error: Error) => void;
}

export interface ClassifyRemoteOptions extends ClassifyOptions, RemoteOptions {}

export interface DetectRemoteOptions extends Omit<DetectOptions, 'draw'>, RemoteOptions {}

/** A task as the producer sends it: the job's task and options, and how a result or a failure becomes a line. */
interface RemoteTask<R> {
  job: Pick<JobData, 'task' | 'options'>;
  done: (input: string, value: unknown) => R;
  failed: (input: string, error: Error) => R;
}

/** The network whose queue is fed: the workers check its digests. */
export type RemoteSource = Network | string | { cfg: string; weights: string };

async function filesOf(source: RemoteSource): Promise<{ cfg: string; weights: string }> {
  if (source instanceof Network) {
    if (source.weights === undefined) throw new DarknetError(`a queue needs a network with weights: ${source.cfg} has none`, 'ERR_INVALID_INPUT');
    return { cfg: source.cfg, weights: source.weights };
  }
  if (typeof source === 'string') {
    const model = modelNamed(source);
    if (!model) throw new DarknetError(`unknown model ${source} (see \`darknet models\`)`, 'ERR_UNKNOWN_MODEL');
    // Its cached weights, or ERR_MODEL_NOT_DOWNLOADED.
    return { cfg: modelCfg(model), weights: await modelWeightsFor(model) };
  }
  return source;
}

/** What ioredis rejects a command with when Redis goes away under it (a pipeline or transaction in flight). */
const CONNECTION_LOST = /connection|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|socket|Stream isn't writeable/i;

/**
 * Runs `send` again until Redis takes it: ioredis resends single commands
 * after a reconnection but aborts transactions that were in flight. Safe to
 * repeat: jobs have their own ids, and adding an existing id does nothing.
 */
async function untilSent<T>(send: () => Promise<T>, stopped: () => boolean): Promise<T | undefined> {
  for (;;) {
    try {
      return await send();
    } catch (error) {
      if (stopped() || !CONNECTION_LOST.test((error as Error).message)) throw error;
      await new Promise((resolvePromise) => setTimeout(resolvePromise, 500));
    }
  }
}

/** Keeps only what a job was read back as (an old job of the run may be retried after a restart). */
const REMOVE_AFTER_SECONDS = 24 * 3600;


/** How long an ending run waits for Redis to take its removals and closes. */
const CLEANUP_MS = 5000;

/** Whether work settled within CLEANUP_MS. */
async function withinCleanup(work: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolvePromise) => {
    timer = setTimeout(() => resolvePromise(false), CLEANUP_MS);
  });
  try {
    return await Promise.race([work.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Image keys deleted in one DEL once this many are done (or at the next tick). */
const DELETE_BATCH = 64;

interface Pending {
  input: string;
  file: string;
  since: number;
  unknownPolls: number;
  settling: boolean;
}

/**
 * Classifies images on whatever workers serve the network's queue; yields
 * `{ input, predictions }` or `{ input, error }` per image in completion
 * order, as classifyMany does.
 */
export function classifyRemote(
  source: RemoteSource,
  inputs: Iterable<string> | AsyncIterable<string>,
  options: ClassifyRemoteOptions,
): AsyncGenerator<BulkResult<string>, void, undefined> {
  return remote<BulkResult<string>>(
    () => ({
      // The workers' networks cap top at their outputs.
      job: { task: 'classify', options: { top: topOf(options.top, Number.MAX_SAFE_INTEGER), resize: resizeOf(options.resize) } },
      done: (input, value) => ({ input, predictions: parseJobResult(value) }),
      failed: (input, error) => ({ input, error }),
    }),
    source,
    inputs,
    options,
  );
}

/** detectMany through the queue: `{ input, detections }` or `{ input, error }` per image, in completion order. */
export function detectRemote(
  source: RemoteSource,
  inputs: Iterable<string> | AsyncIterable<string>,
  options: DetectRemoteOptions,
): AsyncGenerator<DetectResult<string>, void, undefined> {
  return remote<DetectResult<string>>(
    () => ({
      job: {
        task: 'detect',
        options: {
          thresh: thresholdOf('thresh', options.thresh, 0.5, true),
          hierThresh: thresholdOf('hierThresh', options.hierThresh, 0.5),
          nms: thresholdOf('nms', options.nms, 0.45),
        },
      },
      done: (input, value) => ({ input, detections: parseJobResult(value, 'detect') }),
      failed: (input, error) => ({ input, error }),
    }),
    source,
    inputs,
    options,
  );
}

/**
 * The producer of both tasks. Failed jobs are removed once read, completed
 * ones trimmed by BullMQ (KEEP_COMPLETED_JOBS). `taskOf` runs at the first
 * next(), so that bad options reject there, as the local bulk functions do.
 */
async function* remote<R extends { error?: unknown }>(
  taskOf: () => RemoteTask<R>,
  source: RemoteSource,
  inputs: Iterable<string> | AsyncIterable<string>,
  options: RemoteOptions,
): AsyncGenerator<R, void, undefined> {
  const task = taskOf();
  const maxImageBytes = positiveIntegerOf('maxImageBytes', options.maxImageBytes, DEFAULT_MAX_IMAGE_BYTES);
  const window = positiveIntegerOf('window', options.window, 1000);
  const pollInterval = positiveIntegerOf('pollInterval', options.pollInterval, 2000);
  const { cfg, weights } = await filesOf(source);
  const network = await networkIdOf(await checkInputFile(cfg, 'cfg'), await checkInputFile(weights, 'weights'));
  const name = options.queue ?? defaultQueueName(network);
  const connection = connectionOptions(options.connection);
  const queue = new Queue(name, { connection });
  const events = new QueueEvents(name, { connection });
  // The image bytes go beside the jobs, as plain strings that expire with them.
  const images = new Redis(connection as RedisOptions);
  // Each reconnects on its own; the caller may say that Redis is away.
  const onRedisError = (error: Error): void => options.onRedisError?.(error);
  images.on('error', onRedisError);
  queue.on('error', onRedisError);
  events.on('error', onRedisError);
  const run = randomBytes(6).toString('hex');
  const jobOptions = {
    attempts: positiveIntegerOf('attempts', options.attempts, 5),
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: { age: REMOVE_AFTER_SECONDS, count: KEEP_COMPLETED_JOBS },
    removeOnFail: { age: REMOVE_AFTER_SECONDS },
  };

  const pending = new Map<string, Pending>();
  const stream = new ResultStream<R>(Array.isArray(inputs) ? inputs.length : undefined, options.onProgress);
  const removals = new Set<Promise<unknown>>();
  let roomFreed: (() => void) | undefined;
  let feeding = true;
  let feedError: unknown;
  let stopped = false;

  let lastResultAt = Date.now();
  const publish = (result: R): void => {
    lastResultAt = Date.now();
    stream.publish(result);
  };
  const track = (removal: Promise<unknown>): void => {
    const quiet = removal.catch(() => undefined);
    removals.add(quiet);
    void quiet.finally(() => removals.delete(quiet));
  };
  // Image keys done with, deleted in batches: one command for many jobs.
  let doneImages: string[] = [];
  let deleteTimer: NodeJS.Immediate | undefined;
  const deleteImages = (): void => {
    if (deleteTimer) clearImmediate(deleteTimer);
    deleteTimer = undefined;
    if (doneImages.length === 0) return;
    const keys = doneImages;
    doneImages = [];
    track(images.del(...keys));
  };
  const dropImage = (id: string): void => {
    if (options.byPath) return; // nothing was stored
    doneImages.push(imageKey(name, id));
    if (doneImages.length >= DELETE_BATCH) deleteImages();
    else deleteTimer ??= setImmediate(deleteImages);
  };
  const settle = (id: string, outcome: { value: unknown } | { reason: string | undefined }): void => {
    const entry = pending.get(id);
    if (!entry) return; // already reported: a second event, or a job that ran twice
    pending.delete(id);
    if ('value' in outcome) {
      try {
        publish(task.done(entry.input, outcome.value));
      } catch (error) {
        publish(task.failed(entry.input, error as Error));
      }
    } else {
      publish(task.failed(entry.input, decodeFailure(outcome.reason, entry.file)));
    }
    // A failed job is kept by BullMQ (for its reason): removed here, it and its bytes.
    if ('reason' in outcome) track(queue.remove(id));
    dropImage(id);
    roomFreed?.();
  };
  /** Looks a job up in Redis; a 'failed' event is only final once the job is in the failed set. */
  const check = async (id: string): Promise<void> => {
    const entry = pending.get(id);
    if (!entry || entry.settling) return;
    entry.settling = true;
    try {
      const state = await queue.getJobState(id);
      if (state === 'completed' || state === 'failed') {
        const job = await Job.fromId(queue, id);
        if (job) settle(id, state === 'completed' ? { value: job.returnvalue as unknown } : { reason: job.failedReason });
      } else if (state === 'unknown' && ++entry.unknownPolls >= 2) {
        // Redis lost it (restarted without persistence): enqueue it again.
        entry.unknownPolls = 0;
        const data = await jobData(entry.input, id);
        if (data instanceof Error) settle(id, { reason: `${(data as DarknetError).code}: ${data.message}` });
        else await untilSent(() => queue.add(task.job.task, data, { ...jobOptions, jobId: id }), () => stopped);
      } else if (state !== 'unknown') {
        entry.unknownPolls = 0;
      }
    } catch {
      // Redis away: the next poll tries again.
    } finally {
      entry.settling = false;
    }
  };
  events.on('completed', ({ jobId, returnvalue }) => settle(jobId, { value: returnvalue }));
  events.on('failed', ({ jobId }) => void check(jobId));

  // Only when no result has come for a while (events lost while Redis was
  // away, or a long job): while results flow, looking jobs up would cost
  // Redis more than the jobs themselves.
  const poller = setInterval(() => {
    const now = Date.now();
    if (now - lastResultAt < pollInterval) return;
    let checked = 0;
    for (const [id, entry] of pending) {
      if (now - entry.since < pollInterval) break; // oldest first: the rest are newer
      if (++checked > 500) break;
      entry.since = now;
      void check(id);
    }
  }, pollInterval);

  /**
   * The job data for an image, with its bytes stored at the job's key, or the
   * error that keeps it from being enqueued (as classifyMany reports it).
   */
  const jobData = async (input: string, id: string): Promise<JobData | Error> => {
    try {
      const file = await checkInputFile(input, 'image');
      // task.job pairs a task with its own options: the union is one of JobData's.
      const job = (image: JobData['image']): JobData => ({ v: JOB_SCHEMA_VERSION, network, file, image, ...task.job }) as JobData;
      if (options.byPath) return job({ path: file });
      const { size } = await stat(file);
      if (size > maxImageBytes) {
        throw new DarknetError(`image ${file}: ${size} bytes, over the queue's ${maxImageBytes}-byte limit (send paths on shared storage instead)`, 'ERR_PAYLOAD_TOO_LARGE');
      }
      const bytes = await readFile(file);
      const key = imageKey(name, id);
      await untilSent(() => images.set(key, bytes, 'EX', REMOVE_AFTER_SECONDS), () => stopped);
      return job({ key });
    } catch (error) {
      return error as Error;
    }
  };

  const feed = async (): Promise<void> => {
    let index = 0;
    let batch: { name: string; data: JobData; opts: typeof jobOptions & { jobId: string } }[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const jobs = batch;
      batch = [];
      await untilSent(() => queue.addBulk(jobs), () => stopped);
    };
    for await (const input of inputs as AsyncIterable<string>) {
      if (stopped) return;
      const id = `${run}-${index++}`;
      const data = await jobData(input, id);
      if (data instanceof Error) {
        publish(task.failed(input, data));
        continue;
      }
      pending.set(id, { input, file: data.file, since: Date.now(), unknownPolls: 0, settling: false });
      batch.push({ name: task.job.task, data, opts: { ...jobOptions, jobId: id } });
      if (batch.length >= 50) await flush();
      while (pending.size >= window && !stopped) {
        await flush();
        await new Promise<void>((resolvePromise) => {
          roomFreed = resolvePromise;
        });
        roomFreed = undefined;
      }
    }
    await flush();
  };

  try {
    await events.waitUntilReady();
    const feeder = feed().then(
      () => {
        feeding = false;
        stream.wake();
      },
      (error: unknown) => {
        feedError = error;
        feeding = false;
        stream.wake();
      },
    );
    yield* stream.results(() => {
      if (feedError !== undefined) return Promise.reject(feedError);
      return !feeding && pending.size === 0 ? feeder : undefined;
    });
  } finally {
    stopped = true;
    roomFreed?.();
    clearInterval(poller);
    // Jobs of an abandoned run are not left waiting for a worker; with Redis
    // away that waits CLEANUP_MS at most (the run's jobs then expire with
    // their age limit).
    const abandoned = [...pending.keys()].map((id) => Promise.all([queue.remove(id), images.del(imageKey(name, id))]).catch(() => undefined));
    deleteImages();
    const cleaned = await withinCleanup(Promise.all([...abandoned, ...removals]));
    // Every connection closed, even when one of them fails to, or Redis is away.
    if (!cleaned || !(await withinCleanup(Promise.allSettled([events.close(), queue.close()])))) {
      // BullMQ's own disconnect() waits for an 'end' that a closing client may never emit.
      await withinCleanup(Promise.allSettled([queue.client, events.client].map((client) => client.then((c) => c.disconnect()))));
    }
    images.disconnect();
  }
}
