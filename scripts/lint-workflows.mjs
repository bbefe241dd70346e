#!/usr/bin/env node
// Validates .github/workflows/*.yml with action-validator (the
// @action-validator/cli npm package): YAML syntax, and the workflow against
// SchemaStore's GitHub Actions workflow schema (keys, types, required fields).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
const cli = join(dirname(require.resolve('@action-validator/cli/package.json')), 'cli.mjs');
const dir = process.argv[2] ?? join(root, '.github', 'workflows');
let failed = 0;
for (const name of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))) {
  const result = spawnSync(process.execPath, [cli, join(dir, name)], { encoding: 'utf8' });
  if (result.status !== 0) {
    ++failed;
    console.error(`${name} is not a valid workflow:\n${result.stdout}${result.stderr}`);
  } else {
    console.log(`${name}: valid`);
  }
}
process.exit(failed ? 1 : 0);
