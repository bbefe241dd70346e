// `darknet worker`: serves a network's queue until asked to stop (SIGTERM,
// SIGINT, Ctrl-Break or the IPC message 'shutdown': cli/shutdown.ts), then
// stops taking jobs, finishes the ones it holds, closes its networks and exits 0.
import { onShutdown } from '../cli/shutdown.js';
import { createWorker } from './worker.js';

export interface WorkerCommandOptions {
  redis: string;
  queue: string | undefined;
  networks: number | undefined;
  concurrency: number | undefined;
  threads: number | undefined;
  byPathRoot: string | undefined;
  stalledInterval: number | undefined;
  quiet: boolean;
}

/** labels: a names file or a model's labels; undefined: loadNetwork's default for the network's task. */
export async function workerCommand(cfg: string, weights: string, labels: string | undefined, options: WorkerCommandOptions): Promise<number> {
  const running = await createWorker({
    connection: options.redis,
    network: { cfg, weights },
    ...(labels !== undefined ? { labels } : {}),
    ...(options.queue !== undefined ? { queue: options.queue } : {}),
    ...(options.networks !== undefined ? { networks: options.networks } : {}),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    ...(options.byPathRoot !== undefined ? { byPathRoot: options.byPathRoot } : {}),
    // The lock outlives a few stall checks, so a busy worker never loses its job.
    ...(options.stalledInterval !== undefined ? { stalledInterval: options.stalledInterval, lockDuration: options.stalledInterval } : {}),
  });
  const log = (line: string): void => {
    if (!options.quiet) process.stderr.write(`darknet worker: ${line}\n`);
  };
  let lastError = 0;
  running.worker.on('error', (error) => {
    // Redis away: BullMQ reconnects by itself; say so now and then, not per retry.
    if (Date.now() - lastError > 5000) {
      lastError = Date.now();
      log(`redis: ${error.message} (retrying)`);
    }
  });
  log(`queue ${running.queue}, weights sha256 ${running.network.weights}, pid ${process.pid}`);
  await running.worker.waitUntilReady();
  log('ready');
  await new Promise<void>((resolvePromise) => {
    onShutdown((reason) => {
      log(`${reason}: finishing the jobs it holds`);
      resolvePromise();
    });
  });
  await running.close();
  log('stopped');
  return 0;
}
