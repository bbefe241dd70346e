// The queue tests' own helpers: a private redis-server (127.0.0.1, a free
// port, a temporary folder; never a server the machine already runs), worker
// and producer processes of our CLI, and the images they classify.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

import { darknetDir, ourCli, sampleImages, tempDir as makeTempDir, tinyCfg } from './support/paths.mjs';
import { corruptImages, derivedImages } from './support/corpus.mjs';
import { tinyWeights } from './support/weights.mjs';

export { darknetDir, tinyCfg } from './support/paths.mjs';
export { tinyWeights } from './support/weights.mjs';
const cli = ourCli;

export function tempDir(prefix = 'darknet-napi-queue-') {
  return makeTempDir(prefix);
}

function freePort() {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePromise(port));
    });
  });
}

function waitForOutput(child, stream, pattern, what, timeoutMs = 30000) {
  return new Promise((resolvePromise, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${what}: no ${pattern} within ${timeoutMs} ms; output:\n${seen}`)), timeoutMs);
    const onData = (chunk) => {
      seen += chunk;
      if (pattern.test(seen)) {
        clearTimeout(timer);
        stream.off('data', onData);
        resolvePromise();
      }
    };
    stream.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code ?? signal}) before ${pattern}; output:\n${seen}`));
    });
  });
}

/**
 * Starts Debian's redis-server on a free port with its data in a new folder.
 * persist: an append-only file fsynced on every write, so a restart keeps everything.
 */
export async function startRedis({ persist = false } = {}) {
  if (!existsSync('/usr/bin/redis-server') && !process.env.PATH?.split(':').some((dir) => existsSync(join(dir, 'redis-server')))) {
    throw new Error('redis-server is not installed (apt-get install -y redis-server)');
  }
  const dir = tempDir('darknet-napi-redis-');
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no', '--save', '', '--protected-mode', 'yes'];
  args.push(...(persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
  let child;
  const start = async () => {
    // Not under npm run test:sanitize's preloaded ASan runtime: Redis is not ours to check.
    const { LD_PRELOAD: _preload, ...env } = process.env;
    child = spawn('redis-server', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8');
    await waitForOutput(child, child.stdout, /Ready to accept connections/, 'redis-server');
  };
  const stop = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolvePromise) => child.once('exit', resolvePromise));
    child.kill('SIGTERM'); // a clean shutdown: the append-only file is complete
    await exited;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    get pid() {
      return child.pid;
    },
    stop,
    restart: async () => {
      await stop();
      await start();
    },
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Our CLI as a long-running process; `ready` resolves when the worker serves
 * its queue. ipc: with Node's IPC channel (child.send).
 */
export function startWorker(url, extra = [], { env, ipc = false } = {}) {
  const child = spawn(process.execPath, [cli, 'worker', '--redis', url, tinyCfg, tinyWeights, '--threads', '1', ...extra], {
    cwd: darknetDir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', ...(ipc ? ['ipc'] : [])],
  });
  child.stderr.setEncoding('utf8');
  let log = '';
  child.stderr.on('data', (chunk) => {
    log += chunk;
  });
  const exited = new Promise((resolvePromise) => child.once('exit', (code, signal) => resolvePromise({ code, signal })));
  return {
    child,
    ready: waitForOutput(child, child.stderr, /darknet worker: ready/, 'darknet worker'),
    exited,
    get log() {
      return log;
    },
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/**
 * `darknet classify ... --redis`: resolves { code, lines, stderr } at its
 * exit; onLine sees each stdout line as it arrives.
 */
export function runProducer(url, files, { extra = [], onLine } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli, 'classify', tinyCfg, tinyWeights, ...files, '--redis', url, ...extra], {
      cwd: darknetDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines = [];
    let partial = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      partial += chunk;
      const parts = partial.split('\n');
      partial = parts.pop();
      for (const line of parts) {
        lines.push(line);
        onLine?.(line, lines.length);
      }
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, lines, stderr }));
  });
}

/**
 * `count` images in a new folder: darknet's samples, their re-encodings by
 * darknet's own code (PNG, BMP, TGA), patterns of ours in PNG, BMP, TGA and
 * PPM, and the last 4 corrupt. Returns the files, the corrupt ones, and for
 * each good file the file it is a copy of.
 */
export function makeImages(dir, count) {
  const folder = join(dir, 'photos');
  mkdirSync(folder, { recursive: true });
  const sources = [...sampleImages.map((sample) => join(darknetDir, sample)), ...derivedImages(dir)];
  const files = [];
  const sourceOf = new Map();
  for (let n = 0; n < count - 4; ++n) {
    const source = sources[n % sources.length];
    const file = join(folder, `${String(n).padStart(4, '0')}-image${source.slice(source.lastIndexOf('.'))}`);
    copyFileSync(source, file);
    files.push(file);
    sourceOf.set(file, source);
  }
  const corrupt = new Set();
  for (const [name, bytes] of corruptImages) {
    const file = join(folder, `corrupt-${name}`);
    writeFileSync(file, bytes);
    files.push(file);
    corrupt.add(file);
  }
  return { folder, files, corrupt, sourceOf };
}

/** A worker process's resident set (Linux), in bytes. */
export function rssOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!kb) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb[1]) * 1024;
}

/** The lines of a bulk run as a map file -> parsed line, failing on a duplicate. */
export function linesByFile(lines) {
  const byFile = new Map();
  for (const line of lines) {
    const parsed = JSON.parse(line);
    if (byFile.has(parsed.file)) throw new Error(`two lines for ${parsed.file}`);
    byFile.set(parsed.file, parsed);
  }
  return byFile;
}
