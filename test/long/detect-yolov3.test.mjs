// yolov3 at 608x608 (three [yolo] heads, upsample, route, shortcut), one
// image: the detection parity test's yolov3 case, which npm test leaves out
// for its minute of darknet's single-threaded forward passes (reference and
// engine 'darknet'). Run here, in npm run test:long.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const parity = fileURLToPath(new URL('../detect-parity.test.mjs', import.meta.url));

// Under npm run test:sanitize (which runs test/long too) darknet's instrumented forward passes would take many minutes.
const skip = process.env.DARKNET_NAPI_SANITIZED ? 'minutes under ASan: npm run test:long runs it uninstrumented' : false;

test('yolov3 at 608x608: heads bit-equal across engines and the reference, detections identical', { skip }, () => {
  // Without NODE_TEST_CONTEXT: the child is a test run of its own, reporting in TAP.
  const { NODE_TEST_CONTEXT: _context, ...env } = process.env;
  const run = spawnSync(process.execPath, ['--expose-gc', '--test', '--test-reporter=tap', '--test-name-pattern=^yolov3: ', parity], {
    env: { ...env, DARKNET_NAPI_DETECT_YOLOV3: '1' },
    encoding: 'utf8',
    timeout: 15 * 60 * 1000,
  });
  const output = `${run.stdout}${run.stderr}`;
  assert.equal(run.status, 0, output.slice(-4000));
  assert.match(output, /^\s*ok \d+ - yolov3: heads bit-equal/m, 'the yolov3 case ran');
  assert.match(output, /^# pass 1$/m, output.slice(-2000));
  const lines = /yolov3\s+data\/dog\.jpg\s+(\d+)/.exec(output);
  console.log(`yolov3 at 608: ${lines?.[1] ?? '?'} lines identical to the reference's`);
});
