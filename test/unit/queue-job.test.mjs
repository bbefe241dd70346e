// lib/queue/job.ts: how a job's failure and result cross Redis (one string
// each), read back by the producer; no Redis or addon needed.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { DarknetError } from '../../dist/errors.js';
import { decodeFailure, encodeFailure, JOB_SCHEMA_VERSION, parseJobResult } from '../../dist/queue/job.js';

test('a DarknetError crosses as its code and message', () => {
  const reason = encodeFailure(new DarknetError('image a.jpg: not an image darknet can decode', 'ERR_INVALID_IMAGE'));
  const error = decodeFailure(reason, 'a.jpg');
  assert.ok(error instanceof DarknetError);
  assert.equal(error.code, 'ERR_INVALID_IMAGE');
  assert.equal(error.message, 'image a.jpg: not an image darknet can decode');
});

test("another failure (a stalled job, BullMQ's own reason) is ERR_JOB_FAILED naming the image", () => {
  const stalled = decodeFailure('job stalled more than allowable limit', 'b.png');
  assert.equal(stalled.code, 'ERR_JOB_FAILED');
  assert.equal(stalled.message, 'image b.png: the job failed: job stalled more than allowable limit');
  assert.equal(decodeFailure(undefined, 'c.bmp').message, 'image c.bmp: the job failed: no reason given');
  assert.equal(encodeFailure(new Error('lost')), 'ERR_JOB_FAILED: lost');
});

test('a result the producer cannot read is ERR_JOB_FAILED, whatever it is', () => {
  const predictions = [{ label: 'malamute', probability: 0.1451, index: 249 }];
  assert.deepEqual(parseJobResult(JSON.stringify({ v: JOB_SCHEMA_VERSION, predictions })), predictions);
  assert.deepEqual(parseJobResult({ v: JOB_SCHEMA_VERSION, predictions }), predictions);
  for (const bad of ['{not json', JSON.stringify({ v: JOB_SCHEMA_VERSION + 1, predictions }), JSON.stringify({ v: JOB_SCHEMA_VERSION }), null, 42]) {
    assert.throws(() => parseJobResult(bad), (error) => error instanceof DarknetError && error.code === 'ERR_JOB_FAILED' && /cannot read/.test(error.message));
  }
});
