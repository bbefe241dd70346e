// The workload scripts/valgrind.sh runs under valgrind: load, classify 20
// images through every input type, hit the error paths, close.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { loadNetwork } from '../dist/index.js';
import { darknetDir, root, tinyCfg as cfg } from '../test/support/paths.mjs';
import { tinyWeights as weights } from '../test/support/weights.mjs';

const data = join(darknetDir, 'data');
const images = ['dog.jpg', 'eagle.jpg', 'person.jpg', 'horses.jpg'].map((f) => join(data, f));

const network = await loadNetwork(cfg, weights);
const stock = await loadNetwork(cfg, weights, { engine: 'darknet' }); // darknet's own forward pass too
let done = 0;
for (let i = 0; i < 20; ++i) {
  const file = images[i % images.length];
  const input = i % 3 === 0 ? file : i % 3 === 1 ? readFileSync(file) : { data: new Uint8Array(64 * 48 * 3).fill(i), width: 64, height: 48, channels: 3 };
  await (i % 4 === 3 ? stock : network).classify(input, { resize: i % 5 === 0 ? 'min' : 'letterbox' });
  ++done;
}
await stock.close();
const errors = [];
const expectError = async (promise) => errors.push(await promise.then(() => 'no error', (e) => e.code));
await expectError(network.classify(Buffer.from('not an image')));
await expectError(network.classify(join(data, 'missing.jpg')));
await expectError(network.classify(join(root, 'test', 'fuzz-regressions', 'image', 'stb-assert-extend-receive.jpg')));
await expectError(network.classify({ data: new Uint8Array(5), width: 2, height: 2, channels: 3 }));
await expectError(loadNetwork(join(root, 'test', 'fuzz-regressions', 'cfg', 'connected-size-overflow.cfg')));
await expectError(loadNetwork(join(root, 'test', 'fuzz-regressions', 'cfg', 'missing-tree-file.cfg')));
await expectError(loadNetwork(join(data, 'dog.jpg')));
await expectError(loadNetwork(cfg, join(root, 'test', 'fuzz-regressions', 'weights', 'header-version-overflow.bin')));
await network.close();
await expectError(network.classify(images[0]));
console.log(JSON.stringify({ classified: done, errors }));
