// The queue under failure, each against a private redis-server and worker
// processes of our CLI: 300 images on 2 workers, a worker killed with -9,
// Redis restarted, a worker stopped with SIGTERM, and 10,000 jobs with the
// worker's RSS flat. `npm run test:queue` (minutes; not part of npm test).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { QueueEvents, Queue } from 'bullmq';

import { classifyMany, classifyRemote, KEEP_COMPLETED_JOBS } from '../../dist/index.js';
import { MB } from '../support/memory.mjs';
import { linesByFile, makeImages, rssOf, runProducer, startRedis, startWorker, tempDir, tinyCfg, tinyWeights } from '../queue-helpers.mjs';

let images;
/** file -> predictions or { code, message }, from the local classifyMany */
const expected = new Map();
const cleanups = [];

before(async () => {
  const dir = tempDir();
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  images = makeImages(dir, 300);
  const bySource = new Map();
  const unique = [...new Set([...images.sourceOf.values()]), ...images.corrupt];
  for await (const r of classifyMany({ cfg: tinyCfg, weights: tinyWeights }, unique, { concurrency: 1 })) {
    bySource.set(r.input, r.error ? { code: r.error.code, message: r.error.message } : r.predictions);
  }
  for (const file of images.files) expected.set(file, bySource.get(images.sourceOf.get(file) ?? file));
});
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** Every image exactly one line; good ones equal classifyMany's, corrupt ones carry its error. */
function checkLines(lines) {
  const byFile = linesByFile(lines); // throws on a duplicate line
  assert.equal(byFile.size, images.files.length, 'one line per image');
  assert.equal(lines.length, images.files.length, 'no extra lines');
  for (const file of images.files) {
    const line = byFile.get(file);
    assert.ok(line, `a line for ${file}`);
    if (images.corrupt.has(file)) {
      assert.deepEqual(line.error, expected.get(file), file);
      assert.match(line.error.code, /^ERR_(INVALID_IMAGE|EMPTY_FILE)$/);
    } else {
      assert.deepEqual(line.predictions, expected.get(file), file);
    }
  }
}

async function redisFor(options) {
  const redis = await startRedis(options);
  cleanups.push(() => redis.close());
  return redis;
}

function workerFor(url, extra) {
  const worker = startWorker(url, extra);
  cleanups.push(() => worker.kill('SIGKILL'));
  return worker;
}

/** Counts the queue's 'stalled' events (a job taken over from a dead worker). */
async function stalledCounter(redis, queue) {
  const events = new QueueEvents(queue, { connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null } });
  events.on('error', () => undefined);
  let stalled = 0;
  events.on('stalled', () => ++stalled);
  await events.waitUntilReady();
  cleanups.push(() => events.close());
  return { get count() { return stalled; }, close: () => events.close() };
}

test('2 worker processes, 300 images (4 corrupt): one line each, equal to classifyMany bit for bit', async () => {
  const redis = await redisFor();
  const workers = [workerFor(redis.url, ['--queue', 'plain']), workerFor(redis.url, ['--queue', 'plain'])];
  await Promise.all(workers.map((w) => w.ready));
  const started = Date.now();
  const { code, lines, stderr } = await runProducer(redis.url, images.files, { extra: ['--queue', 'plain'] });
  const seconds = (Date.now() - started) / 1000;
  assert.equal(code, 1, `corrupt images make the exit status 1; stderr: ${stderr}`);
  checkLines(lines);
  assert.match(stderr, /darknet: 300 images, 4 failed/);
  console.log(`300 images through 2 workers: ${seconds.toFixed(1)} s`);
  for (const w of workers) assert.deepEqual(await w.kill('SIGTERM'), { code: 0, signal: null });
});

test('kill -9 of one worker in mid-run: its jobs are taken over after the stalled interval, still one line per image', async () => {
  const redis = await redisFor();
  const stalled = await stalledCounter(redis, 'killed');
  const args = ['--queue', 'killed', '--stalled-interval', '2000', '--concurrency', '3'];
  const [victim, survivor] = [workerFor(redis.url, args), workerFor(redis.url, args)];
  await Promise.all([victim.ready, survivor.ready]);
  let killed;
  const { code, lines } = await runProducer(redis.url, images.files, {
    extra: ['--queue', 'killed', '--quiet'],
    onLine: (_, n) => {
      if (n === 60) killed = victim.kill('SIGKILL');
    },
  });
  assert.deepEqual(await killed, { code: null, signal: 'SIGKILL' });
  assert.equal(code, 1);
  checkLines(lines);
  assert.ok(stalled.count >= 1, `the killed worker's active jobs were recovered as stalled (${stalled.count})`);
  console.log(`kill -9: ${stalled.count} job(s) taken over after the stalled interval`);
  assert.deepEqual(await survivor.kill('SIGTERM'), { code: 0, signal: null });
});

test('Redis stopped and restarted in mid-run (append-only file in the test folder): workers and producer reconnect and finish', async () => {
  const redis = await redisFor({ persist: true });
  const args = ['--queue', 'restart', '--stalled-interval', '5000'];
  const workers = [workerFor(redis.url, args), workerFor(redis.url, args)];
  await Promise.all(workers.map((w) => w.ready));
  let restarted;
  let linesAtStop = 0;
  const { code, lines, stderr } = await runProducer(redis.url, images.files, {
    extra: ['--queue', 'restart', '--quiet'],
    onLine: (_, n) => {
      if (n === 80) {
        restarted = (async () => {
          await redis.stop();
          linesAtStop = n;
          await new Promise((resolvePromise) => setTimeout(resolvePromise, 2000));
          await redis.restart();
        })();
      }
    },
  });
  await restarted;
  assert.ok(linesAtStop >= 80 && linesAtStop < images.files.length, `Redis went away in mid-run (at ${linesAtStop} lines)`);
  assert.equal(lines.length, images.files.length, `one line per image; producer's stderr:\n${stderr}`);
  assert.equal(code, 1);
  checkLines(lines);
  for (const w of workers) {
    assert.equal(w.child.exitCode, null, 'the worker survived the restart');
    assert.deepEqual(await w.kill('SIGTERM'), { code: 0, signal: null });
  }
});

test('SIGTERM on a worker in mid-job: it finishes its jobs and exits 0, and no job is lost', async () => {
  const redis = await redisFor();
  const stalled = await stalledCounter(redis, 'sigterm');
  // A lock of 60 s: a job the stopped worker left behind would hold the run up for a minute.
  const args = ['--queue', 'sigterm', '--stalled-interval', '60000', '--concurrency', '3'];
  const first = workerFor(redis.url, args);
  await first.ready;
  const queue = new Queue('sigterm', { connection: { host: '127.0.0.1', port: redis.port } });
  cleanups.push(() => queue.close());
  let second;
  let activeAtSignal = 0;
  let exit;
  const started = Date.now();
  const { code, lines } = await runProducer(redis.url, images.files, {
    extra: ['--queue', 'sigterm', '--quiet'],
    onLine: (_, n) => {
      if (n === 50) {
        exit = (async () => {
          activeAtSignal = await queue.getActiveCount();
          first.child.kill('SIGTERM');
          const result = await first.exited;
          second = workerFor(redis.url, args);
          return result;
        })();
      }
    },
  });
  const seconds = (Date.now() - started) / 1000;
  assert.deepEqual(await exit, { code: 0, signal: null }, `exit status 0; log:\n${first.log}`);
  assert.ok(activeAtSignal >= 1, 'the worker held jobs when it got SIGTERM');
  assert.match(first.log, /SIGTERM: finishing the jobs it holds\n[\s\S]*darknet worker: stopped/);
  assert.equal(code, 1);
  checkLines(lines);
  assert.equal(stalled.count, 0, 'no job was left active by the stopped worker');
  assert.ok(seconds < 60, `no job waited for its 60 s lock (${seconds.toFixed(1)} s)`);
  assert.deepEqual(await second.kill('SIGTERM'), { code: 0, signal: null });
});

test('10,000 small jobs: the worker\'s RSS is flat between the first and the second half', async () => {
  const redis = await redisFor();
  const worker = workerFor(redis.url, ['--queue', 'many', '--concurrency', '4']);
  await worker.ready;
  const small = images.files.find((file) => file.endsWith('.ppm') && !images.corrupt.has(file));
  assert.ok(small);
  const want = expected.get(small);
  const count = 10000;
  const halves = [0, 0];
  let warm = 0;
  let done = 0;
  const started = Date.now();
  for await (const r of classifyRemote({ cfg: tinyCfg, weights: tinyWeights }, Array(count).fill(small), {
    connection: redis.url,
    queue: 'many',
  })) {
    assert.deepEqual(r.predictions, want);
    ++done;
    if (done % 250 === 0) {
      const rss = rssOf(worker.child.pid);
      if (done === 1000) warm = rss;
      if (done > 1000) halves[done <= count / 2 ? 0 : 1] = Math.max(halves[done <= count / 2 ? 0 : 1], rss);
    }
  }
  const seconds = (Date.now() - started) / 1000;
  assert.equal(done, count);
  const growth = (halves[1] - halves[0]) / MB;
  console.log(
    `10,000 jobs in ${seconds.toFixed(1)} s (${(count / seconds).toFixed(0)} jobs/s): worker RSS ${(warm / MB).toFixed(1)} MB after 1000, ` +
      `peak ${(halves[0] / MB).toFixed(1)} MB in the first half, ${(halves[1] / MB).toFixed(1)} MB in the second`,
  );
  assert.ok(growth < 16, `worker RSS grew ${growth.toFixed(1)} MB from the first half to the second`);
  // What Redis keeps is bounded: the newest completed jobs and no image bytes.
  const queue = new Queue('many', { connection: { host: '127.0.0.1', port: redis.port } });
  const counts = await queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed');
  const jobKeys = (await queue.client.then((client) => client.keys('bull:many:????????????-*'))).length;
  const storedImages = await queue.client.then((client) => client.keys('darknet-napi:image:*'));
  await queue.close();
  assert.deepEqual(counts, { completed: KEEP_COMPLETED_JOBS, failed: 0, waiting: 0, active: 0, delayed: 0, paused: 0 });
  assert.equal(jobKeys, KEEP_COMPLETED_JOBS, 'the trimmed jobs\' hashes are gone too');
  assert.deepEqual(storedImages, []);
  assert.deepEqual(await worker.kill('SIGTERM'), { code: 0, signal: null });
});
