// The benchmarks' timing: the median of timed calls after a warm-up.

/** The middle value (the upper one of an even count). */
export const middle = (values) => [...values].sort((x, y) => x - y)[values.length >> 1];

/** median(fn, count = defaultCount, warmup = 5): fn's median time in ms over `count` calls after `warmup`. */
export function medianTimer(defaultCount) {
  return async function median(fn, count = defaultCount, warmup = 5) {
    for (let i = 0; i < warmup; ++i) await fn();
    const times = [];
    for (let i = 0; i < count; ++i) {
      const started = process.hrtime.bigint();
      await fn();
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    return middle(times);
  };
}
