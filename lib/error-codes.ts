/**
 * The one table of this package's error codes, for TypeScript and C alike:
 * cmake/error_codes.cmake parses the object below as JSON at configure time
 * and writes the C enum and names from it (so keep it strict JSON: quoted
 * keys, no comments, no trailing commas). An entry with "native" is a code
 * the addon's C code can set (under that enum name).
 */
export const ERROR_CODES = {
  "ERR_FILE_NOT_FOUND": { "doc": "a cfg, weights, image, labels or data file does not exist" },
  "ERR_NOT_A_FILE": { "doc": "the path is a directory or another non-regular file" },
  "ERR_EMPTY_FILE": { "doc": "the file has no bytes" },
  "ERR_INVALID_CFG": { "native": "DN_E_CFG", "doc": "not a darknet network description darknet can build" },
  "ERR_INVALID_WEIGHTS": { "native": "DN_E_WEIGHTS", "doc": "truncated, or sized for another cfg" },
  "ERR_UNSUPPORTED_LAYER": { "doc": "a layer (or a layer option) the ONNX export has no translation for" },
  "ERR_INVALID_IMAGE": { "native": "DN_E_IMAGE", "doc": "bytes that darknet's stb_image cannot decode" },
  "ERR_INVALID_INPUT": { "native": "DN_E_INPUT", "doc": "an argument or option out of range" },
  "ERR_DARKNET": { "native": "DN_E_DARKNET", "doc": "darknet hit one of its fatal paths (exit/assert) at run time" },
  "ERR_FILE_UNREADABLE": { "native": "DN_E_FILE", "doc": "the file exists but cannot be opened or read" },
  "ERR_NETWORK_TOO_LARGE": { "native": "DN_E_TOO_LARGE", "doc": "building the network would take more than limitNetworkBytes" },
  "ERR_IMAGE_TOO_LARGE": { "native": "DN_E_IMAGE_TOO_LARGE", "doc": "more pixels than limitInputPixels" },
  "ERR_NETWORK_CLOSED": { "native": "DN_E_CLOSED", "doc": "the network was closed" },
  "ERR_INVALID_LABELS": { "doc": "a labels list or .data file that cannot be used (for a detector: fewer names than its classes)" },
  "ERR_WRONG_TASK": { "doc": "classify() on a detector, or detect() on a network that is not one" },
  "ERR_BINDING": { "doc": "the native addon could not be loaded" },
  "ERR_UNKNOWN_MODEL": { "doc": "a model name that is not in the catalogue" },
  "ERR_MODEL_NOT_DOWNLOADED": { "doc": "a model whose weights are not in the cache, and downloading was not allowed" },
  "ERR_DOWNLOAD": { "doc": "the download failed (HTTP status, network, timeout)" },
  "ERR_CHECKSUM": { "doc": "the downloaded file's size or sha256 is not what was expected" },
  "ERR_INVALID_JOB": { "doc": "queue job data a worker cannot use (schema, fields, a path outside the allowed root)" },
  "ERR_WRONG_NETWORK": { "doc": "a queue job meant for another network" },
  "ERR_PAYLOAD_TOO_LARGE": { "doc": "an image over the queue's size limit" },
  "ERR_JOB_FAILED": { "doc": "a queue job that failed for good for another reason (stalled too often, lost)" },
  "ERR_FFMPEG_NOT_FOUND": { "doc": "video needs FFmpeg: none at DARKNET_NAPI_FFMPEG, on the PATH or in an installed ffmpeg package" },
  "ERR_INVALID_VIDEO": { "doc": "a video source FFmpeg cannot open or decode (not a video, truncated, no video stream, unknown codec, a URL that refuses, a missing camera)" },
  "ERR_VIDEO_TIMEOUT": { "doc": "a video source that sent no frame for longer than its timeout" },
  "ERR_VIDEO_OUTPUT": { "doc": "the video written back (output, -out_filename, -prefix) could not be written" },
  "ERR_PORT_IN_USE": { "doc": "a -json_port or -mjpeg_port that cannot be listened on" }
} as const;

/** Every failure this package reports is a DarknetError with one of these codes. */
export type DarknetErrorCode = keyof typeof ERROR_CODES;
