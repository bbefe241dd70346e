export { DarknetError, type DarknetErrorCode } from './errors.js';
export type { ImageInput, RawImage } from './input.js';
export type { LabelsOption } from './labels.js';
export {
  classify,
  loadNetwork,
  Network,
  type Classification,
  type ClassifyOptions,
  type Box,
  type Detection,
  type DetectionsWithHeads,
  type DetectOptions,
  type DrawFormat,
  type DrawnDetections,
  type Engine,
  type LayerSummary,
  type LoadOptions,
  type Precision,
  type PredictOptions,
  type ProfileOptions,
  type LayerTime,
  type LayerAlgorithm,
  type ResizeMode,
  type Task,
} from './network.js';
export type { LayerParameters, NetworkParameters } from './native.js';
export type { CameraSource, SourceEvent, SourceInfo, VideoFrameInput, VideoSource } from './video/source.js';
export type { VideoOptions, VideoResult, VideoStream } from './video/stream.js';
export { ffmpegPath } from './video/ffmpeg.js';
export { darknetRoot } from './paths.js';
import { native, type NativeBuild } from './native.js';
import { threadCountOf } from './options.js';
import { MAX_THREADS } from './package-info.js';

/** How the loaded native addon was built. */
export type BuildInfo = Readonly<NativeBuild>;

/** How the loaded native addon was built (loads it: throws ERR_BINDING with the fixes if it can't). */
export const build: BuildInfo = Object.freeze({ ...native().build });

/**
 * Sets how many threads the fast engine uses (one pool for the whole process,
 * shared by every network and worker thread; default: the cores this process
 * may run on). 1 runs everything on the calling libuv thread.
 */
export function setThreads(count: number): void {
  native().setThreads(threadCountOf(count, MAX_THREADS));
}

/** How many threads the fast engine uses. */
export function threads(): number {
  return native().threads();
}

/** How many networks of this thread still hold darknet memory (not yet closed or collected). */
export function loadedNetworkCount(): number {
  return native().loadedNetworkCount();
}
export { classifyMany, detectMany, type BulkProgress, type BulkResult, type BulkSource, type ClassifyManyOptions, type DetectManyOptions, type DetectResult } from './bulk/bulk.js';
export { cacheDir } from './models/cache.js';
export { download, type DownloadOptions, type DownloadProgress } from './models/download.js';
export { findModel, isDownloaded, MODELS, modelWeights, type ModelInfo } from './models/catalogue.js';
export { exportOnnx } from './onnx/export.js';
export {
  classifyRemote,
  createWorker,
  detectRemote,
  DEFAULT_MAX_IMAGE_BYTES,
  defaultQueueName,
  JOB_SCHEMA_VERSION,
  KEEP_COMPLETED_JOBS,
  type ClassifyJobData,
  type ClassifyJobResult,
  type ClassifyRemoteOptions,
  type CreateWorkerOptions,
  type DarknetWorker,
  type DetectJobData,
  type DetectRemoteOptions,
  type JobData,
  type JobResult,
  type RemoteOptions,
  type NetworkId,
  type RemoteSource,
} from './queue/index.js';
