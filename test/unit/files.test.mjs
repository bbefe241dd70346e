// lib/files.ts and lib/binary-check.ts: the checks that run before darknet or
// the dynamic loader sees a file (darknet exits on a missing one; a truncated
// ELF file kills the process with SIGBUS). No addon.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { binaryProblem } from '../../dist/binary-check.js';
import { DarknetError } from '../../dist/errors.js';
import { checkInputFile } from '../../dist/files.js';
import { tempDir, tinyCfg } from '../support/paths.mjs';

const dir = tempDir('darknet-napi-files-');
after(() => rmSync(dir, { recursive: true, force: true }));

async function rejects(path, role, code, ...fragments) {
  await assert.rejects(checkInputFile(path, role), (error) => {
    assert.ok(error instanceof DarknetError, String(error));
    assert.equal(error.code, code, error.message);
    for (const fragment of fragments) assert.ok(error.message.includes(fragment), `"${error.message}" should mention "${fragment}"`);
    return true;
  });
}

test('checkInputFile: the absolute path of a readable non-empty file', async () => {
  assert.equal(await checkInputFile(tinyCfg, 'cfg'), tinyCfg);
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    writeFileSync('relative.cfg', '[net]\n');
    assert.equal(await checkInputFile('relative.cfg', 'cfg'), join(dir, 'relative.cfg'));
  } finally {
    process.chdir(cwd);
  }
});

test('checkInputFile: each problem its code, the message naming the role and the path', async () => {
  const missing = join(dir, 'missing.weights');
  await rejects(missing, 'weights', 'ERR_FILE_NOT_FOUND', 'weights file not found', missing);
  await rejects(join(tinyCfg, 'below-a-file'), 'cfg', 'ERR_FILE_NOT_FOUND', 'cfg');
  mkdirSync(join(dir, 'folder'));
  await rejects(join(dir, 'folder'), 'image', 'ERR_NOT_A_FILE', 'image path', 'is a directory');
  await rejects('/dev/null', 'image', 'ERR_NOT_A_FILE', 'not a regular file');
  writeFileSync(join(dir, 'empty.data'), '');
  await rejects(join(dir, 'empty.data'), 'data', 'ERR_EMPTY_FILE', 'data file', 'is empty');
  await rejects('', 'labels', 'ERR_INVALID_INPUT', 'labels path must be a non-empty string');
  await rejects(42, 'cfg', 'ERR_INVALID_INPUT', 'cfg path');
});

test('checkInputFile: a file without read permission', { skip: process.getuid?.() === 0 && 'root reads any file' }, async () => {
  writeFileSync(join(dir, 'secret.cfg'), '[net]\n');
  chmodSync(join(dir, 'secret.cfg'), 0o000);
  await rejects(join(dir, 'secret.cfg'), 'cfg', 'ERR_FILE_UNREADABLE', 'not readable');
});

test('binaryProblem: a whole ELF file passes; a truncated one, a short one and text are named', (t) => {
  if (process.platform !== 'linux') return t.skip('ELF files are checked on Linux only');
  assert.equal(binaryProblem(process.execPath), undefined, 'node itself');
  const elf = readFileSync(process.execPath).subarray(0, 1 << 20);
  const truncated = join(dir, 'truncated.node');
  writeFileSync(truncated, elf.subarray(0, 4096));
  assert.match(binaryProblem(truncated), /truncated\.node is truncated: 4096 bytes, its ELF headers need \d+/);
  writeFileSync(join(dir, 'header.node'), elf.subarray(0, 40));
  assert.match(binaryProblem(join(dir, 'header.node')), /is truncated \(40 bytes\)/);
  writeFileSync(join(dir, 'tiny.node'), 'ab');
  assert.match(binaryProblem(join(dir, 'tiny.node')), /has 2 bytes: not a native binary/);
  writeFileSync(join(dir, 'text.node'), 'this is not a binary at all');
  assert.match(binaryProblem(join(dir, 'text.node')), /is not an ELF shared object/);
});
