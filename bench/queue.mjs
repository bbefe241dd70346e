#!/usr/bin/env node
// Queue throughput: 1 and 2 worker processes (1 thread each) serving a private
// redis-server, fed by classifyRemote, against classifyMany in one process
// with 1 and 2 networks (1 thread each), on the same N images (copies of
// darknet's samples); and the queue's per-job overhead. Medians of 3 runs.
//   node bench/queue.mjs [--images 210] [--runs 3]
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { classifyMany, classifyRemote, setThreads } from '../dist/index.js';
import { startRedis, startWorker } from '../test/queue-helpers.mjs';
import { tinyWeights } from '../test/support/weights.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const darknet = join(root, 'darknet');
const cfg = join(darknet, 'cfg', 'tiny.cfg');
const weights = tinyWeights;
const option = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const count = option('--images', 210);
const runs = option('--runs', 3);

const dir = mkdtempSync(join(tmpdir(), 'darknet-queue-bench-'));
const folder = join(dir, 'images');
mkdirSync(folder);
const samples = readdirSync(join(darknet, 'data')).filter((f) => f.endsWith('.jpg')).sort();
const files = [];
for (let i = 0; i < count; ++i) {
  const file = join(folder, `${String(i).padStart(4, '0')}-${samples[i % samples.length]}`);
  copyFileSync(join(darknet, 'data', samples[i % samples.length]), file);
  files.push(file);
}

const averageKb = files.reduce((sum, file) => sum + readFileSync(file).length, 0) / count / 1024;

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuOf(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}
const ownCpu = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function timed(iterate) {
  const seconds = [];
  for (let run = 0; run < runs; ++run) {
    const started = process.hrtime.bigint();
    let n = 0;
    for await (const result of iterate()) {
      if (result.error) throw result.error;
      ++n;
    }
    if (n !== count) throw new Error(`${n} results for ${count} images`);
    seconds.push(Number(process.hrtime.bigint() - started) / 1e9);
  }
  return count / median(seconds);
}

let localCpuPerImage = 0;
let queueCpuPerImage = 0;
let byPathCpuPerImage = 0;
const breakdown = { bytes: [0, 0, 0], path: [0, 0, 0] };
let transfer = [0, 0];
setThreads(1); // like the workers: each network computes on its own thread
const rows = [];
for (const networks of [1, 2]) {
  // Loading is outside the timing: a worker loads once, so the local side does too.
  const { loadNetwork } = await import('../dist/index.js');
  const loaded = await Promise.all(Array.from({ length: networks }, () => loadNetwork(cfg, weights)));
  const [first] = loaded;
  for await (const _ of classifyMany(first, files.slice(0, 14), { concurrency: networks })) void _;
  const cpuBefore = ownCpu();
  rows.push({ label: `classifyMany, ${networks} network${networks > 1 ? 's' : ''}, 1 thread each`, perSecond: await timed(() => classifyMany(first, files, { concurrency: networks })) });
  if (networks === 1) localCpuPerImage = (ownCpu() - cpuBefore) / (runs * count);
  await Promise.all(loaded.map((network) => network.close()));
}

const redis = await startRedis();
const workers = [];
try {
  for (const count_ of [1, 2]) {
    while (workers.length < count_) {
      const worker = startWorker(redis.url, ['--queue', 'bench', '--threads', '1', '--by-path-root', dir]);
      await worker.ready;
      workers.push(worker);
    }
    const remote = () => classifyRemote({ cfg, weights }, files, { connection: redis.url, queue: 'bench' });
    for await (const _ of classifyRemote({ cfg, weights }, files.slice(0, 14), { connection: redis.url, queue: 'bench' })) void _;
    // Everything the queue's way costs, in CPU time: workers, Redis and this producer.
    const parts = () => [workers.reduce((sum, w) => sum + cpuOf(w.child.pid), 0), cpuOf(redis.pid), ownCpu()];
    const cpuNow = () => parts().reduce((a, b) => a + b, 0);
    const perImage = (before, after) => before.map((value, i) => (1000 * ((after[i] ?? 0) - value)) / (runs * count));
    const partsBefore = parts();
    const cpuBefore = cpuNow();
    rows.push({ label: `queue, ${count_} worker process${count_ > 1 ? 'es' : ''}, 1 thread each`, perSecond: await timed(remote) });
    if (count_ === 1) {
      queueCpuPerImage = (cpuNow() - cpuBefore) / (runs * count);
      breakdown.bytes = perImage(partsBefore, parts());
    }
    // The same with paths instead of bytes (shared storage): what the payload costs.
    const pathBefore = parts();
    const before = cpuNow();
    const byPath = await timed(() => classifyRemote({ cfg, weights }, files, { connection: redis.url, queue: 'bench', byPath: true }));
    if (count_ === 1) {
      byPathCpuPerImage = (cpuNow() - before) / (runs * count);
      breakdown.path = perImage(pathBefore, parts());
    }
    rows.push({ label: `queue, ${count_} worker process${count_ > 1 ? 'es' : ''}, 1 thread each, --by-path`, perSecond: byPath });
  }
  for (const worker of workers.splice(0)) await worker.kill('SIGTERM');
  // The image bytes alone, without BullMQ or darknet: stored, fetched and
  // deleted through ioredis as the producer and a worker do (two connections
  // in this process), in CPU time of this process and of Redis.
  const { Redis } = await import('ioredis');
  const [writer, reader] = [new Redis(redis.url), new Redis(redis.url)];
  const transferOnce = async () => {
    for (const [i, file] of files.entries()) {
      const key = `bench:image:${i}`;
      await writer.set(key, await readFile(file), 'EX', 3600);
      await reader.getrangeBuffer(key, 0, 8 * 1024 * 1024);
      await writer.del(key);
    }
  };
  await transferOnce();
  const transferBefore = [cpuOf(redis.pid), ownCpu()];
  for (let run = 0; run < runs; ++run) await transferOnce();
  transfer = [cpuOf(redis.pid), ownCpu()].map((value, i) => (1000 * (value - (transferBefore[i] ?? 0))) / (runs * count));
  writer.disconnect();
  reader.disconnect();
} finally {
  for (const worker of workers) await worker.kill('SIGTERM');
  await redis.close();
  rmSync(dir, { recursive: true, force: true });
}

const [local1, local2, queue1, path1, queue2, path2] = rows.map((row) => row.perSecond);
console.log(`queue throughput: ${count} images (Tiny Darknet, darknet/data samples, ${averageKb.toFixed(0)} KB on average), ${cpus()[0]?.model ?? process.arch}, ${availableParallelism()} cores, medians of ${runs} runs`);
console.log('(producer, redis-server and workers all on this machine)');
console.log('| way | images/s | / classifyMany, 1 network |');
console.log('| --- | --- | --- |');
for (const row of rows) console.log(`| ${row.label} | ${row.perSecond.toFixed(1)} | ${(row.perSecond / local1).toFixed(2)} |`);
const classifyMs = 1000 / local1;
const overheadMs = 1000 / queue1 - classifyMs;
console.log(
  `2 workers / 1 worker: ${(queue2 / queue1).toFixed(2)}x with bytes, ${(path2 / path1).toFixed(2)}x with --by-path (goal: >= 1.8x); ` +
    `2 networks / 1 network in one process: ${(local2 / local1).toFixed(2)}x`,
);
console.log(`queue overhead per job: ${overheadMs.toFixed(2)} ms = ${((100 * overheadMs) / classifyMs).toFixed(1)}% of a ${classifyMs.toFixed(2)} ms classify (goal: <= 10%)`);
console.log(
  `CPU time per image (load-independent): classifyMany ${(1000 * localCpuPerImage).toFixed(2)} ms; through the queue (worker + redis-server + producer) ` +
    `${(1000 * queueCpuPerImage).toFixed(2)} ms: the queue's CPU overhead is ${(1000 * (queueCpuPerImage - localCpuPerImage)).toFixed(2)} ms = ` +
    `${((100 * (queueCpuPerImage - localCpuPerImage)) / localCpuPerImage).toFixed(1)}% of a classify`,
);
console.log(
  `with --by-path: ${(1000 * byPathCpuPerImage).toFixed(2)} ms CPU per image, overhead ${(1000 * (byPathCpuPerImage - localCpuPerImage)).toFixed(2)} ms = ` +
    `${((100 * (byPathCpuPerImage - localCpuPerImage)) / localCpuPerImage).toFixed(1)}% of a classify`,
);
for (const [mode, [worker, redisServer, producer]] of Object.entries(breakdown)) {
  console.log(`1 worker, ${mode}: CPU ms per image: worker ${worker.toFixed(2)}, redis-server ${redisServer.toFixed(2)}, producer ${producer.toFixed(2)}`);
}
// On these cores 2 workers can do at most (cores / CPU per image) images a
// second, whatever the scheduling: the bound the 2-worker rows are read against.
const cores = availableParallelism();
const bound = (cpuPerImage) => (cores / cpuPerImage) / queue1;
console.log(
  `bound on ${cores} cores for 2 workers / 1 worker = ${cores} / (CPU s per image through the queue) / (1 worker's images/s): ` +
    `${bound(queueCpuPerImage).toFixed(2)}x with bytes, ${((cores / byPathCpuPerImage) / path1).toFixed(2)}x with --by-path`,
);
const [transferRedis, transferNode] = transfer;
console.log(
  `the image bytes alone (SET, GETRANGE, DEL through ioredis, no BullMQ, no darknet): ${(transferNode + transferRedis).toFixed(2)} ms CPU per image ` +
    `(node ${transferNode.toFixed(2)}, redis-server ${transferRedis.toFixed(2)}); 1.8x on ${cores} cores needs the whole queue's CPU ` +
    `beyond a classify under ${((1000 * localCpuPerImage * (cores / 1.8 - 1))).toFixed(2)} ms per image`,
);
