import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';

import { DarknetError } from './errors.js';

/** A file's sha256, hex. */
export async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** What a file is for, as error messages name it. */
export type FileRole = 'cfg' | 'weights' | 'image' | 'labels' | 'data';

/**
 * Checks that `path` is a non-empty, readable regular file before darknet sees
 * it (darknet itself exits on a missing file and reads a directory as empty).
 * Returns the absolute path.
 */
export async function checkInputFile(path: string, role: FileRole): Promise<string> {
  if (typeof path !== 'string' || path.length === 0) {
    throw new DarknetError(`${role} path must be a non-empty string`, 'ERR_INVALID_INPUT');
  }
  const absolute = resolve(path);
  let info;
  try {
    info = await stat(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new DarknetError(`${role} file not found: ${path}`, 'ERR_FILE_NOT_FOUND', { cause: error });
    }
    throw new DarknetError(`${role} file ${path} cannot be read: ${(error as Error).message}`, 'ERR_FILE_UNREADABLE', {
      cause: error,
    });
  }
  if (info.isDirectory()) {
    throw new DarknetError(`${role} path ${path} is a directory, not a file`, 'ERR_NOT_A_FILE');
  }
  if (!info.isFile()) {
    throw new DarknetError(`${role} path ${path} is not a regular file`, 'ERR_NOT_A_FILE');
  }
  if (info.size === 0) {
    throw new DarknetError(`${role} file ${path} is empty`, 'ERR_EMPTY_FILE');
  }
  try {
    await access(absolute, constants.R_OK);
  } catch (error) {
    throw new DarknetError(`${role} file ${path} is not readable: ${(error as Error).message}`, 'ERR_FILE_UNREADABLE', {
      cause: error,
    });
  }
  return absolute;
}
