import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { packageRoot } from './paths.js';

interface PackageJson {
  version: string;
  /** The constants the C build reads too (CMake's string(JSON), scripts/fetch-darknet.sh). */
  darknet: { commit: string; maxThreads: number };
}

/** This package's package.json: the one place of the constants C and TypeScript share. */
export const packageInfo = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as PackageJson;

/** The most threads the fast engine's pool runs (DN_POOL_MAX_THREADS in C). */
export const MAX_THREADS = packageInfo.darknet.maxThreads;
