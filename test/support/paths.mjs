// Where things are, for the tests, the benchmarks and the scripts: the
// repository's folders, darknet's sources and samples, and the folder of
// darknet's reference tools. Importing this needs nothing built.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const darknetDir = join(root, 'darknet');
/** The compiled package (npm run build). */
export const distIndex = pathToFileURL(join(root, 'dist', 'index.js')).href; // a URL: import() on Windows takes no C:\ paths
export const ourCli = join(root, 'dist', 'cli.js');
export const fixturesDir = join(root, 'test', 'fixtures');
export const fuzzRegressionsDir = join(root, 'test', 'fuzz-regressions');
export const tinyCfg = join(darknetDir, 'cfg', 'tiny.cfg');
export const dogJpg = join(darknetDir, 'data', 'dog.jpg');

/**
 * darknet's reference tools (npm run build:reference). DARKNET_NAPI_REFERENCE_DIR
 * names another folder, absolute or relative to the repository root (an
 * aarch64 build, or today's build/reference before the move).
 */
export const referenceDir = resolve(root, process.env.DARKNET_NAPI_REFERENCE_DIR || join('build-reference', 'bin'));

/** One of darknet's own cfgs, by name ('tiny' -> darknet/cfg/tiny.cfg). */
export function darknetCfg(name) {
  return join(darknetDir, 'cfg', `${name}.cfg`);
}

/** Every JPEG darknet ships in data/, relative to darknet's root (where ./darknet runs). */
export const sampleImages = readdirSync(join(darknetDir, 'data'))
  .filter((name) => name.endsWith('.jpg'))
  .sort()
  .map((name) => join('data', name));

export function tempDir(prefix = 'darknet-napi-test-') {
  return mkdtempSync(join(tmpdir(), prefix));
}
