// Running things in child processes: a command (our CLI, darknet's), and a
// Node.js module whose crash, hang or exit must not take the test runner down.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { darknetDir, ourCli, root } from './paths.mjs';

if (!existsSync(ourCli)) throw new Error(`missing our CLI (npm run build): ${ourCli}`);

/** Runs a command with optional stdin; resolves { code, signal, stdout, stderr } whatever the exit status. */
export function runCommand(command, args, { cwd = darknetDir, input, env } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolvePromise({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    );
    child.stdin.end(input ?? '');
  });
}

/** `node dist/cli.js ...`, by default from darknet's source root (where ./darknet is run). */
export function runOurCli(args, options = {}) {
  return runCommand(process.execPath, [ourCli, ...args], options);
}

/**
 * Runs a module in a child Node.js process and returns the JSON of its last
 * stdout line. `script` is ES module source text, or a file URL (a test file
 * whose child branch does the work). Asserts that the child ended normally:
 * no signal (a crash, a deadlock killed by `timeout`) and exit status 0.
 */
export function runInChild(script, { env = {}, nodeArgs = [], timeout, cwd = root } = {}) {
  const args = script instanceof URL ? [...nodeArgs, fileURLToPath(script)] : [...nodeArgs, '--input-type=module', '-e', script];
  const child = spawnSync(process.execPath, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout,
    maxBuffer: 64 << 20,
  });
  assert.equal(child.signal, null, `the child process was killed by ${child.signal} (a crash, a deadlock or the timeout): ${child.stderr}`);
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout.trim().split('\n').at(-1));
}
