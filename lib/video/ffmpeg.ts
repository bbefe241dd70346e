import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';

import { DarknetError } from '../errors.js';

/**
 * Which FFmpeg runs the video work, in this order:
 * 1. DARKNET_NAPI_FFMPEG (a path);
 * 2. `ffmpeg` on the PATH (Debian's `ffmpeg`, Homebrew's, ...);
 * 3. an npm package that ships the executable, when the user installed one:
 *    `@ffmpeg-installer/ffmpeg` (binaries inside per-platform npm packages)
 *    or `ffmpeg-static` (whose install script downloads its binary). Neither
 *    is a dependency: the first ships FFmpeg 4.1 from 2018 and is no longer
 *    updated, the second's download fails where only the npm registry is
 *    reachable; we take them when they are there.
 */
export const FFMPEG_ENV = 'DARKNET_NAPI_FFMPEG';

const HOW_TO_GET =
  'install FFmpeg (Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg; Windows: winget install ffmpeg), ' +
  `or point ${FFMPEG_ENV} at an ffmpeg executable`;

function executable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  const names = process.platform === 'win32' ? [`${name}.exe`, name] : [name];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const candidate of names) {
      const path = join(dir, candidate);
      if (executable(path)) return path;
    }
  }
  return undefined;
}

function fromPackage(): string | undefined {
  const require = createRequire(import.meta.url);
  for (const name of ['@ffmpeg-installer/ffmpeg', 'ffmpeg-static']) {
    try {
      const found = require(name) as string | { path?: string } | null;
      const path = typeof found === 'string' ? found : found?.path;
      if (path && executable(path)) return path;
    } catch {
      // not installed
    }
  }
  return undefined;
}

let cached: { key: string; path: string } | undefined;

/** The FFmpeg executable to run, or ERR_FFMPEG_NOT_FOUND saying how to get one. */
export function ffmpegPath(): string {
  const override = process.env[FFMPEG_ENV];
  const key = `${override ?? ''}\0${process.env.PATH ?? ''}`;
  if (cached?.key === key) return cached.path;
  let path: string | undefined;
  if (override) {
    if (!executable(override)) {
      throw new DarknetError(`${FFMPEG_ENV}=${override} is not an executable file: ${HOW_TO_GET}`, 'ERR_FFMPEG_NOT_FOUND');
    }
    path = override;
  } else {
    path = onPath('ffmpeg') ?? fromPackage();
  }
  if (!path) throw new DarknetError(`video needs FFmpeg, and none was found: ${HOW_TO_GET}`, 'ERR_FFMPEG_NOT_FOUND');
  cached = { key, path };
  return path;
}

/** `ffmpeg -version`'s first line (for --version and the bench). */
export function ffmpegVersion(): string | undefined {
  try {
    const result = spawnSync(ffmpegPath(), ['-hide_banner', '-version'], { encoding: 'utf8', timeout: 10_000 });
    return result.stdout.split('\n')[0]?.trim() || undefined;
  } catch {
    return undefined;
  }
}

let showinfoChecksum: { path: string; has: boolean } | undefined;

/**
 * Whether this FFmpeg's showinfo filter takes `checksum=0` (FFmpeg 4.4 and
 * later): the per-frame checksums it computes by default double the cost of
 * decoding a 720p stream, and the video pipeline needs only the timestamps.
 */
export function showinfoTakesChecksum(): boolean {
  const path = ffmpegPath();
  if (showinfoChecksum?.path !== path) {
    const help = spawnSync(path, ['-hide_banner', '-h', 'filter=showinfo'], { encoding: 'utf8', timeout: 10_000 });
    showinfoChecksum = { path, has: /\bchecksum\b/.test(`${help.stdout ?? ''}${help.stderr ?? ''}`) };
  }
  return showinfoChecksum.has;
}
