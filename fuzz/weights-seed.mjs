// Writes a valid weights file for fuzz/weights_fuzzer.c's fixed cfg: the
// fuzzer's starting point (a random file almost never has the right size).
// The layout comes from darknet's parse of the cfg (the addon) and
// lib/models/weights-file.ts, so it follows the cfg.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { loadNetwork } from '../dist/index.js';
import { encodeWeights, weightsLayout } from '../dist/models/weights-file.js';

const network = await loadNetwork(fileURLToPath(new URL('weights_target.cfg', import.meta.url)));
const floats = weightsLayout(network.layers).reduce((sum, block) => sum + block.count, 0);
await network.close();
const values = new Float32Array(floats).map((_, i) => ((i * 7919) % 200) / 1000 + 0.5);
writeFileSync(process.argv[2], encodeWeights(values));
