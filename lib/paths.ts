import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's root folder (holds package.json, darknet/, dist/). */
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The package's copy of darknet's sources, cfgs and data files. */
export const darknetRoot = join(packageRoot, 'darknet');

/**
 * Resolves a darknet-relative path ("cfg/imagenet1k.data", "data/...") the way
 * `./darknet` does, relative to the working directory, and falls back to the
 * package's own darknet copy so that it works from any directory.
 */
export function resolveDarknetPath(path: string, cwd = process.cwd()): string {
  if (isAbsolute(path)) return path;
  const local = resolve(cwd, path);
  if (existsSync(local)) return local;
  const bundled = join(darknetRoot, path);
  return existsSync(bundled) ? bundled : local;
}
