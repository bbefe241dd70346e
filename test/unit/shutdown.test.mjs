// lib/cli/shutdown.ts: what stops `darknet worker` and `detector demo`. The
// signals are emitted here as Node delivers them (SIGBREAK is Windows'
// Ctrl-Break, which neither Linux nor Wine can raise for a process: Wine 8's
// GenerateConsoleCtrlEvent fails); the IPC message runs end to end in
// test/windows.test.mjs.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { onShutdown } from '../../dist/cli/shutdown.js';

const events = ['SIGINT', 'SIGTERM', 'SIGBREAK', 'message'];
const listeners = () => events.map((event) => process.listenerCount(event));

for (const signal of ['SIGINT', 'SIGTERM', 'SIGBREAK']) {
  test(`${signal} stops it once, and then nothing of it listens any more`, () => {
    const before = listeners();
    const reasons = [];
    onShutdown((reason) => reasons.push(reason));
    assert.equal(process.listenerCount(signal), before[events.indexOf(signal)] + 1);
    process.emit(signal, signal);
    // a second Ctrl-C reaches Node's default (the process ends), not us
    assert.deepEqual(listeners(), before);
    process.emit(signal, signal);
    assert.deepEqual(reasons, [signal]);
  });
}

test('the returned function stops listening without stopping', () => {
  const before = listeners();
  const reasons = [];
  const dispose = onShutdown((reason) => reasons.push(reason));
  dispose();
  assert.deepEqual(listeners(), before);
  assert.deepEqual(reasons, []);
});
