import type { ChildProcess } from 'node:child_process';
import { constants, setPriority } from 'node:os';

/**
 * Every FFmpeg this process started and has not reaped yet, so that none
 * outlives its stream when the process ends: on exit (normal, process.exit,
 * an uncaught exception) they are killed; on SIGINT, SIGTERM, SIGHUP and
 * SIGBREAK (Windows' Ctrl-Break, where children outlive their parent),
 * when nobody else listens for the signal, too, and then the process ends by
 * it as it would have without us. The listeners are there only while
 * children are.
 */
const children = new Set<ChildProcess>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'];

function killAll(): void {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  // A program that handles the signal itself ends its streams itself (the
  // CLI lets the output video finish); otherwise the process is about to
  // die of it: no FFmpeg stays behind.
  if (process.listenerCount(signal) > 1) return;
  killAll();
  uninstall();
  try {
    process.kill(process.pid, signal);
  } catch {
    // Windows raises only some signals (not SIGBREAK): the exit below instead
  }
  // should the default action not have ended it, end as it would have
  setTimeout(() => process.exit(128 + (constants.signals[signal] ?? 0)), 200);
}

let installed = false;
function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', killAll);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}

/** Tracks a child until it exits. */
export function track(child: ChildProcess): void {
  children.add(child);
  install();
  child.once('exit', () => {
    children.delete(child);
    if (children.size === 0) uninstall();
  });
  child.once('error', () => {
    children.delete(child);
    if (children.size === 0) uninstall();
  });
}

/** How many FFmpeg children are running (for the tests). */
export function runningChildren(): number {
  return children.size;
}

/**
 * FFmpeg runs at a lower priority than the process (nice 10): on a machine
 * whose cores the detection keeps busy, decoding and encoding take the gaps
 * (box extraction, JavaScript) instead of a pool thread's time slice, which
 * would stall the whole parallel section (the pool then backs off to one
 * thread: binding/engine/thread_pool.c). Best effort: where it is not
 * allowed, FFmpeg keeps the default priority.
 */
export function lowerPriority(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    setPriority(child.pid, 10);
  } catch {
    // not permitted here
  }
}
