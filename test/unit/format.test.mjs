// lib/format.ts: C's printf("%.Nf") in JavaScript, which makes our CLI's
// lines byte-identical to darknet's. The oracle is C's printf itself, through
// awk (which formats doubles with it): no addon, no reference build needed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';

import { formatFixed, formatFixedWidth, percentOf } from '../../dist/format.js';
import { formatBytes } from '../../dist/cli/progress.js';
import { prng } from '../support/random.mjs';

/** printf("%.<digits>f") of each value, by C's printf. */
function cPrintf(values, digits) {
  // String(value) is the shortest text that reads back as the same double.
  const out = execFileSync('awk', [`{ printf "%.${digits}f\\n", $1 }`], { input: values.map(String).join('\n') + '\n', encoding: 'utf8' });
  return out.trimEnd().split('\n');
}

test('exact ties round half to even as glibc does, where toFixed rounds half up', () => {
  assert.equal(formatFixed(0.125, 2), '0.12');
  assert.equal(formatFixed(0.375, 2), '0.38');
  assert.equal(formatFixed(2.5, 0), '2');
  assert.equal(formatFixed(3.5, 0), '4');
  assert.equal(formatFixed(-0.125, 2), '-0.12');
  assert.equal((0.125).toFixed(2), '0.13', 'the difference this function exists for');
});

test('values that only look like ties are not ties (0.145 is 0.14499999...)', () => {
  assert.equal(formatFixed(0.145, 2), '0.14');
  assert.equal(formatFixed(1.005, 2), '1.00');
});

test('the sign of -0 and negative values that round to zero, NaN and infinities', () => {
  assert.equal(formatFixed(-0, 2), '-0.00');
  assert.equal(formatFixed(-0.001, 2), '-0.00');
  assert.equal(formatFixed(0, 6), '0.000000');
  assert.equal(formatFixed(Number.NaN, 2), 'nan');
  assert.equal(formatFixed(Infinity, 2), 'inf');
  assert.equal(formatFixed(-Infinity, 6), '-inf');
});

test('2000 seeded values at 0, 2 and 6 digits: what C prints', () => {
  const random = prng(2024);
  const values = [];
  for (let i = 0; i < 2000; ++i) {
    const kind = i % 4;
    if (kind === 0) values.push(random()); // probabilities
    else if (kind === 1) values.push(Math.fround(random() * 100)); // percentages in float
    else if (kind === 2) values.push(Math.round(random() * 4000) / 16 - 125); // dyadic: exact ties
    else values.push((random() - 0.5) * 10 ** Math.floor(random() * 8));
  }
  for (const digits of [0, 2, 6]) {
    const expected = cPrintf(values, digits);
    assert.equal(expected.length, values.length);
    values.forEach((value, i) => assert.equal(formatFixed(value, digits), expected[i], `printf("%.${digits}f", ${value})`));
  }
});

test('formatFixedWidth right-aligns as %W.Nf does', () => {
  assert.equal(formatFixedWidth(14.5115, 5, 2), '14.51');
  assert.equal(formatFixedWidth(6.09, 5, 2), ' 6.09');
  assert.equal(formatFixedWidth(100, 5, 2), '100.00', 'wider than W: not cut');
});

test('percentOf multiplies in float, as darknet\'s predictions[index]*100 does', () => {
  const f = new Float32Array(1);
  for (const p of [0.14511549, 0.0609, 1 / 3, 0.999999, 1e-8]) {
    f[0] = p;
    f[0] = f[0] * 100; // a float product, stored as a float
    assert.equal(percentOf(p), f[0], String(p));
  }
  assert.notEqual(percentOf(1 / 3), (1 / 3) * 100, 'not the double product');
});

test('formatBytes: B below 1 KB, then one decimal of KB, MB, GB, TB', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1024), '1.0 KB');
  assert.equal(formatBytes(4185968), '4.0 MB');
  assert.equal(formatBytes(1.5 * 1024 ** 3), '1.5 GB');
  assert.equal(formatBytes(3 * 1024 ** 5), '3072.0 TB');
});
