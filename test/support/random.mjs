// The one seeded PRNG of the tests, benchmarks and fuzz seeds (mulberry32):
// the same numbers on every run and machine, so that synthetic weights,
// pixels and stress schedules are reproducible from their seed.

/** Returns a function giving uniform numbers in [0, 1) from `seed`. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `length` pseudo-random bytes from `seed` (test pixels). */
export function randomBytes(length, seed) {
  const random = prng(seed);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; ++i) bytes[i] = Math.floor(random() * 256);
  return bytes;
}
