import { DarknetError } from './errors.js';
import { checkInputFile } from './files.js';
import type { NativeInput } from './native.js';

/** Interleaved 8-bit pixels, row by row (HWC), as `sharp(...).raw()` gives them. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  /** 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA); alpha is ignored as darknet does. */
  channels: number;
}

/**
 * What classify/predict take: a file path, the bytes of an encoded image
 * (JPEG, PNG, BMP, TGA, GIF, PSD, HDR, PNM: whatever darknet's stb_image
 * decodes), or raw pixels.
 */
export type ImageInput = string | Uint8Array | RawImage;

function positiveInteger(value: unknown, name: string, max = 1 << 20): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > max) {
    throw new DarknetError(`raw pixels: ${name} must be an integer from 1 to ${max}, got ${String(value)}`, 'ERR_INVALID_INPUT');
  }
  return value;
}

/**
 * Validates an input's shape and copies its bytes, synchronously, so that the
 * caller may reuse its buffer as soon as the call returns. A path is checked
 * later, by resolveInput, when its turn comes.
 */
export function captureInput(input: ImageInput, pixelLimit = 0, borrow = false): NativeInput {
  if (typeof input === 'string') {
    if (input.length === 0) throw new DarknetError('image path must be a non-empty string', 'ERR_INVALID_INPUT');
    return { path: input };
  }
  if (input instanceof Uint8Array) {
    if (input.length === 0) throw new DarknetError('image buffer is empty', 'ERR_INVALID_IMAGE');
    return { bytes: input.slice() };
  }
  if (input !== null && typeof input === 'object' && 'data' in input) {
    const data: unknown = input.data;
    if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray)) {
      throw new DarknetError('raw pixels: data must be a Uint8Array', 'ERR_INVALID_INPUT');
    }
    const width = positiveInteger(input.width, 'width');
    const height = positiveInteger(input.height, 'height');
    const channels = positiveInteger(input.channels, 'channels', 4);
    if (pixelLimit > 0 && width * height > pixelLimit) {
      throw new DarknetError(
        `raw pixels: ${width}x${height} pixels exceeds limitInputPixels (${pixelLimit})`,
        'ERR_IMAGE_TOO_LARGE',
      );
    }
    const expected = width * height * channels;
    if (data.length !== expected) {
      throw new DarknetError(
        `raw pixels: data has ${data.length} bytes, width x height x channels = ${width} x ${height} x ${channels} = ${expected}`,
        'ERR_INVALID_INPUT',
      );
    }
    // a copy, unless the caller gives its buffer up (the video pipeline's own frames)
    if (borrow && data instanceof Uint8Array) return { pixels: data, width, height, channels, borrow: true };
    const pixels = new Uint8Array(data);
    return { pixels, width, height, channels };
  }
  throw new DarknetError(
    'input must be a file path, a Buffer/Uint8Array of an encoded image, or { data, width, height, channels }',
    'ERR_INVALID_INPUT',
  );
}

/** Checks a path input's file (exists, regular, non-empty, readable) just before use. */
export async function resolveInput(input: NativeInput): Promise<NativeInput> {
  return 'path' in input ? { path: await checkInputFile(input.path, 'image') } : input;
}
