// lib/bulk/image-files.ts: how the CLI expands its image arguments (files, folders,
// globs), on a temporary tree. No addon, no weights.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { expandImageArguments, IMAGE_EXTENSIONS } from '../../dist/bulk/image-files.js';
import { tempDir } from '../support/paths.mjs';

const dir = tempDir('darknet-napi-globs-');
const cwd = process.cwd();
before(() => {
  for (const file of ['b.jpg', 'a.JPG', 'c.png', 'notes.txt', 'x1.bmp', 'x2.bmp', 'x10.bmp', 'sub/d.jpg', 'sub/e.txt', 'sub/deeper/f.tga', 'sub/deeper/g.jpeg']) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), '');
  }
  mkdirSync(join(dir, 'empty'));
  symlinkSync(join(dir, 'c.png'), join(dir, 'link.png'));
  process.chdir(dir); // relative globs resolve against the working directory
});
after(() => {
  process.chdir(cwd);
  rmSync(dir, { recursive: true, force: true });
});

test('files stay as given, in order, missing ones too (their error comes with their result)', async () => {
  assert.deepEqual(await expandImageArguments(['notes.txt', 'b.jpg', 'missing.jpg']), ['notes.txt', 'b.jpg', 'missing.jpg']);
});

test('a folder gives its images, sorted, by extension in any case; subfolders only with recursive', async () => {
  assert.deepEqual(await expandImageArguments([dir]), ['a.JPG', 'b.jpg', 'c.png', 'link.png', 'x1.bmp', 'x10.bmp', 'x2.bmp'].map((f) => join(dir, f)));
  assert.deepEqual(await expandImageArguments(['sub'], { recursive: true }), ['sub/d.jpg', 'sub/deeper/f.tga', 'sub/deeper/g.jpeg']);
  assert.deepEqual(await expandImageArguments(['sub']), ['sub/d.jpg']);
  assert.deepEqual(await expandImageArguments(['empty']), []);
});

test('globs: *, ?, [...], [!...] within a folder, ** across folders', async () => {
  assert.deepEqual(await expandImageArguments(['*.jpg']), ['b.jpg']);
  assert.deepEqual(await expandImageArguments(['x?.bmp']), ['x1.bmp', 'x2.bmp']);
  assert.deepEqual(await expandImageArguments(['x[12].bmp']), ['x1.bmp', 'x2.bmp']);
  assert.deepEqual(await expandImageArguments(['x[!1]*.bmp']), ['x2.bmp']);
  assert.deepEqual(await expandImageArguments(['sub/*']), ['sub/d.jpg', 'sub/e.txt'], 'a glob matches every file, not only images');
  assert.deepEqual(await expandImageArguments(['**/*.jpg']), ['b.jpg', 'sub/d.jpg']);
  assert.deepEqual(await expandImageArguments(['sub/**/*.t*']), ['sub/deeper/f.tga', 'sub/e.txt']);
  assert.deepEqual(await expandImageArguments(['sub/**']), ['sub/d.jpg', 'sub/deeper/f.tga', 'sub/deeper/g.jpeg', 'sub/e.txt']);
  assert.deepEqual(await expandImageArguments(['*.gif']), [], 'no match: nothing');
});

test('a glob under an absolute folder gives absolute paths; regex characters in names are literal', async () => {
  assert.deepEqual(await expandImageArguments([`${dir}/sub/deeper/*.jpeg`]), [join(dir, 'sub/deeper/g.jpeg')]);
  writeFileSync(join(dir, 'a+b (1).png'), '');
  try {
    assert.deepEqual(await expandImageArguments(['a+b (1).*']), ['a+b (1).png']);
    assert.deepEqual(await expandImageArguments(['a+b*']), ['a+b (1).png']);
  } finally {
    rmSync(join(dir, 'a+b (1).png'));
  }
});

test('arguments expand one after another, each expansion sorted', async () => {
  assert.deepEqual(await expandImageArguments(['x2.bmp', '*.png', 'sub']), ['x2.bmp', 'c.png', 'link.png', 'sub/d.jpg']);
});

test("the extensions are stb_image's formats", () => {
  assert.deepEqual([...IMAGE_EXTENSIONS].sort(), ['.bmp', '.gif', '.hdr', '.jpeg', '.jpg', '.pgm', '.pic', '.png', '.pnm', '.ppm', '.psd', '.tga']);
});
