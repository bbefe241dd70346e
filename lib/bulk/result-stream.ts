import type { BulkProgress } from './bulk.js';

/**
 * The results of a bulk run, made in the background (by the local networks,
 * or by a queue's events) and handed to one async generator in the order
 * they were made, with the progress counted as each arrives.
 */
export class ResultStream<R extends { error?: unknown }> {
  readonly #ready: R[] = [];
  readonly #started = Date.now();
  readonly #total: number | undefined;
  readonly #onProgress: ((progress: BulkProgress) => void) | undefined;
  #wake: (() => void) | undefined;
  #done = 0;
  #failed = 0;

  constructor(total: number | undefined, onProgress?: (progress: BulkProgress) => void) {
    this.#total = total;
    this.#onProgress = onProgress;
  }

  publish(result: R): void {
    this.#ready.push(result);
    ++this.#done;
    if (result.error) ++this.#failed;
    const seconds = (Date.now() - this.#started) / 1000;
    this.#onProgress?.({ done: this.#done, failed: this.#failed, total: this.#total, imagesPerSecond: seconds > 0 ? this.#done / seconds : 0 });
    this.wake();
  }

  /** Makes the consumer look at its end condition again. */
  wake(): void {
    this.#wake?.();
  }

  /**
   * Yields the results as they come. With none ready, `end()` decides: a
   * promise when the run is over (awaited, so that it may reject), undefined
   * to wait for the next result or wake(). `end` is called synchronously
   * before each wait, so no wake-up is lost between the check and the wait.
   */
  async *results(end: () => Promise<unknown> | undefined): AsyncGenerator<R, void, undefined> {
    for (;;) {
      const result = this.#ready.shift();
      if (result) {
        yield result;
        continue;
      }
      const over = end();
      if (over) {
        await over;
        return;
      }
      await new Promise<void>((resolvePromise) => {
        this.#wake = resolvePromise;
      });
      this.#wake = undefined;
    }
  }
}
