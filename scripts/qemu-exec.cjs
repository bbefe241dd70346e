// Preloaded (NODE_OPTIONS=--require) into the emulated arm64 node by
// scripts/test-arm64.sh. Without binfmt_misc (it needs privileges, and its
// registration is kernel-wide) the kernel cannot exec an aarch64 ELF, so the
// tests' children (process.execPath, darknet's reference tools) are started
// through qemu instead. NODE_OPTIONS is inherited: grandchildren get it too.
'use strict';
const childProcess = require('node:child_process');
const { closeSync, openSync, readSync } = require('node:fs');
const { syncBuiltinESMExports } = require('node:module');
const { resolve } = require('node:path');

const qemu = process.env.DARKNET_NAPI_QEMU;
if (!qemu) throw new Error('scripts/qemu-exec.cjs: DARKNET_NAPI_QEMU (the qemu-aarch64 binary) is not set');

/** Whether `file` (resolved against the child's cwd) is an aarch64 ELF: e_machine 183 (EM_AARCH64). */
function isAarch64(file, cwd) {
  if (typeof file !== 'string' || !file.includes('/')) return false;
  const header = Buffer.alloc(20);
  let fd;
  try {
    fd = openSync(resolve(cwd ?? process.cwd(), file), 'r');
    if (readSync(fd, header, 0, 20, 0) < 20) return false;
  } catch {
    return false; // let spawn report the missing file itself
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return header.readUInt32BE(0) === 0x7f454c46 && header.readUInt16LE(18) === 183;
}

// spawn, execFile, exec and fork all go through ChildProcess#spawn.
const { ChildProcess } = childProcess;
const spawnChild = ChildProcess.prototype.spawn;
ChildProcess.prototype.spawn = function spawn(options) {
  if (options && isAarch64(options.file, options.cwd)) {
    // args[0] is argv0; qemu's -0 keeps it.
    const [argv0, ...rest] = options.args;
    options = { ...options, file: qemu, args: [qemu, '-0', argv0, options.file, ...rest] };
  }
  return spawnChild.call(this, options);
};

// spawnSync and execFileSync call the module's own spawnSync, not the export:
// both are wrapped at their entry.
for (const name of ['spawnSync', 'execFileSync']) {
  const original = childProcess[name];
  childProcess[name] = function wrapped(file, args, options) {
    if (args !== undefined && args !== null && !Array.isArray(args)) {
      options = args;
      args = [];
    }
    if (isAarch64(file, options?.cwd)) return original.call(this, qemu, [file, ...(args ?? [])], options);
    return original.call(this, file, args, options);
  };
}
// ESM `import { spawnSync } from 'node:child_process'` sees the wrappers too.
syncBuiltinESMExports();
