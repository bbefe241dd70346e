/** Every failure this package reports is a DarknetError with one of these codes. */
export type DarknetErrorCode =
  | 'ERR_FILE_NOT_FOUND' // a cfg, weights, image, labels or data file does not exist
  | 'ERR_NOT_A_FILE' // the path is a directory or another non-regular file
  | 'ERR_EMPTY_FILE' // the file has no bytes
  | 'ERR_FILE_UNREADABLE' // the file exists but cannot be opened or read
  | 'ERR_INVALID_CFG' // not a darknet network description darknet can build
  | 'ERR_INVALID_WEIGHTS' // truncated, or sized for another cfg
  | 'ERR_NETWORK_TOO_LARGE' // building the network would take more than limitNetworkBytes
  | 'ERR_INVALID_IMAGE' // bytes that darknet's stb_image cannot decode
  | 'ERR_IMAGE_TOO_LARGE' // more pixels than limitInputPixels
  | 'ERR_INVALID_INPUT' // an argument or option out of range
  | 'ERR_INVALID_LABELS' // a labels list or .data file that cannot be used
  | 'ERR_NETWORK_CLOSED' // the network was closed
  | 'ERR_DARKNET' // darknet hit one of its fatal paths (exit/assert) at run time
  | 'ERR_BINDING' // the native addon could not be loaded
  | 'ERR_UNKNOWN_MODEL' // a model name that is not in the catalogue
  | 'ERR_MODEL_NOT_DOWNLOADED' // a model whose weights are not in the cache, and downloading was not allowed
  | 'ERR_DOWNLOAD' // the download failed (HTTP status, network, timeout)
  | 'ERR_CHECKSUM' // the downloaded file's size or sha256 is not what was expected
  | 'ERR_INVALID_JOB' // queue job data a worker cannot use (schema, fields, a path outside the allowed root)
  | 'ERR_WRONG_NETWORK' // a queue job meant for another network
  | 'ERR_PAYLOAD_TOO_LARGE' // an image over the queue's size limit
  | 'ERR_JOB_FAILED'; // a queue job that failed for good for another reason (stalled too often, lost)

/**
 * The one error class of this package. The native addon creates it too (it is
 * registered with the binding on load), so `instanceof DarknetError` holds for
 * errors from darknet's worker threads as well.
 */
export class DarknetError extends Error {
  readonly code: DarknetErrorCode;

  constructor(message: string, code: DarknetErrorCode, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DarknetError';
    this.code = code;
  }
}

/**
 * Gives an error from a worker thread the stack of the JavaScript call that
 * started the work (the worker's own stack is empty of user frames).
 */
export function withCallerStack(error: unknown, callSite: Error): unknown {
  if (error instanceof Error) {
    const frames = (callSite.stack ?? '').split('\n').slice(1).join('\n');
    error.stack = `${error.name} [${(error as { code?: string }).code ?? ''}]: ${error.message}\n${frames}`;
  }
  return error;
}
