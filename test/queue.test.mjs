// The Redis job queue, against a private redis-server: the API's worker and
// producer give classifyMany's results, and malformed jobs fail alone (no
// retry) while the worker process lives on. The long reliability runs are in
// test/queue/ (npm run test:queue).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Queue, QueueEvents } from 'bullmq';

import { classifyMany, classifyRemote, createWorker, DarknetError, defaultQueueName, detectMany, detectRemote, loadedNetworkCount } from '../dist/index.js';
import { writeSyntheticWeights } from './helpers.mjs';
import { darknetDir, startRedis, startWorker, tempDir, tinyCfg, tinyWeights, runProducer, linesByFile } from './queue-helpers.mjs';
import { root } from './support/paths.mjs';
import { runInChild, runOurCli } from './support/child.mjs';

const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');
const network = { cfg: sha256(tinyCfg), weights: sha256(tinyWeights) };
const samples = ['dog', 'eagle', 'giraffe', 'horses', 'kite', 'person', 'scream'].map((name) => join(darknetDir, 'data', `${name}.jpg`));

let redis;
let dir;
before(async () => {
  redis = await startRedis();
  dir = tempDir();
});
after(async () => {
  await redis?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('importing the package loads neither BullMQ nor ioredis; the first queue call does', async () => {
  // ioredis is CommonJS: once loaded, it is in require's cache.
  const result = await runInChild(`
    import { createRequire } from 'node:module';
    const cached = () => Object.keys(createRequire(import.meta.url).cache).some((file) => file.includes('/node_modules/ioredis/'));
    const api = await import(${JSON.stringify(join(root, 'dist', 'index.js'))});
    const before = cached();
    // A call that fails before it connects anywhere still loads the producer.
    const error = await api.classifyRemote({ cfg: '/nonexistent.cfg', weights: '/nonexistent.weights' }, [], { connection: 'redis://127.0.0.1:1' }).next().catch((e) => e.code);
    console.log(JSON.stringify({ before, after: cached(), error }));
  `);
  assert.deepEqual(result, { before: false, after: true, error: 'ERR_FILE_NOT_FOUND' });
});

test('a run abandoned while Redis is away still ends, in bounded time', async () => {
  const own = await startRedis();
  try {
    const inputs = (async function* () {
      yield join(dir, 'missing.jpg'); // an error line at once: the run yields before any job settles
      yield* samples;
    })();
    const run = classifyRemote({ cfg: tinyCfg, weights: tinyWeights }, inputs, { connection: own.url, queue: 'nobody-serves-this' });
    const first = await run.next();
    assert.equal(first.value?.error?.code, 'ERR_FILE_NOT_FOUND');
    await own.stop();
    const started = Date.now();
    await run.return(undefined); // the producer's cleanup, with its jobs still pending and Redis gone
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds < 15, `cleanup took ${seconds.toFixed(1)} s`);
  } finally {
    await own.close();
  }
});

const errorOf = (error) => ({ code: error.code, message: error.message });

test('createWorker and classifyRemote give classifyMany\'s results and errors, bit for bit, and leave in Redis only completed jobs (at most KEEP_COMPLETED_JOBS) and no image bytes', async () => {
  const bad = join(dir, 'bad.jpg');
  writeFileSync(bad, 'not an image');
  const inputs = [...samples, bad, join(dir, 'missing.jpg'), ...samples];
  const local = new Map();
  for await (const r of classifyMany({ cfg: tinyCfg, weights: tinyWeights }, inputs.slice(0, 9), { concurrency: 1, top: 3 })) {
    local.set(r.input, r.error ? errorOf(r.error) : r.predictions);
  }
  const before = loadedNetworkCount();
  const worker = await createWorker({ connection: redis.url, network: { cfg: tinyCfg, weights: tinyWeights }, threads: 1 });
  assert.equal(worker.queue, defaultQueueName(network));
  assert.deepEqual(worker.network, network);
  try {
    const seen = [];
    for await (const r of classifyRemote({ cfg: tinyCfg, weights: tinyWeights }, inputs, { connection: redis.url, top: 3 })) {
      seen.push(r.input);
      if (r.error) {
        assert.ok(r.error instanceof DarknetError);
        assert.deepEqual(errorOf(r.error), local.get(r.input), r.input);
      } else {
        assert.deepEqual(r.predictions, local.get(r.input), r.input);
      }
    }
    assert.equal(seen.length, inputs.length, 'one result per input');
    assert.deepEqual([...seen].sort(), [...inputs].sort());
    const queue = new Queue(worker.queue, { connection: { host: '127.0.0.1', port: redis.port } });
    const counts = await queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed', 'paused');
    await queue.close();
    // Failed jobs are removed once read; completed ones are trimmed by BullMQ (see the 10,000-job test).
    const good = inputs.length - 2;
    assert.deepEqual(counts, { completed: good, failed: 0, waiting: 0, active: 0, delayed: 0, paused: 0 });
    const { Redis } = await import('ioredis');
    const client = new Redis({ host: '127.0.0.1', port: redis.port });
    const stored = await client.keys('darknet-napi:image:*');
    client.disconnect();
    assert.deepEqual(stored, [], 'and so are the image bytes beside them');
  } finally {
    await worker.close();
  }
  assert.equal(loadedNetworkCount(), before, 'close() frees the worker\'s networks');
});

test('a detector through the queue: detectRemote gives detectMany\'s detections bit for bit; a classify job for it fails for good', async () => {
  const cfg = join(darknetDir, 'cfg', 'yolov3-tiny.cfg');
  const weights = await writeSyntheticWeights(cfg, join(dir, 'yolov3-tiny.weights'), 41);
  const inputs = [...samples, join(dir, 'missing.jpg')];
  const local = new Map();
  for await (const r of detectMany({ cfg, weights }, inputs, { concurrency: 1, thresh: 0.55, nms: 0.4 })) local.set(r.input, r.error ? errorOf(r.error) : r.detections);
  assert.ok([...local.values()].some((d) => Array.isArray(d) && d.length > 0), 'the synthetic weights detect');
  const worker = await createWorker({ connection: redis.url, network: { cfg, weights }, threads: 1 });
  try {
    let count = 0;
    for await (const r of detectRemote({ cfg, weights }, inputs, { connection: redis.url, thresh: 0.55, nms: 0.4 })) {
      ++count;
      assert.deepEqual(r.error ? errorOf(r.error) : r.detections, local.get(r.input), r.input);
    }
    assert.equal(count, inputs.length);
    // The CLI's producer: `darknet detect ... --redis`, the local bulk mode's lines.
    const cli = await runOurCli(['detect', cfg, weights, ...inputs, '--redis', redis.url, '-thresh', '0.55', '--quiet']);
    assert.equal(cli.code, 1, cli.stderr); // missing.jpg
    const lines = cli.stdout.trim().split('\n').map((line) => JSON.parse(line));
    assert.equal(lines.length, inputs.length);
    for (const line of lines) {
      if (line.error) assert.deepEqual(line.error, local.get(line.file));
      else assert.deepEqual(line.detections, (await detectMany({ cfg, weights }, [line.file], { thresh: 0.55 }).next()).value.detections, line.file);
    }
    const wrongs = [];
    for await (const r of classifyRemote({ cfg, weights }, [samples[0]], { connection: redis.url })) wrongs.push(r);
    const [wrong] = wrongs;
    assert.equal(wrong?.error?.code, 'ERR_WRONG_TASK');
    assert.match(wrong.error.message, /^invalid job: a classify job, and this worker's network .*yolov3-tiny\.cfg is a detector/);
  } finally {
    await worker.close();
  }
});

test('classifyRemote refuses an image over the size limit before enqueueing it', async () => {
  const results = [];
  for await (const r of classifyRemote({ cfg: tinyCfg, weights: tinyWeights }, [samples[0]], {
    connection: redis.url,
    queue: 'size-limit',
    maxImageBytes: 1000,
  })) {
    results.push(r);
  }
  assert.equal(results.length, 1);
  assert.equal(results[0].error?.code, 'ERR_PAYLOAD_TOO_LARGE');
  assert.match(results[0].error.message, /dog\.jpg: \d+ bytes, over the queue's 1000-byte limit/);
  const queue = new Queue('size-limit', { connection: { host: '127.0.0.1', port: redis.port } });
  assert.equal(await queue.count(), 0, 'nothing was enqueued');
  await queue.close();
});

describe('malformed jobs against a worker process', () => {
  const name = 'malformed';
  const allowed = () => join(dir, 'allowed');
  let worker;
  let queue;
  let events;
  before(async () => {
    mkdirSync(allowed(), { recursive: true });
    writeFileSync(join(allowed(), 'dog.jpg'), readFileSync(samples[0]));
    worker = startWorker(redis.url, ['--queue', name, '--by-path-root', allowed()]);
    await worker.ready;
    const connection = { host: '127.0.0.1', port: redis.port };
    queue = new Queue(name, { connection });
    events = new QueueEvents(name, { connection });
    await events.waitUntilReady();
  });
  after(async () => {
    await events?.close();
    await queue?.close();
    await worker?.kill('SIGTERM');
  });

  const good = (image) => ({ v: 1, task: 'classify', network, file: '/x/dog.jpg', image, options: { top: 2, resize: 'letterbox' } });
  const dogBytes = () => readFileSync(samples[0]).toString('base64');

  /** Enqueues data (3 attempts allowed) and returns the failed job, checking it was tried once. */
  async function failing(data, jobId) {
    const job = await queue.add('classify', data, { attempts: 3, backoff: { type: 'fixed', delay: 100 }, ...(jobId ? { jobId } : {}) });
    await assert.rejects(job.waitUntilFinished(events, 20000));
    const state = await queue.getJobState(job.id);
    assert.equal(state, 'failed');
    const failed = await queue.getJob(job.id);
    assert.equal(failed.attemptsMade, 1, 'not retried');
    assert.equal(worker.child.exitCode, null, 'the worker lives on');
    return failed.failedReason;
  }

  for (const [what, data, pattern, jobId] of [
    ['not an object', 'hello', /^ERR_INVALID_JOB: invalid job: data is not an object/],
    ['another schema version', { ...good({ bytes: '' }), v: 2 }, /^ERR_INVALID_JOB: invalid job: schema version 2/],
    ['an unknown task', { ...good({ bytes: '' }), task: 'segment' }, /^ERR_INVALID_JOB: invalid job: unknown task "segment"/],
    ['no network', { ...good({ bytes: '' }), network: undefined }, /^ERR_INVALID_JOB: invalid job: network must be/],
    ['another network', { ...good({ bytes: '' }), network: { cfg: network.cfg, weights: '0'.repeat(64) } }, /^ERR_WRONG_NETWORK: job is for the network with weights sha256 0{64}/],
    ['a bad option', { ...good({ bytes: 'AAAA' }), options: { top: -1, resize: 'letterbox' } }, /^ERR_INVALID_JOB: invalid job: options.top/],
    ['an unknown resize', { ...good({ bytes: 'AAAA' }), options: { top: 1, resize: 'crop' } }, /^ERR_INVALID_JOB: invalid job: options.resize/],
    ['both bytes and a path', good({ bytes: 'AAAA', path: '/etc/passwd' }), /^ERR_INVALID_JOB: invalid job: image must be one of/],
    ['another job\'s image key', good({ key: 'darknet-napi:image:malformed:someone-else' }), /^ERR_INVALID_JOB: invalid job: image key "darknet-napi:image:malformed:someone-else" is not this job's/],
    ['an image key with nothing stored', good({ key: 'darknet-napi:image:malformed:nokey-1' }), /^ERR_INVALID_JOB: invalid job: image \/x\/dog\.jpg: its bytes are not in Redis/, 'nokey-1'],
    ['bytes that are not base64', good({ bytes: '!!!!' }), /^ERR_INVALID_JOB: invalid job: image.bytes is not base64/],
    ['bytes that are not an image', good({ bytes: Buffer.from('just some text').toString('base64') }), /^ERR_INVALID_IMAGE: image \/x\/dog\.jpg: not an image darknet can decode/],
    ['a huge payload', good({ bytes: 'A'.repeat(12 * 1024 * 1024) }), /^ERR_PAYLOAD_TOO_LARGE: image \/x\/dog\.jpg: about 9437184 bytes, over this worker's 8388608-byte limit/],
    ['a path outside the allowed root', good({ path: samples[0] }), /^ERR_INVALID_JOB: invalid job: image path .*dog\.jpg is outside the allowed root/],
    ['a relative path', good({ path: '../dog.jpg' }), /^ERR_INVALID_JOB: invalid job: image path "\.\.\/dog\.jpg" is not an absolute path/],
  ]) {
    test(`${what}: that job fails for good, with its code`, async () => {
      assert.match(await failing(data, jobId), pattern);
    });
  }

  test('a path through a symlink out of the allowed root is refused', async (t) => {
    const { symlinkSync } = await import('node:fs');
    const link = join(allowed(), 'escape.jpg');
    symlinkSync(samples[1], link);
    assert.match(await failing(good({ path: link })), /^ERR_INVALID_JOB: invalid job: image path .*escape\.jpg is outside the allowed root/);
    t.diagnostic('the real path is checked, not the name');
  });

  test('an image key holding more than the worker\'s limit fails for good', async () => {
    const { Redis } = await import('ioredis');
    const redisClient = new Redis({ host: '127.0.0.1', port: redis.port });
    await redisClient.set('darknet-napi:image:malformed:big-1', Buffer.alloc(8 * 1024 * 1024 + 1, 0xff));
    redisClient.disconnect();
    assert.match(
      await failing(good({ key: 'darknet-napi:image:malformed:big-1' }), 'big-1'),
      /^ERR_PAYLOAD_TOO_LARGE: image \/x\/dog\.jpg: 8388609 bytes, over this worker's 8388608-byte limit/,
    );
  });

  test('after all that, good jobs (its own key, base64 bytes, a path under the root) still succeed', async () => {
    const { Redis } = await import('ioredis');
    const redisClient = new Redis({ host: '127.0.0.1', port: redis.port });
    await redisClient.set('darknet-napi:image:malformed:stored-1', readFileSync(samples[0]));
    redisClient.disconnect();
    for (const [image, jobId] of [
      [{ bytes: dogBytes() }],
      [{ path: join(allowed(), 'dog.jpg') }],
      [{ key: 'darknet-napi:image:malformed:stored-1' }, 'stored-1'],
    ]) {
      const job = await queue.add('classify', good(image), jobId ? { jobId } : {});
      const result = await job.waitUntilFinished(events, 20000);
      assert.equal(result.v, 1);
      assert.deepEqual(result.predictions.map((p) => p.label), ['malamute', 'Newfoundland']);
    }
  });

  test('the CLI producer with --by-path: the worker reads the files from the shared folder', async () => {
    const files = [join(allowed(), 'dog.jpg')];
    const { code, lines } = await runProducer(redis.url, files, { extra: ['--by-path', '--queue', name, '--quiet'] });
    assert.equal(code, 0);
    const line = linesByFile(lines).get(files[0]);
    assert.equal(line.predictions[0].label, 'malamute');
  });
});
