import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';

import { cacheDir } from './cache.js';
import { DarknetError } from '../errors.js';
import { sha256Of } from '../files.js';
import { findModel, modelWeights, type ModelInfo } from './catalogue.js';

export interface DownloadProgress {
  /** Bytes of the file we have, resumed bytes included. */
  received: number;
  /** The file's size, when known. */
  total: number | undefined;
  /** Bytes per second of this transfer so far. */
  bytesPerSecond: number;
  /** The transfer continues a partial download. */
  resumed: boolean;
}

export interface DownloadOptions {
  /** Expected sha256 (hex); a model's own checksum applies when this is absent. */
  sha256?: string;
  /** A base URL or local folder that replaces pjreddie.com (default: DARKNET_NAPI_MIRROR). */
  mirror?: string;
  /** Milliseconds without receiving data before the download fails (default 30 s). */
  timeout?: number;
  onProgress?: (progress: DownloadProgress) => void;
  /** A last check of the finished file (the model's cfg-implied size), before it is installed. */
  verify?: (file: string) => Promise<void>;
}

/** Where a URL's file is kept in the cache. */
function cachedPathFor(url: string): string {
  const name = basename(new URL(url).pathname);
  if (!name) throw new DarknetError(`cannot tell a file name from ${url}`, 'ERR_INVALID_INPUT');
  return join(cacheDir(), name);
}

/** The URL or local path the file really comes from, given a mirror. */
function sourceFor(url: string, mirror: string | undefined): string {
  if (!mirror) return url;
  const name = basename(new URL(url).pathname);
  if (/^https?:\/\//.test(mirror)) return new URL(name, mirror.endsWith('/') ? mirror : `${mirror}/`).href;
  const folder = mirror.startsWith('file:') ? fileURLToPath(mirror) : isAbsolute(mirror) ? mirror : resolve(mirror);
  return join(folder, name);
}

function request(url: string, headers: Record<string, string>, timeout: number, redirects = 5): Promise<IncomingMessage> {
  return new Promise((resolvePromise, reject) => {
    const get = url.startsWith('https:') ? httpsGet : httpGet;
    const req = get(url, { headers: { 'user-agent': 'darknet-napi', ...headers } }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (redirects === 0) return reject(new DarknetError(`too many redirects from ${url}`, 'ERR_DOWNLOAD'));
        return resolvePromise(request(new URL(res.headers.location, url).href, headers, timeout, redirects - 1));
      }
      resolvePromise(res);
    });
    req.setTimeout(timeout, () => req.destroy(new DarknetError(`no data from ${url} for ${timeout / 1000} s`, 'ERR_DOWNLOAD')));
    req.on('error', (error) =>
      reject(error instanceof DarknetError ? error : new DarknetError(`download of ${url} failed: ${error.message}`, 'ERR_DOWNLOAD', { cause: error })),
    );
  });
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** Counts bytes for progress reports as they pass. */
function meter(start: number, total: number | undefined, resumed: boolean, onProgress: DownloadOptions['onProgress']): Transform {
  let received = start;
  const began = Date.now();
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      const seconds = (Date.now() - began) / 1000;
      onProgress?.({ received, total, bytesPerSecond: seconds > 0 ? (received - start) / seconds : 0, resumed });
      done(null, chunk);
    },
  });
}

/** Fetches `source` into `partial`, resuming what is there. Returns the size the server announced. */
async function fetchInto(source: string, partial: string, options: DownloadOptions, expectedSize: number | undefined): Promise<number | undefined> {
  const timeout = options.timeout ?? 30_000;
  if (!/^https?:\/\//.test(source)) {
    // A local mirror folder.
    const size = await sizeOf(source);
    if (size === 0) throw new DarknetError(`${source} does not exist in the mirror folder`, 'ERR_DOWNLOAD');
    await pipeline(createReadStream(source), meter(0, size, false, options.onProgress), createWriteStream(partial));
    return size;
  }
  let have = await sizeOf(partial);
  if (expectedSize !== undefined && have > expectedSize) {
    await rm(partial, { force: true });
    have = 0;
  }
  if (expectedSize !== undefined && have === expectedSize) return expectedSize;
  const res = await request(source, have > 0 ? { range: `bytes=${have}-` } : {}, timeout);
  const status = res.statusCode ?? 0;
  let append = false;
  let total: number | undefined;
  if (status === 206) {
    const range = /bytes (\d+)-(\d+)\/(\d+|\*)/.exec(res.headers['content-range'] ?? '');
    if (!range || Number(range[1]) !== have) {
      res.resume();
      await rm(partial, { force: true });
      throw new DarknetError(`${source} answered a different range than asked for; the partial download was dropped, try again`, 'ERR_DOWNLOAD');
    }
    append = true;
    total = range[3] === '*' ? undefined : Number(range[3]);
  } else if (status === 416 && have > 0) {
    res.resume();
    return have; // already complete; the checks decide
  } else if (status === 200) {
    const length = Number(res.headers['content-length']);
    total = Number.isFinite(length) && length > 0 ? length : undefined;
  } else {
    res.resume();
    throw new DarknetError(`download of ${source} failed: HTTP ${status}`, 'ERR_DOWNLOAD');
  }
  res.setTimeout(timeout, () => res.destroy(new DarknetError(`no data from ${source} for ${timeout / 1000} s`, 'ERR_DOWNLOAD')));
  try {
    await pipeline(res, meter(append ? have : 0, total, append, options.onProgress), createWriteStream(partial, { flags: append ? 'a' : 'w' }));
  } catch (error) {
    if (error instanceof DarknetError) throw error;
    throw new DarknetError(`download of ${source} was cut off: ${(error as Error).message} (run it again to resume)`, 'ERR_DOWNLOAD', {
      cause: error,
    });
  }
  return total;
}

/** Holds `<file>.lock` while downloading, so two processes never write the same file. */
async function withLock<T>(file: string, work: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  for (;;) {
    try {
      const handle = await open(lock, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
      let alive = false;
      try {
        alive = pid > 0 && process.kill(pid, 0);
      } catch {
        alive = false;
      }
      if (!alive && pid > 0) {
        await rm(lock, { force: true }); // left by a process that died
      } else {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
  try {
    return await work();
  } finally {
    await rm(lock, { force: true });
  }
}

/** How long a Windows rename is retried while another program holds a file. */
const RENAME_PATIENCE_MS = 10_000;

/**
 * Renames the checked download into place. On Windows a rename fails while
 * another program has either file open without sharing delete access (a
 * virus scanner or indexer reading the new file: EBUSY; a process still
 * reading an old file at the final path: EPERM). Such holds are mostly brief:
 * retried with back-off, then an error that says what to do; the download
 * stays, checked, for the next run.
 */
async function moveIntoPlace(partial: string, file: string): Promise<void> {
  const start = Date.now();
  for (let wait = 50; ; wait = Math.min(2 * wait, 1000)) {
    try {
      await rename(partial, file);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (process.platform !== 'win32' || !['EBUSY', 'EPERM', 'EACCES'].includes(code)) throw error;
      if (Date.now() - start + wait > RENAME_PATIENCE_MS) {
        throw new DarknetError(
          `cannot move the download ${partial} to ${file} (${code}): another program has one of them open; close it and run again`,
          'ERR_DOWNLOAD',
        );
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

const inFlight = new Map<string, Promise<string>>();

/**
 * Downloads a catalogue model's weights or a URL into the cache and returns
 * the file's path. The transfer goes to `<file>.partial` (resumed with an
 * HTTP Range request when it was cut off), is checked (size, sha256, the
 * model's own check), and only then renamed into place: a file at the final
 * path is always complete. A file already in the cache is returned as is.
 */
export async function download(target: string | ModelInfo, options: DownloadOptions = {}): Promise<string> {
  const model = typeof target === 'string' ? findModel(target) : target;
  let url: string;
  if (model) {
    url = model.url;
  } else if (typeof target === 'string' && /^https?:\/\//.test(target)) {
    url = target;
  } else {
    throw new DarknetError(`unknown model ${String(typeof target === 'string' ? target : target.name)}: see \`darknet models\``, 'ERR_UNKNOWN_MODEL');
  }
  const file = model ? modelWeights(model) : cachedPathFor(url);
  if ((await sizeOf(file)) > 0) return file;

  const pending = inFlight.get(file);
  if (pending) return pending;
  const job = (async () => {
    await mkdir(cacheDir(), { recursive: true });
    return withLock(file, async () => {
      if ((await sizeOf(file)) > 0) return file; // another process finished it
      const partial = `${file}.partial`;
      const source = sourceFor(url, options.mirror ?? process.env.DARKNET_NAPI_MIRROR);
      const expectedSize = model?.size;
      const expectedSha = (options.sha256 ?? model?.sha256)?.toLowerCase();
      const announced = await fetchInto(source, partial, options, expectedSize);
      const size = await sizeOf(partial);
      const fail = async (message: string): Promise<never> => {
        await rm(partial, { force: true });
        throw new DarknetError(`${message}; ${basename(file)} was not installed`, 'ERR_CHECKSUM');
      };
      if (announced !== undefined && size !== announced) {
        throw new DarknetError(`download of ${source} ended at ${size} of ${announced} bytes (run it again to resume)`, 'ERR_DOWNLOAD');
      }
      if (expectedSize !== undefined && size !== expectedSize) await fail(`${source}: expected ${expectedSize} bytes, got ${size}`);
      if (expectedSha) {
        const actual = await sha256Of(partial);
        if (actual !== expectedSha) await fail(`${source}: expected sha256 ${expectedSha}, got ${actual}`);
      }
      if (options.verify) {
        try {
          await options.verify(partial);
        } catch (error) {
          await fail(`${source}: ${(error as Error).message}`);
        }
      }
      await moveIntoPlace(partial, file);
      return file;
    });
  })();
  inFlight.set(file, job);
  try {
    return await job;
  } finally {
    inFlight.delete(file);
  }
}
