// The queue's public entry points. BullMQ and ioredis (about 170 ms to load)
// are imported on first use, so `import 'darknet-napi'` and every CLI command
// that does not talk to Redis start without them.
import type { BulkResult, DetectResult } from '../bulk/bulk.js';
import type { ClassifyRemoteOptions, DetectRemoteOptions, RemoteSource } from './producer.js';
import type { CreateWorkerOptions, DarknetWorker } from './worker.js';

export type { ClassifyRemoteOptions, DetectRemoteOptions, RemoteOptions, RemoteSource } from './producer.js';
export type { CreateWorkerOptions, DarknetWorker } from './worker.js';
export {
  DEFAULT_MAX_IMAGE_BYTES,
  JOB_SCHEMA_VERSION,
  KEEP_COMPLETED_JOBS,
  defaultQueueName,
  type ClassifyJobData,
  type ClassifyJobResult,
  type DetectJobData,
  type JobData,
  type JobResult,
  type NetworkId,
} from './job.js';

/** A BullMQ worker that classifies with a network it loads once (see README, "Many machines"). */
export async function createWorker(options: CreateWorkerOptions): Promise<DarknetWorker> {
  const worker = await import('./worker.js');
  return worker.createWorker(options);
}

/** Classifies images on whatever workers serve the network's queue, yielding classifyMany's results. */
export async function* classifyRemote(
  source: RemoteSource,
  inputs: Iterable<string> | AsyncIterable<string>,
  options: ClassifyRemoteOptions,
): AsyncGenerator<BulkResult<string>, void, undefined> {
  const producer = await import('./producer.js');
  yield* producer.classifyRemote(source, inputs, options);
}

/** detectMany through the queue (see classifyRemote). */
export async function* detectRemote(
  source: RemoteSource,
  inputs: Iterable<string> | AsyncIterable<string>,
  options: DetectRemoteOptions,
): AsyncGenerator<DetectResult<string>, void, undefined> {
  const producer = await import('./producer.js');
  yield* producer.detectRemote(source, inputs, options);
}
