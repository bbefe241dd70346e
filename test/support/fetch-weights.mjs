// Tiny Darknet's real weights for the tests, got the way a user gets them:
// the package's downloader (sha256 checked, into DARKNET_NAPI_CACHE or the
// default cache, from DARKNET_NAPI_MIRROR or pjreddie.com), unless
// DARKNET_NAPI_TEST_WEIGHTS names a file to use instead. `npm test` runs this
// file first (pretest): without the weights the suite stops there, with one
// message saying what to set, instead of failing file by file.
//   node test/support/fetch-weights.mjs   prints the file's path
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The downloader without the addon: fetching needs no native build.
import { cacheDir } from '../../dist/models/cache.js';
import { download } from '../../dist/models/download.js';
import { findModel } from '../../dist/models/catalogue.js';

const tiny = findModel('tiny');

function unavailable(reason) {
  return new Error(
    `The tests need Tiny Darknet's real weights (tiny.weights, 4 MB): ${reason}\n` +
      'Set one of:\n' +
      '  DARKNET_NAPI_MIRROR=<folder or URL holding tiny.weights>  (downloaded from there into the cache, sha256 checked)\n' +
      '  DARKNET_NAPI_TEST_WEIGHTS=<path of tiny.weights>          (used in place, sha256 checked)\n' +
      `or, online, run \`npx darknet download tiny\` once (cache: ${cacheDir()}; DARKNET_NAPI_CACHE moves it).`,
  );
}

/** The weights file's path; throws the one message when they cannot be had. */
export async function fetchTinyWeights() {
  const given = process.env.DARKNET_NAPI_TEST_WEIGHTS;
  if (given) {
    const file = resolve(given);
    let bytes;
    try {
      bytes = readFileSync(file);
    } catch (error) {
      throw unavailable(`DARKNET_NAPI_TEST_WEIGHTS=${given} cannot be read (${error.code ?? error.message})`);
    }
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (sha !== tiny.sha256) throw unavailable(`DARKNET_NAPI_TEST_WEIGHTS=${given} has sha256 ${sha}, not tiny.weights' ${tiny.sha256}`);
    return file;
  }
  try {
    return await download(tiny, { timeout: 20_000 });
  } catch (error) {
    throw unavailable(error.message);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    console.log(`test weights: ${await fetchTinyWeights()}`);
  } catch (error) {
    console.error(`\n${error.message}\n`);
    process.exit(1);
  }
}
