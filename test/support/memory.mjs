// Measuring memory: the tests that bound growth read RSS the same way.
export const MB = 1024 * 1024;

/** The process's resident set size in bytes. */
export function rss() {
  return process.memoryUsage.rss();
}
