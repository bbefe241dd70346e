// lib/labels.ts: names lists and .data files read the way darknet reads them
// (get_labels, read_data_cfg), and the labels a network's outputs get.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { DarknetError } from '../../dist/errors.js';
import {
  DETECTOR_NAMES,
  IMAGENET_NAMES,
  labelOf,
  readClassifierData,
  readDataFile,
  readLabels,
  resolveDetectorLabels,
  resolveLabels,
  splitLines,
} from '../../dist/labels.js';
import { darknetDir, tempDir } from '../support/paths.mjs';

const dir = tempDir('darknet-napi-labels-');
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name, text) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const darknetError = (code, ...fragments) => (error) => {
  assert.ok(error instanceof DarknetError, String(error));
  assert.equal(error.code, code, error.message);
  for (const fragment of fragments) assert.ok(error.message.includes(fragment), `"${error.message}" should mention "${fragment}"`);
  return true;
};

test('splitLines: one label per line, a final newline adds none, nothing trimmed (not even \\r)', () => {
  assert.deepEqual(splitLines('a\nb\n'), ['a', 'b']);
  assert.deepEqual(splitLines('a\nb'), ['a', 'b']);
  assert.deepEqual(splitLines('a\n\nb\n\n'), ['a', '', 'b', '']);
  assert.deepEqual(splitLines('a\r\n b \n', 'linux'), ['a\r', ' b ']);
  // Windows' text mode (darknet's fopen "r" there): CRLF ends a line, a lone CR stays
  assert.deepEqual(splitLines('a\r\n b \r\nc\rd\r\n', 'win32'), ['a', ' b ', 'c\rd']);
  assert.deepEqual(splitLines(''), []);
});

test("readLabels reads darknet's own ImageNet list (21842 names, the 1000 classes first)", async () => {
  const labels = await readLabels(join(darknetDir, IMAGENET_NAMES));
  assert.equal(labels.length, 21842);
  assert.equal(labels[14], 'malamute'); // tiny's top class on dog.jpg
});

test('readLabels refuses a missing or empty names file, naming it', async () => {
  const missing = join(dir, 'missing.names');
  await assert.rejects(readLabels(missing), darknetError('ERR_FILE_NOT_FOUND', missing, 'labels'));
  const empty = file('empty.names', '');
  await assert.rejects(readLabels(empty), darknetError('ERR_EMPTY_FILE', empty));
});

test('readDataFile: spaces and tabs removed everywhere, # and ; comments, key=value, the last value wins', async () => {
  const data = file('a.data', '# a comment\n; another\n\nclasses = 1000\nna\tmes = data/x y.list\ntop=3\ntop=4\nvalid= a=b\n');
  assert.deepEqual(Object.fromEntries(await readDataFile(data)), { classes: '1000', names: 'data/xy.list', top: '4', valid: 'a=b' });
});

test('readDataFile: a line without = is an error naming the file and line', async () => {
  const data = file('bad.data', 'names=a.list\n\njust words\n');
  await assert.rejects(readDataFile(data), darknetError('ERR_INVALID_LABELS', data, 'line 3', 'key=value', '"justwords"'));
});

test('readClassifierData: names=, else labels=, else data/labels.list; top= or 1', async () => {
  const names = file('my.names', 'x\ny\n');
  assert.deepEqual(await readClassifierData(file('names.data', `names=${names}\nlabels=other\ntop=2\n`)), { names, top: 2 });
  assert.deepEqual(await readClassifierData(file('labels.data', `labels=${names}\n`)), { names, top: 1 });
  for (const top of ['0', '-3', 'many']) {
    assert.equal((await readClassifierData(file('top.data', `names=${names}\ntop=${top}\n`))).top, 1, `top=${top}`);
  }
  // A darknet-relative path: the working directory's file, else the package's darknet copy.
  assert.equal((await readClassifierData(file('default.data', 'classes=2\n'))).names, join(process.cwd(), 'data', 'labels.list'));
  assert.equal((await readClassifierData(join(darknetDir, 'cfg', 'imagenet1k.data'))).names, join(darknetDir, IMAGENET_NAMES));
});

test('resolveLabels: a list (copied), a names file, a .data file, else ImageNet names where there are enough', async () => {
  const list = ['cat', 'dog'];
  const copy = await resolveLabels(list, 2);
  assert.deepEqual(copy, list);
  assert.notEqual(copy, list);
  const names = file('two.names', 'cat\ndog\n');
  assert.deepEqual(await resolveLabels(names, 2), ['cat', 'dog']);
  assert.deepEqual(await resolveLabels(file('two.data', `names=${names}\n`), 2), ['cat', 'dog']);
  const imagenet = splitLines(readFileSync(join(darknetDir, IMAGENET_NAMES), 'utf8'));
  assert.deepEqual(await resolveLabels(undefined, 1000), imagenet, 'the whole list: output i is name i');
  assert.deepEqual(await resolveLabels(undefined, 21842), imagenet);
  assert.deepEqual(await resolveLabels(undefined, 21843), [], 'more outputs than names: none');
});

test('resolveLabels refuses what is not labels', async () => {
  await assert.rejects(resolveLabels(['a', 3], 2), darknetError('ERR_INVALID_LABELS', 'array of strings'));
  await assert.rejects(resolveLabels(42, 2), darknetError('ERR_INVALID_LABELS', 'file path or an array'));
});

test("labelOf: the output's name, or its index where the list has none", () => {
  assert.equal(labelOf(['a', 'b'], 1), 'b');
  assert.equal(labelOf(['a', 'b'], 2), '2');
  assert.equal(labelOf([], 0), '0');
});

test("resolveDetectorLabels: darknet's list for the class count, a .data file's names=, and never fewer names than classes", async () => {
  for (const [classes, names] of DETECTOR_NAMES) {
    const labels = await resolveDetectorLabels(undefined, classes);
    assert.equal(labels.length, classes, names);
    assert.deepEqual(labels, await readLabels(join(darknetDir, names)));
  }
  assert.deepEqual(await resolveDetectorLabels(undefined, 7), []);
  assert.equal((await resolveDetectorLabels(join(darknetDir, 'cfg', 'voc.data'), 20))[0], 'aeroplane');
  // more names than classes is fine (darknet reads the first ones)
  assert.equal((await resolveDetectorLabels(join(darknetDir, 'data', 'coco.names'), 20)).length, 80);
  assert.deepEqual(await resolveDetectorLabels([], 80), []);
  for (const option of [['a', 'b'], join(darknetDir, 'data', 'voc.names'), join(darknetDir, 'cfg', 'voc.data')]) {
    await assert.rejects(resolveDetectorLabels(option, 80), (error) => {
      assert.ok(error instanceof DarknetError);
      assert.equal(error.code, 'ERR_INVALID_LABELS');
      assert.match(error.message, /names for a detector with 80 classes/);
      return true;
    });
  }
});
