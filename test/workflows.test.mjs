// The GitHub workflows are valid (schema-checked by action-validator), pin
// every action by commit SHA, and give each job explicit least permissions.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { root, tempDir } from './support/paths.mjs';

const workflows = join(root, '.github', 'workflows');
const lint = (dir) => spawnSync(process.execPath, [join(root, 'scripts', 'lint-workflows.mjs'), dir], { encoding: 'utf8' });
const dir = tempDir();
after(() => rmSync(dir, { recursive: true, force: true }));

test('ci.yml and release.yml pass the workflow validator', () => {
  assert.deepEqual(readdirSync(workflows).sort(), ['ci.yml', 'release.yml']);
  const result = lint(workflows);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /ci\.yml: valid/);
  assert.match(result.stdout, /release\.yml: valid/);
});

test('the validator rejects a broken workflow (so the check above can fail)', () => {
  const broken = join(dir, 'broken');
  mkdirSync(broken);
  const text = readFileSync(join(workflows, 'ci.yml'), 'utf8').replace('runs-on:', 'runs_on:');
  writeFileSync(join(broken, 'ci.yml'), text);
  const result = lint(broken);
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /ci\.yml is not a valid workflow/);
});

test('every action is pinned by a full commit SHA and every job declares its permissions', () => {
  for (const name of ['ci.yml', 'release.yml']) {
    const text = readFileSync(join(workflows, name), 'utf8');
    const uses = [...text.matchAll(/uses:\s*(\S+)/g)].map((m) => m[1]);
    assert.ok(uses.length > 0);
    for (const action of uses) assert.match(action, /^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/, `${name}: ${action}`);
    const jobs = text.slice(text.indexOf('\njobs:\n')).split(/\n {2}(?=[\w-]+:\n)/).slice(1);
    for (const job of jobs) assert.match(job, /\n {4}permissions:\n/, `${name}: job ${job.split(':')[0]} has no permissions`);
  }
  const release = readFileSync(join(workflows, 'release.yml'), 'utf8');
  for (const target of ['linux-x64-glibc', 'linux-x64-musl', 'linux-arm64-glibc', 'darwin-x64', 'darwin-arm64']) {
    assert.ok(release.includes(`target: ${target}`), target);
  }
  assert.match(release, /npm publish .*--provenance/);
  assert.match(release, /id-token: write/);
});
