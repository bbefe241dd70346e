// Which cases the per-case loops run where every forward pass is slow: under
// qemu (scripts/test-arm64.sh, about 90 times native) and under ASan+UBSan
// (scripts/sanitize.sh, 3-9 times). There the loops drop the cases that reach
// no native line or branch that a case they keep does not reach too (measured
// with gcov on an instrumented addon, case by case; the branches that differ
// between two runs of the same case, which thread computes which columns in
// binding/engine/sgemm.c and fast_engine.c, aside). The cases dropped still
// run in `npm test`, natively, on every commit.
import { join } from 'node:path';

import { sampleImages } from './paths.mjs';

/**
 * The sample images that the per-image loops of `parity` and `engine` run:
 * every one, or the comma list DARKNET_NAPI_IMAGES names (`dog.jpg,...`),
 * which test-arm64.sh, test-windows.sh and sanitize.sh set to dog.jpg,
 * giraffe.jpg and scream.jpg: every sample image takes the same native path
 * but for its size and its JPEG's layout, and these three reach every line
 * and branch the seven reach (the landscape 4:4:0 Exif JPEG, the square
 * 4:4:4 JFIF one whose 500-pixel rows end in the scalar tail of stb's colour
 * conversion, the portrait one that letterboxes and resizes the other way).
 * `DARKNET_NAPI_IMAGES=all` runs every one. The files that need every image
 * whatever this says (`inputs`' decode check, the bulk, queue, detection and
 * concurrency corpora, the stress run) use `sampleImages`.
 */
export const loopImages = (() => {
  const names = process.env.DARKNET_NAPI_IMAGES?.trim();
  if (!names || names === 'all') return sampleImages;
  const chosen = names.split(',').map((name) => join('data', name.trim()));
  for (const image of chosen) {
    if (!sampleImages.includes(image)) throw new Error(`DARKNET_NAPI_IMAGES: no sample image ${image} (${sampleImages.join(', ')})`);
  }
  return chosen;
})();

/**
 * Under emulation (DARKNET_NAPI_EMULATED=1, set by test-arm64.sh) the loops of
 * `errors` and `engine` run only the cases listed as covering: the others
 * check what TypeScript checks, or the same native code with other numbers.
 * (Not under the sanitizers: there other sizes are other memory accesses.)
 */
export const emulated = process.env.DARKNET_NAPI_EMULATED === '1';

/** A test's `skip` option: false where the case runs, else why it does not. */
export function unlessCovering(covering) {
  return emulated && !covering
    ? 'under emulation: reaches no native line or branch the cases kept do not (gcov); runs natively in npm test and under ASan'
    : false;
}
