// What travels through Redis: the job data a producer enqueues, the result a
// worker returns, and how a failure is carried back. Workers treat job data as
// untrusted input: parseJobData checks every field before darknet sees it.
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

import { ERROR_CODES } from '../error-codes.js';
import { DarknetError, type DarknetErrorCode } from '../errors.js';
import { sha256Of } from '../files.js';
import type { Classification, Detection, ResizeMode, Task } from '../network.js';
import { thresholdOf } from '../options.js';

/** Bumped when the job data changes shape; workers refuse other versions. */
export const JOB_SCHEMA_VERSION = 1;

/**
 * The largest image a producer puts into a job (its bytes travel base64 in
 * Redis, a third larger). Larger images are refused before enqueueing; use
 * byPath on shared storage for those.
 */
export const DEFAULT_MAX_IMAGE_BYTES = 8 * 1024 * 1024;

/**
 * Completed jobs BullMQ keeps per queue: the worker's own finishing script
 * trims the oldest, so the producer sends no removal per job (its result
 * came with the completed event). A result whose event was lost and whose job
 * was trimmed already is computed again (the producer's poll re-enqueues it).
 */
export const KEEP_COMPLETED_JOBS = 1000;

/** Which network a job is meant for: the sha256 of its cfg and of its weights. */
export interface NetworkId {
  cfg: string;
  weights: string;
}

/**
 * The image: `key`, its bytes in a Redis string beside the job (what the
 * producer sends: raw bytes cost Redis and both ends far less than a large
 * string inside the job's JSON); `bytes`, base64 inside the job; or, on
 * shared storage, its `path`.
 */
export type JobImage =
  | { key: string; bytes?: undefined; path?: undefined }
  | { bytes: string; key?: undefined; path?: undefined }
  | { path: string; bytes?: undefined; key?: undefined };

/** Where a job's image bytes are kept: derived from the queue and job id, so a job cannot name another key. */
export function imageKey(queue: string, jobId: string): string {
  return `darknet-napi:image:${queue}:${jobId}`;
}

interface JobDataBase {
  v: typeof JOB_SCHEMA_VERSION;
  network: NetworkId;
  /** The image's absolute path on the producer's machine: error messages name it. */
  file: string;
  image: JobImage;
}

export interface ClassifyJobOptions {
  top: number;
  resize: ResizeMode;
}

export interface DetectJobOptions {
  thresh: number;
  hierThresh: number;
  nms: number;
}

export interface ClassifyJobData extends JobDataBase {
  task: 'classify';
  options: ClassifyJobOptions;
}

export interface DetectJobData extends JobDataBase {
  task: 'detect';
  options: DetectJobOptions;
}

export type JobData = ClassifyJobData | DetectJobData;

/** A job's return value: the predictions of a classify job, the detections of a detect job. */
export type JobResult = { v: typeof JOB_SCHEMA_VERSION; predictions: Classification[] } | { v: typeof JOB_SCHEMA_VERSION; detections: Detection[] };

/** A classify job's return value. */
export interface ClassifyJobResult {
  v: typeof JOB_SCHEMA_VERSION;
  predictions: Classification[];
}

/** What a worker runs for a job once its data has been checked. */
export type ParsedJob = {
  file: string;
  /** A path, the bytes, or the Redis key that holds them. */
  input: string | Buffer | { key: string };
} & ({ task: 'classify'; options: ClassifyJobOptions } | { task: 'detect'; options: DetectJobOptions });

export interface ParseJobOptions {
  network: NetworkId;
  /** Folder that path jobs must lie in; without it, path jobs are refused. */
  byPathRoot?: string | undefined;
  /** byPathRoot through its symlinks, when the caller resolved it once already. */
  realByPathRoot?: string | undefined;
  maxImageBytes: number;
  /** The only key this job's image may be in (imageKey of its queue and id). */
  imageKey: string;
}

function invalid(message: string): DarknetError {
  return new DarknetError(`invalid job: ${message}`, 'ERR_INVALID_JOB');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const SHA256 = /^[0-9a-f]{64}$/;

/** Checks untrusted job data field by field; throws ERR_INVALID_JOB, ERR_WRONG_NETWORK or ERR_PAYLOAD_TOO_LARGE. */
export async function parseJobData(data: unknown, options: ParseJobOptions): Promise<ParsedJob> {
  if (!isRecord(data)) throw invalid('data is not an object');
  if (data.v !== JOB_SCHEMA_VERSION) throw invalid(`schema version ${JSON.stringify(data.v) ?? 'undefined'}, this worker takes ${JOB_SCHEMA_VERSION}`);
  if (data.task !== 'classify' && data.task !== 'detect') throw invalid(`unknown task ${JSON.stringify(data.task) ?? 'undefined'}`);
  const task: Task = data.task;
  const network = data.network;
  if (!isRecord(network) || typeof network.cfg !== 'string' || typeof network.weights !== 'string' || !SHA256.test(network.cfg) || !SHA256.test(network.weights)) {
    throw invalid('network must be { cfg, weights } sha256 digests');
  }
  if (network.cfg !== options.network.cfg || network.weights !== options.network.weights) {
    throw new DarknetError(
      `job is for the network with weights sha256 ${network.weights} (cfg ${network.cfg}); this worker runs weights ${options.network.weights} (cfg ${options.network.cfg})`,
      'ERR_WRONG_NETWORK',
    );
  }
  if (typeof data.file !== 'string' || data.file.length === 0 || data.file.length > 4096) throw invalid('file must be a non-empty string');
  const file = data.file;
  const jobOptions = data.options;
  if (!isRecord(jobOptions)) throw invalid('options is not an object');
  const checked = task === 'classify' ? ({ task, options: classifyOptionsOf(jobOptions) } as const) : ({ task, options: detectOptionsOf(jobOptions) } as const);
  const image = data.image;
  if (!isRecord(image)) throw invalid('image is not an object');
  let input: ParsedJob['input'];
  const given = ['key', 'bytes', 'path'].filter((field) => image[field] !== undefined);
  if (given.length !== 1) throw invalid('image must be one of { key }, { bytes }, { path }');
  if (typeof image.key === 'string') {
    if (image.key !== options.imageKey) throw invalid(`image key ${JSON.stringify(image.key.slice(0, 200))} is not this job's (${options.imageKey})`);
    input = { key: image.key };
  } else if (typeof image.bytes === 'string') {
    // base64's length fixes the decoded size: check it before decoding anything.
    if (image.bytes.length > Math.ceil(options.maxImageBytes / 3) * 4) {
      throw new DarknetError(
        `image ${file}: about ${Math.floor((image.bytes.length * 3) / 4)} bytes, over this worker's ${options.maxImageBytes}-byte limit`,
        'ERR_PAYLOAD_TOO_LARGE',
      );
    }
    // Node's decoder skips what is not base64, so a short result means a bad
    // character: checked in one native pass instead of a regular expression.
    const padding = image.bytes.endsWith('==') ? 2 : image.bytes.endsWith('=') ? 1 : 0;
    input = Buffer.from(image.bytes, 'base64');
    if (image.bytes.length % 4 !== 0 || input.length !== (image.bytes.length / 4) * 3 - padding || image.bytes.slice(0, -2).includes('=')) {
      throw invalid('image.bytes is not base64');
    }
    if (input.length === 0) throw invalid('image.bytes is empty');
  } else if (typeof image.path === 'string') {
    input = await checkedPath(image.path, options.byPathRoot, options.realByPathRoot);
  } else {
    throw invalid('image must be one of { key }, { bytes }, { path }');
  }
  return { file, input, ...checked };
}

function classifyOptionsOf(options: Record<string, unknown>): ClassifyJobOptions {
  const { top, resize } = options;
  if (typeof top !== 'number' || !Number.isInteger(top) || top < 1 || top > 1_000_000) throw invalid(`options.top must be a positive integer, got ${String(top)}`);
  if (resize !== 'letterbox' && resize !== 'min') throw invalid(`options.resize must be letterbox or min, got ${String(resize)}`);
  return { top, resize };
}

/** Each threshold as Network.detect checks it (lib/options.ts), present (the producer fills the defaults). */
function detectOptionsOf(options: Record<string, unknown>): DetectJobOptions {
  const threshold = (name: 'thresh' | 'hierThresh' | 'nms'): number => {
    const value = options[name];
    if (value === undefined) throw invalid(`options.${name} is missing`);
    try {
      return thresholdOf(name, value, 0, name === 'thresh');
    } catch (error) {
      throw invalid(`options.${(error as Error).message}`);
    }
  };
  return { thresh: threshold('thresh'), hierThresh: threshold('hierThresh'), nms: threshold('nms') };
}

/** A path job's file, resolved through symlinks, which must stay inside the allowed root. */
async function checkedPath(path: string, root: string | undefined, resolvedRoot: string | undefined): Promise<string> {
  if (root === undefined) throw invalid(`image path ${path}: this worker takes no paths (start it with an allowed root for path jobs)`);
  if (!isAbsolute(path) || path.includes('\0')) throw invalid(`image path ${JSON.stringify(path)} is not an absolute path`);
  const realRoot = resolvedRoot ?? (await realpath(root));
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    real = resolve(path); // a missing file: darknet's own check names it
  }
  const rel = relative(realRoot, real);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw invalid(`image path ${path} is outside the allowed root ${root}`);
  }
  return path;
}

/** The failure a worker records: the error's code, then its message (BullMQ keeps one string). */
export function encodeFailure(error: { code?: string; message: string }): string {
  return `${error.code ?? 'ERR_JOB_FAILED'}: ${error.message}`;
}

const FAILURE = /^(ERR_[A-Z_]+): ([\s\S]*)$/;

/** A failed job's reason as the DarknetError it was; other reasons (a stalled job...) are ERR_JOB_FAILED. */
export function decodeFailure(reason: string | undefined, file: string): DarknetError {
  // The reason is data from Redis: only a code of ours is taken as one.
  const match = FAILURE.exec(reason ?? '');
  if (match && (match[1] as string) in ERROR_CODES) return new DarknetError(match[2] as string, match[1] as DarknetErrorCode);
  return new DarknetError(`image ${file}: the job failed: ${reason ?? 'no reason given'}`, 'ERR_JOB_FAILED');
}

/** A result read back from Redis, checked before it is handed out: a classify job's predictions or a detect job's detections. */
export function parseJobResult(value: unknown, task: 'detect'): Detection[];
export function parseJobResult(value: unknown, task?: 'classify'): Classification[];
export function parseJobResult(value: unknown, task: Task = 'classify'): Classification[] | Detection[] {
  const unreadable = (): DarknetError => new DarknetError('a worker returned a result this producer cannot read', 'ERR_JOB_FAILED');
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw unreadable();
    }
  }
  const field = task === 'detect' ? 'detections' : 'predictions';
  if (!isRecord(parsed) || parsed.v !== JOB_SCHEMA_VERSION || !Array.isArray(parsed[field])) throw unreadable();
  return parsed[field] as Classification[] | Detection[];
}

export async function networkIdOf(cfg: string, weights: string): Promise<NetworkId> {
  const [cfgHash, weightsHash] = await Promise.all([sha256Of(cfg), sha256Of(weights)]);
  return { cfg: cfgHash, weights: weightsHash };
}

/** One queue per network by default: named after its weights' and cfg's digests. */
export function defaultQueueName(id: NetworkId): string {
  return `darknet-${id.weights.slice(0, 16)}-${id.cfg.slice(0, 8)}`;
}

/** The message a worker gives for an image it got as bytes names the producer's file instead. */
export function nameFileInMessage(message: string, file: string): string {
  return message.replace(/^image buffer \(\d+ bytes\)/, `image ${file}`);
}
