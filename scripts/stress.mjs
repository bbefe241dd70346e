#!/usr/bin/env node
// The long stress run: `npm run stress -- --seconds 600 [--seed N]` runs
// test/long/stress.test.mjs for that long (npm run test:long runs it for 60 s).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const arg = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const result = spawnSync(process.execPath, ['--test', join(root, 'test', 'long', 'stress.test.mjs')], {
  stdio: 'inherit',
  env: { ...process.env, DARKNET_NAPI_STRESS_SECONDS: arg('--seconds', '600'), DARKNET_NAPI_STRESS_SEED: arg('--seed', String(Date.now() % 1e9)) },
});
process.exit(result.status ?? 1);
