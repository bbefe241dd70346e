// What is Windows' own, run on every platform (natively here, under Wine in
// npm run test:windows): paths with drive letters, backslashes and
// characters outside ASCII, CRLF line ends in names lists and in the
// `Enter Image Path:` loop (through a pipe), the weights cache under
// %LOCALAPPDATA%, a download's rename while another program holds the file,
// and a worker stopped without a signal. Where a case exists only on Windows
// it is skipped elsewhere, with the reason.
import assert from 'node:assert/strict';
import { closeSync, constants, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';

import { cacheDir, classify, download, loadNetwork } from '../dist/index.js';
import { startRedis, startWorker, runProducer } from './queue-helpers.mjs';
import { runInChild, runOurCli } from './support/child.mjs';
import { darknetDir, distIndex, dogJpg, tempDir, tinyCfg } from './support/paths.mjs';
import { tinyWeights } from './support/weights.mjs';

const windows = process.platform === 'win32';
const onlyOnWindows = windows ? false : 'drive letters and backslash separators exist only on Windows';
const shareModes = windows ? false : 'only Windows refuses to rename a file another program holds (share modes)';
const dir = tempDir('darknet-napi-windows-');
after(() => rmSync(dir, { recursive: true, force: true }));

/** The top 5 of tiny.cfg on an image, as [label, probability] pairs. */
async function top5(cfg, weights, image) {
  const network = await loadNetwork(cfg, weights);
  try {
    return (await network.classify(image, { top: 5 })).map(({ label, probability }) => [label, probability]);
  } finally {
    await network.close();
  }
}
const expected = await top5(tinyCfg, tinyWeights, dogJpg);

test('paths with a drive letter, with / or \\ between the parts, and relative with \\', { skip: onlyOnWindows }, async () => {
  assert.match(tinyCfg, /^[A-Za-z]:\\/, 'on Windows path.join gives C:\\ paths');
  const slashes = (path) => path.replaceAll('\\', '/');
  assert.deepEqual(await top5(slashes(tinyCfg), slashes(tinyWeights), slashes(dogJpg)), expected);
  const ours = await runOurCli(['classify', 'cfg\\tiny.cfg', tinyWeights, 'data\\dog.jpg'], { cwd: darknetDir });
  assert.equal(ours.code, 0, ours.stderr);
  assert.match(ours.stdout, /^14\.51%: malamute\n/);
  const missing = await runOurCli(['classify', 'cfg\\tiny.cfg', tinyWeights, 'data\\no-such.jpg']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /data\\no-such\.jpg/);
});

test('cfg, weights and image in a folder whose name is not ASCII', async () => {
  const folder = join(dir, 'Jürgen 犬 ñ');
  mkdirSync(folder, { recursive: true });
  const files = ['tiny.cfg', 'tiny.weights', 'dög.jpg'].map((name) => join(folder, name));
  [tinyCfg, tinyWeights, dogJpg].forEach((source, i) => copyFileSync(source, files[i]));
  assert.deepEqual(await top5(...files), expected);
  // and the error for a missing one names it as given
  const missing = join(folder, 'hündin.jpg');
  await assert.rejects(classify(files[0], files[1], missing), (error) => {
    assert.equal(error.code, 'ERR_FILE_NOT_FOUND', error.message);
    assert.ok(error.message.includes(missing), error.message);
    return true;
  });
});

test('a names list with CRLF line ends: labels as darknet reads them on this platform', async () => {
  const plain = readFileSync(join(darknetDir, 'data', 'imagenet.shortnames.list'), 'utf8');
  const crlf = join(dir, 'crlf.list');
  writeFileSync(crlf, plain.replaceAll('\n', '\r\n'));
  const network = await loadNetwork(tinyCfg, tinyWeights, { labels: crlf });
  try {
    const [top] = await network.classify(dogJpg, { top: 1 });
    // darknet's fopen(list, "r"): text mode on Windows (CRLF is a line end),
    // binary on POSIX (fgetl keeps the '\r')
    assert.equal(top.label, windows ? 'malamute' : 'malamute\r');
  } finally {
    await network.close();
  }
});

test('the Enter Image Path: loop reads CRLF lines from a pipe and answers through one', async () => {
  const args = ['classifier', 'predict', 'cfg/imagenet1k.data', 'cfg/tiny.cfg', tinyWeights];
  const single = await Promise.all(['data/dog.jpg', 'data/eagle.jpg'].map((image) => runOurCli([...args, image])));
  for (const one of single) assert.equal(one.code, 0, one.stderr);
  const loop = await runOurCli(args, { input: 'data/dog.jpg\r\ndata/eagle.jpg\r\n' });
  assert.equal(loop.code, 0, loop.stderr);
  const prompt = 'Enter Image Path: ';
  assert.equal(loop.stdout, `${prompt}${single[0].stdout}${prompt}${single[1].stdout}${prompt}`);
});

test('the weights cache: %LOCALAPPDATA%\\darknet-napi\\Cache on Windows, $XDG_CACHE_HOME/darknet-napi elsewhere', async () => {
  const local = join(dir, 'AppData Local');
  const xdg = join(dir, 'xdg');
  const result = runInChild(
    `import { cacheDir, download } from ${JSON.stringify(distIndex)};
     const file = await download('tiny');
     console.log(JSON.stringify({ cache: cacheDir(), file }));`,
    { env: { DARKNET_NAPI_CACHE: '', LOCALAPPDATA: local, XDG_CACHE_HOME: xdg } },
  );
  const cache = windows ? join(local, 'darknet-napi', 'Cache') : join(xdg, 'darknet-napi');
  assert.equal(result.cache, cache);
  assert.equal(relative(cache, result.file), 'tiny.weights');
  assert.deepEqual(readFileSync(result.file), readFileSync(tinyWeights));
});

describe_rename();
function describe_rename() {
  // libuv's UV_FS_O_EXLOCK (Windows only, not in fs.constants): opened with
  // no sharing, as a virus scanner or darknet's own fopen holds a file.
  const EXLOCK = 0x10000000;
  const mirror = join(dir, 'mirror');
  mkdirSync(mirror, { recursive: true });
  const bytes = Buffer.from('weights of a sort\n'.repeat(1000));
  writeFileSync(join(mirror, 'blob.bin'), bytes);
  const url = (name) => `https://weights.invalid/${name}`;
  /** download() of the mirror's blob as `name`, with `holder(partial)` run just before the rename. */
  const fetchHeld = async (name, holder) => {
    copyFileSync(join(mirror, 'blob.bin'), join(mirror, name));
    return download(url(name), { mirror, verify: async (partial) => holder(partial) });
  };
  const hold = (file) => openSync(file, constants.O_RDONLY | EXLOCK);
  const holdFor = (ms) => (file) => {
    const fd = hold(file);
    setTimeout(() => closeSync(fd), ms);
  };

  test('a download waits for a brief hold of the new file, then installs it', { skip: shareModes }, async () => {
    process.env.DARKNET_NAPI_CACHE = join(dir, 'cache-brief');
    const started = Date.now();
    const file = await fetchHeld('brief.bin', holdFor(700));
    assert.ok(Date.now() - started >= 650, 'it waited for the hold');
    assert.deepEqual(readFileSync(file), bytes);
    assert.equal(existsSync(`${file}.partial`), false);
  });

  test('a download waits for an old file at its place to be let go, then replaces it', { skip: shareModes }, async () => {
    process.env.DARKNET_NAPI_CACHE = join(dir, 'cache-target');
    mkdirSync(process.env.DARKNET_NAPI_CACHE, { recursive: true });
    const target = join(process.env.DARKNET_NAPI_CACHE, 'old.bin');
    writeFileSync(target, ''); // empty: not a finished download
    const started = Date.now();
    const file = await fetchHeld('old.bin', (_partial) => holdFor(700)(target));
    assert.ok(Date.now() - started >= 650, 'it waited for the hold');
    assert.equal(file, target);
    assert.deepEqual(readFileSync(file), bytes);
  });

  test('a hold that outlasts the wait is an ERR_DOWNLOAD that says so, the checked download kept', { skip: shareModes }, async () => {
    process.env.DARKNET_NAPI_CACHE = join(dir, 'cache-long');
    let fd;
    const started = Date.now();
    await assert.rejects(
      fetchHeld('long.bin', (partial) => {
        fd = hold(partial);
      }),
      (error) => {
        assert.equal(error.code, 'ERR_DOWNLOAD', error.message);
        assert.match(error.message, /long\.bin\.partial .*long\.bin \(EBUSY\): another program has one of them open/);
        return true;
      },
    );
    closeSync(fd);
    assert.ok(Date.now() - started >= 9000, 'it waited');
    assert.equal(statSync(join(process.env.DARKNET_NAPI_CACHE, 'long.bin.partial')).size, bytes.length);
  });
  after(() => {
    delete process.env.DARKNET_NAPI_CACHE;
  });
}

test("darknet worker stops on the IPC message 'shutdown' (no SIGTERM on Windows), finishing its job", async () => {
  // npm run test:windows starts the server (Wine's processes cannot start Linux's redis-server)
  const given = process.env.DARKNET_NAPI_TEST_REDIS;
  const redis = given ? { url: given, close: async () => undefined } : await startRedis();
  const worker = startWorker(redis.url, ['--queue', `shutdown-${process.pid}`], { ipc: true });
  try {
    await worker.ready;
    const produced = runProducer(redis.url, [dogJpg], { extra: ['--queue', `shutdown-${process.pid}`] });
    const { code, lines, stderr } = await produced;
    assert.equal(code, 0, stderr);
    assert.match(lines.join('\n'), /malamute/);
    worker.child.send('shutdown');
    const exit = await worker.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, worker.log);
    assert.match(worker.log, /darknet worker: the message 'shutdown': finishing the jobs it holds\n/);
    assert.match(worker.log, /darknet worker: stopped\n/);
  } finally {
    await worker.kill();
    await redis.close();
  }
});
