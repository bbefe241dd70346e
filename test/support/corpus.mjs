// The images the bulk and queue tests classify besides darknet's samples:
// the samples re-encoded by darknet's own code (PNG, BMP, TGA), patterns of
// ours in PNG, BMP, TGA and PPM, and four files that are not images.
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

import { bmp, pattern, png, ppm, tga } from '../images.mjs';
import { darknetDir, sampleImages } from './paths.mjs';
import { reencode } from './reference.mjs';

/** Writes the re-encodings and the patterns into `dir`; returns their paths. */
export function derivedImages(dir) {
  const files = [];
  for (const sample of sampleImages) {
    for (const format of ['png', 'bmp', 'tga']) {
      files.push(reencode(join(darknetDir, sample), join(dir, `${basename(sample, '.jpg')}-reencoded`), format));
    }
  }
  const encoders = { png, bmp, tga, ppm };
  for (let i = 0; i < 3; ++i) {
    const w = 120 + 31 * i;
    const h = 90 + 17 * i;
    const rgb = pattern(w, h).map((v, j) => (v + i * 37 + (j % 3) * 11) & 255);
    for (const [format, encode] of Object.entries(encoders)) {
      const file = join(dir, `pattern-${i}.${format}`);
      writeFileSync(file, encode(w, h, rgb));
      files.push(file);
    }
  }
  return files;
}

/** [name, bytes] of files darknet cannot decode. */
export const corruptImages = [
  ['text.jpg', Buffer.from('not an image at all\n')],
  ['empty.png', Buffer.alloc(0)],
  ['random.bmp', Buffer.from(Array.from({ length: 500 }, (_, i) => (i * 97) & 255))],
  ['header-only.png', png(4, 4, new Uint8Array(48)).subarray(0, 20)],
];
