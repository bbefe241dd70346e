// How a long-running command (`darknet worker`, `detector demo`) is asked to
// stop, on every platform: SIGINT (Ctrl-C), SIGTERM, SIGBREAK (Ctrl-Break:
// Windows has no SIGTERM a process can catch, process.kill() there ends it at
// once) and, from a parent through Node's IPC channel, the message
// 'shutdown' (how process managers such as pm2 stop a Node process on
// Windows).
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGBREAK'] as const;

/** Calls `stop` once, with what asked, at the first request; the returned function stops listening. */
export function onShutdown(stop: (reason: string) => void): () => void {
  let done = false;
  const fire = (reason: string): void => {
    if (done) return;
    done = true;
    dispose();
    stop(reason);
  };
  const onSignal = (signal: NodeJS.Signals): void => fire(signal);
  const onMessage = (message: unknown): void => {
    if (message === 'shutdown') fire("the message 'shutdown'");
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  // A listener keeps the IPC channel open; unref'd, it does not keep the process alive.
  if (process.channel) {
    process.on('message', onMessage);
    process.channel.unref();
  }
  function dispose(): void {
    for (const signal of SIGNALS) process.off(signal, onSignal);
    process.off('message', onMessage);
  }
  return dispose;
}
