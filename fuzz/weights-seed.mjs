// Writes a valid weights file for fuzz/weights_fuzzer.c's fixed cfg: the
// fuzzer's starting point (a random file almost never has the right size).
import { writeFileSync } from 'node:fs';

const conv = 4 + 3 * 4 + 3 * 4 * 3 * 3; // biases, batch norm, 3x3x3x4 weights
const connected = 5 + 5 * 4 * 4 * 4; // biases, 5 x (4x4x4) weights
const header = Buffer.alloc(20);
header.writeInt32LE(0, 0);
header.writeInt32LE(2, 4);
const floats = new Float32Array(conv + connected).map((_, i) => ((i * 7919) % 200) / 1000 + 0.5);
writeFileSync(process.argv[2], Buffer.concat([header, Buffer.from(floats.buffer)]));
