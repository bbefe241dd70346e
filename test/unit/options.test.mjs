// lib/options.ts on its own: every option check and default, without the addon.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { DarknetError } from '../../dist/errors.js';
import {
  DEFAULT_LIMIT_INPUT_PIXELS,
  DEFAULT_LIMIT_NETWORK_BYTES,
  concurrencyOf,
  engineOf,
  limitInputPixelsOf,
  limitNetworkBytesOf,
  positiveIntegerOf,
  precisionOf,
  resizeOf,
  thresholdOf,
  threadCountOf,
  topOf,
} from '../../dist/options.js';

/** Asserts that fn throws ERR_INVALID_INPUT with exactly this message. */
function rejects(fn, message) {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof DarknetError);
    assert.equal(error.code, 'ERR_INVALID_INPUT');
    assert.equal(error.message, message);
    return true;
  });
}

test('limitInputPixels: default 16383 x 16383, false for none, else a positive integer', () => {
  assert.equal(DEFAULT_LIMIT_INPUT_PIXELS, 16383 * 16383);
  assert.equal(limitInputPixelsOf(undefined), DEFAULT_LIMIT_INPUT_PIXELS);
  assert.equal(limitInputPixelsOf(false), 0);
  assert.equal(limitInputPixelsOf(1), 1);
  for (const bad of [0, -1, 1.5, NaN, '100', true, null]) {
    rejects(() => limitInputPixelsOf(bad), `limitInputPixels must be a positive integer or false, got ${String(bad)}`);
  }
});

test('limitNetworkBytes: default 8 GiB, false for none, else a positive integer', () => {
  assert.equal(DEFAULT_LIMIT_NETWORK_BYTES, 8 * 1024 ** 3);
  assert.equal(limitNetworkBytesOf(undefined), DEFAULT_LIMIT_NETWORK_BYTES);
  assert.equal(limitNetworkBytesOf(false), 0);
  assert.equal(limitNetworkBytesOf(4096), 4096);
  for (const bad of [0, -5, 2.5, 'big', true]) {
    rejects(() => limitNetworkBytesOf(bad), `limitNetworkBytes must be a positive integer or false, got ${String(bad)}`);
  }
});

test("engine: 'fast' by default, or 'darknet'", () => {
  assert.equal(engineOf(undefined), 'fast');
  assert.equal(engineOf('fast'), 'fast');
  assert.equal(engineOf('darknet'), 'darknet');
  assert.equal(engineOf(null), 'fast'); // null, like undefined, is "not given" (??)
  for (const bad of ['Fast', 'gpu', 1]) {
    rejects(() => engineOf(bad), `engine must be 'fast' or 'darknet', got ${String(bad)}`);
  }
});

test("resize: 'letterbox' by default, or 'min'", () => {
  assert.equal(resizeOf(undefined), 'letterbox');
  assert.equal(resizeOf('min'), 'min');
  for (const bad of ['crop', '', 0]) {
    rejects(() => resizeOf(bad), `resize must be 'letterbox' or 'min', got ${String(bad)}`);
  }
});

test('top: 5 by default, at most the outputs, else a positive integer', () => {
  assert.equal(topOf(undefined, 1000), 5);
  assert.equal(topOf(undefined, 3), 3);
  assert.equal(topOf(10, 1000), 10);
  assert.equal(topOf(2000, 1000), 1000);
  assert.equal(topOf(null, 1000), 5);
  for (const bad of [0, -1, 1.5, '5']) {
    rejects(() => topOf(bad, 1000), `top must be a positive integer, got ${String(bad)}`);
  }
});

test('concurrency: the fallback by default, else a positive integer', () => {
  assert.equal(concurrencyOf(undefined, 7), 7);
  assert.equal(concurrencyOf(2, 7), 2);
  for (const bad of [0, 2.5, '2']) {
    rejects(() => concurrencyOf(bad, 7), `concurrency must be a positive integer, got ${String(bad)}`);
  }
});

test('a count or size option (the queue\'s window, pollInterval, attempts, maxImageBytes...): the fallback by default, else a positive integer', () => {
  assert.equal(positiveIntegerOf('window', undefined, 1000), 1000);
  assert.equal(positiveIntegerOf('window', 3, 1000), 3);
  for (const bad of [0, -1, 1.5, Number.NaN, '3']) {
    rejects(() => positiveIntegerOf('window', bad, 1000), `window must be a positive integer, got ${String(bad)}`);
  }
});

test('thread count: an integer from 1 to the cap', () => {
  assert.equal(threadCountOf(1, 64), 1);
  assert.equal(threadCountOf(64, 64), 64);
  for (const bad of [0, 65, 1.5, '4']) {
    rejects(() => threadCountOf(bad, 64), `setThreads: count must be an integer from 1 to 64, got ${String(bad)}`);
  }
});

test("detect's thresholds: finite numbers in [0, 1] (the fallback by default); thresh above 0", () => {
  assert.equal(thresholdOf('nms', undefined, 0.45), 0.45);
  assert.equal(thresholdOf('nms', 0, 0.45), 0);
  assert.equal(thresholdOf('thresh', 1, 0.5, true), 1);
  assert.equal(thresholdOf('thresh', 1e-9, 0.5, true), 1e-9);
  rejects(() => thresholdOf('thresh', 0, 0.5, true), 'thresh must be a number above 0 and at most 1, got 0');
  rejects(() => thresholdOf('thresh', -0, 0.5, true), 'thresh must be a number above 0 and at most 1, got 0');
  rejects(() => thresholdOf('hierThresh', 1.01, 0.5), 'hierThresh must be a number from 0 to 1, got 1.01');
  rejects(() => thresholdOf('nms', -0.1, 0.45), 'nms must be a number from 0 to 1, got -0.1');
  rejects(() => thresholdOf('nms', Number.NaN, 0.45), 'nms must be a number from 0 to 1, got NaN');
  rejects(() => thresholdOf('nms', Infinity, 0.45), 'nms must be a number from 0 to 1, got Infinity');
  rejects(() => thresholdOf('nms', '0.4', 0.45), 'nms must be a number from 0 to 1, got 0.4');
});

test("precision: 'exact' by default, or DARKNET_NAPI_PRECISION's; 'fast' only in the fast engine", () => {
  const saved = process.env.DARKNET_NAPI_PRECISION;
  try {
    delete process.env.DARKNET_NAPI_PRECISION;
    assert.equal(precisionOf(undefined, 'fast'), 'exact');
    assert.equal(precisionOf(undefined, 'darknet'), 'exact');
    assert.equal(precisionOf('fast', 'fast'), 'fast');
    for (const bad of ['Fast', 'half', '', 1, true]) rejects(() => precisionOf(bad, 'fast'), `precision must be 'exact' or 'fast', got ${String(bad)}`);
    rejects(() => precisionOf('fast', 'darknet'), "precision 'fast' runs in engine 'fast', not engine 'darknet'");
    process.env.DARKNET_NAPI_PRECISION = 'fast';
    assert.equal(precisionOf(undefined, 'fast'), 'fast');
    assert.equal(precisionOf('exact', 'fast'), 'exact');
    process.env.DARKNET_NAPI_PRECISION = '';
    assert.equal(precisionOf(undefined, 'fast'), 'exact');
    process.env.DARKNET_NAPI_PRECISION = 'turbo';
    rejects(() => precisionOf(undefined, 'fast'), "precision must be 'exact' or 'fast', got DARKNET_NAPI_PRECISION=turbo");
  } finally {
    if (saved === undefined) delete process.env.DARKNET_NAPI_PRECISION;
    else process.env.DARKNET_NAPI_PRECISION = saved;
  }
});
