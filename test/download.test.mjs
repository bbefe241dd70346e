// Downloads, offline: a local HTTP server on 127.0.0.1 serves tiny.weights
// (and misbehaves on purpose); a folder serves as a mirror too. Needs the real
// weights (what is served), not darknet's reference tools.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';

import { DarknetError, download, findModel, loadNetwork } from '../dist/index.js';
import { runOurCli } from './support/child.mjs';
import { darknetCfg, dogJpg, ourCli, tempDir } from './support/paths.mjs';
import { tinyWeights } from './support/weights.mjs';

// Each test names its own mirror: none may come from the environment (.ci/run
// sets one for the suite's weights; tinyWeights is already resolved).
delete process.env.DARKNET_NAPI_MIRROR;

const weights = readFileSync(tinyWeights);
const sha = (buffer) => createHash('sha256').update(buffer).digest('hex');
const tinySha = findModel('tiny').sha256;
const dir = tempDir();
let cache;
let server;
let base;
const requests = [];
let cutOnce = true;

before(async () => {
  server = createServer((req, res) => {
    const [, variant, name] = req.url.split('/');
    requests.push({ variant, name, range: req.headers.range });
    const body = variant === 'bad' ? Buffer.from(weights).fill(7, 1000, 2000) : name === 'tiny.weights' ? weights : name === 'blob.bin' ? Buffer.alloc(100_000, 3) : null;
    if (variant === 'missing' || !body) {
      res.writeHead(404).end('not found');
      return;
    }
    if (variant === 'slow') {
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, 1000)); // then nothing: the client must time out
      return;
    }
    const range = /bytes=(\d+)-/.exec(req.headers.range ?? '');
    if (range && variant !== 'norange') {
      const start = Number(range[1]);
      res.writeHead(206, { 'content-length': body.length - start, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
      res.end(body.subarray(start));
      return;
    }
    res.writeHead(200, { 'content-length': body.length });
    if (variant === 'cut' && cutOnce) {
      cutOnce = false;
      res.write(body.subarray(0, body.length >> 1), () => res.destroy());
      return;
    }
    if (variant === 'throttled') {
      // in 8 chunks, so that concurrent downloads overlap
      let at = 0;
      const step = Math.ceil(body.length / 8);
      const send = () => {
        res.write(body.subarray(at, at + step));
        at += step;
        if (at < body.length) setTimeout(send, 30);
        else res.end();
      };
      send();
      return;
    }
    res.end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${server.address().port}`;
});
after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});
let count = 0;
beforeEach(() => {
  cache = join(dir, `cache-${++count}`);
  process.env.DARKNET_NAPI_CACHE = cache;
  requests.length = 0;
});

const files = () => (existsSync(cache) ? readdirSync(cache).sort() : []);

test('a normal download: verified, renamed into place, with progress', async () => {
  const progress = [];
  const path = await download('tiny', { mirror: `${base}/ok/`, onProgress: (p) => progress.push(p) });
  assert.equal(path, join(cache, 'tiny.weights'));
  assert.equal(sha(readFileSync(path)), tinySha);
  assert.deepEqual(files(), ['tiny.weights']);
  assert.ok(progress.length > 0);
  assert.equal(progress.at(-1).received, weights.length);
  assert.equal(progress.at(-1).total, weights.length);
  // a second call finds it in the cache and downloads nothing
  requests.length = 0;
  assert.equal(await download('tiny', { mirror: `${base}/ok/` }), path);
  assert.equal(requests.length, 0);
  // and the model loads from the cache by name
  const network = await loadNetwork('tiny');
  assert.equal((await network.classify(dogJpg, { top: 1 }))[0].label, 'malamute');
  await network.close();
});

test('a download cut off midway resumes with a Range request', async () => {
  cutOnce = true;
  await assert.rejects(download('tiny', { mirror: `${base}/cut/` }), (e) => e instanceof DarknetError && e.code === 'ERR_DOWNLOAD');
  assert.deepEqual(files(), ['tiny.weights.partial'], 'only the partial file, never one that looks complete');
  const partialSize = statSync(join(cache, 'tiny.weights.partial')).size;
  assert.ok(partialSize > 0 && partialSize < weights.length);
  const path = await download('tiny', { mirror: `${base}/cut/` });
  assert.equal(requests.at(-1).range, `bytes=${partialSize}-`);
  assert.equal(sha(readFileSync(path)), tinySha);
  assert.deepEqual(files(), ['tiny.weights']);
});

test('a server that ignores Range: the download starts over and is still right', async () => {
  await import('node:fs/promises').then(({ mkdir }) => mkdir(cache, { recursive: true }));
  writeFileSync(join(cache, 'tiny.weights.partial'), weights.subarray(0, 1000));
  const path = await download('tiny', { mirror: `${base}/norange/` });
  assert.equal(requests.at(-1).range, 'bytes=1000-');
  assert.equal(sha(readFileSync(path)), tinySha);
});

test('a 404 is an error naming the URL and status', async () => {
  await assert.rejects(download('tiny', { mirror: `${base}/missing/` }), (e) => {
    assert.equal(e.code, 'ERR_DOWNLOAD');
    assert.match(e.message, /HTTP 404/);
    assert.match(e.message, /missing\/tiny\.weights/);
    return true;
  });
  assert.deepEqual(files(), []);
});

test('a wrong checksum: nothing is installed and the error gives expected and actual', async () => {
  await assert.rejects(download('tiny', { mirror: `${base}/bad/` }), (e) => {
    assert.equal(e.code, 'ERR_CHECKSUM');
    assert.ok(e.message.includes(`expected sha256 ${tinySha}`));
    assert.match(e.message, /got [0-9a-f]{64}/);
    assert.match(e.message, /not installed/);
    return true;
  });
  assert.deepEqual(files(), []);
  // a URL with a user-supplied checksum
  await assert.rejects(download(`${base}/ok/blob.bin`, { sha256: '0'.repeat(64) }), (e) => e.code === 'ERR_CHECKSUM');
  assert.equal(sha(readFileSync(await download(`${base}/ok/blob.bin`, { sha256: sha(Buffer.alloc(100_000, 3)) }))), sha(Buffer.alloc(100_000, 3)));
});

test('a server that stalls: the download times out and keeps the partial file for later', async () => {
  const started = Date.now();
  await assert.rejects(download('tiny', { mirror: `${base}/slow/`, timeout: 300 }), (e) => {
    assert.equal(e.code, 'ERR_DOWNLOAD');
    assert.match(e.message, /no data/);
    return true;
  });
  assert.ok(Date.now() - started < 5000);
  assert.ok(!files().includes('tiny.weights'));
});

test('two downloads of the same model at once, in one process and in two: one intact file', async () => {
  const [a, b] = await Promise.all([download('tiny', { mirror: `${base}/throttled/` }), download('tiny', { mirror: `${base}/throttled/` })]);
  assert.equal(a, b);
  assert.equal(requests.length, 1, 'one transfer for both calls');
  assert.equal(sha(readFileSync(a)), tinySha);

  const other = join(dir, 'cache-two-processes');
  const run = () =>
    new Promise((resolvePromise) => {
      const child = spawn(process.execPath, [ourCli, 'download', 'tiny', '--quiet'], {
        env: { ...process.env, DARKNET_NAPI_CACHE: other, DARKNET_NAPI_MIRROR: `${base}/throttled/` },
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('close', (code) => resolvePromise({ code, out }));
    });
  const results = await Promise.all([run(), run()]);
  assert.deepEqual(results.map((r) => r.code), [0, 0]);
  assert.deepEqual(results.map((r) => r.out.trim()), [join(other, 'tiny.weights'), join(other, 'tiny.weights')]);
  assert.deepEqual(readdirSync(other), ['tiny.weights']);
  assert.equal(sha(readFileSync(join(other, 'tiny.weights'))), tinySha);
});

test('a local folder as the mirror (how .ci/run supplies the weights), and the CLI', async () => {
  const mirror = join(dir, 'mirror');
  mkdirSync(mirror);
  copyFileSync(tinyWeights, join(mirror, 'tiny.weights'));
  const env = { DARKNET_NAPI_CACHE: cache, DARKNET_NAPI_MIRROR: mirror };
  const before = await runOurCli(['models'], { env });
  assert.match(before.stdout, /^tiny +cfg\/tiny\.cfg +not downloaded/m);
  const refused = await runOurCli(['classify', 'tiny', 'data/dog.jpg'], { env });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /darknet download tiny` or add --yes/);
  const result = await runOurCli(['classify', 'tiny', 'data/dog.jpg', '--yes'], { env });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^14\.51%: malamute\n/);
  const after = await runOurCli(['models'], { env });
  assert.match(after.stdout, new RegExp(`^tiny +cfg/tiny\\.cfg +downloaded +${join(cache, 'tiny.weights')}`, 'm'));
  const fileUrl = await runOurCli(['download', 'tiny'], { env: { DARKNET_NAPI_CACHE: join(cache, 'again'), DARKNET_NAPI_MIRROR: `file://${mirror}` } });
  assert.equal(fileUrl.code, 0, fileUrl.stderr);
  assert.equal(sha(readFileSync(fileUrl.stdout.trim())), tinySha);
});

test('unknown models and models not yet downloaded are clear errors', async () => {
  await assert.rejects(download('no-such-model'), (e) => e.code === 'ERR_UNKNOWN_MODEL' && /darknet models/.test(e.message));
  await assert.rejects(loadNetwork('darknet19'), (e) => e.code === 'ERR_MODEL_NOT_DOWNLOADED' && /darknet download darknet19/.test(e.message));
  const cli = await runOurCli(['download', 'no-such-model'], { env: { DARKNET_NAPI_CACHE: cache } });
  assert.equal(cli.code, 1);
  assert.match(cli.stderr, /unknown model no-such-model/);
});

test('a model without a known checksum is checked against its cfg', async () => {
  // darknet.cfg's weights served as tiny's bytes: the size the cfg implies does not match.
  const mirror = join(dir, 'wrong-mirror');
  await import('node:fs/promises').then(({ mkdir }) => mkdir(mirror));
  writeFileSync(join(mirror, 'darknet.weights'), weights);
  await assert.rejects(download(findModel('darknet'), { mirror, verify: async (file) => {
    const network = await loadNetwork(darknetCfg('darknet'), file);
    await network.close();
  } }), (e) => e.code === 'ERR_CHECKSUM' && /needs 29293936/.test(e.message));
  assert.ok(!existsSync(join(cache, 'darknet.weights')));
  // the same check through loadNetwork(name, { download: true })
  process.env.DARKNET_NAPI_MIRROR = mirror;
  try {
    await assert.rejects(loadNetwork('darknet', undefined, { download: true }), (e) => e.code === 'ERR_CHECKSUM' && /needs 29293936/.test(e.message));
  } finally {
    delete process.env.DARKNET_NAPI_MIRROR;
  }
  assert.ok(!existsSync(join(cache, 'darknet.weights')));
});
