// lib/queue/job.ts: how a job's failure and result cross Redis (one string
// each), read back by the producer; no Redis or addon needed.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { DarknetError } from '../../dist/errors.js';
import { decodeFailure, encodeFailure, JOB_SCHEMA_VERSION, parseJobData, parseJobResult } from '../../dist/queue/job.js';

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

test("a detect job's result is its detections; a classify result read as one is unreadable", () => {
  const detections = [{ label: 'dog', classIndex: 16, probability: 0.9, objectness: 0.95, box: { x: 1, y: 2, width: 3, height: 4 } }];
  assert.deepEqual(parseJobResult(JSON.stringify({ v: JOB_SCHEMA_VERSION, detections }), 'detect'), detections);
  assert.throws(() => parseJobResult({ v: JOB_SCHEMA_VERSION, predictions: [] }, 'detect'), { code: 'ERR_JOB_FAILED' });
});

const digest = 'a'.repeat(64);
const network = { cfg: digest, weights: digest };
const parse = (data) => parseJobData(data, { network, maxImageBytes: 1000, imageKey: 'k' });
const detectJob = (options) => ({ v: JOB_SCHEMA_VERSION, task: 'detect', network, file: '/x/dog.jpg', image: { key: 'k' }, options });

test("a detect job's thresholds are checked as Network.detect checks them", async () => {
  assert.deepEqual(await parse(detectJob({ thresh: 0.25, hierThresh: 0.5, nms: 0 })), {
    file: '/x/dog.jpg',
    input: { key: 'k' },
    task: 'detect',
    options: { thresh: 0.25, hierThresh: 0.5, nms: 0 },
  });
  for (const [options, message] of [
    [{ thresh: 0, hierThresh: 0.5, nms: 0.45 }, /^invalid job: options\.thresh must be a number above 0 and at most 1, got 0$/],
    [{ thresh: 0.5, hierThresh: 2, nms: 0.45 }, /^invalid job: options\.hierThresh must be a number from 0 to 1, got 2$/],
    [{ thresh: 0.5, hierThresh: 0.5, nms: '0.4' }, /^invalid job: options\.nms must be a number from 0 to 1, got 0\.4$/],
    [{ thresh: 0.5, hierThresh: 0.5 }, /^invalid job: options\.nms is missing$/],
    [{ top: 5, resize: 'letterbox' }, /^invalid job: options\.thresh is missing$/],
  ]) {
    await assert.rejects(parse(detectJob(options)), (error) => error instanceof DarknetError && error.code === 'ERR_INVALID_JOB' && message.test(error.message));
  }
});
