// Which CPU an ELF binary is built for. darknet's own answers differ between
// x86-64 and arm64 (gcc contracts its gemm into FMA on arm64, see the README),
// so the parity tests only compare with a reference built for the CPU under test.
import { closeSync, openSync, readSync } from 'node:fs';

/** ELF e_machine values, as process.arch names them. */
const machines = new Map([
  [62, 'x64'],
  [183, 'arm64'],
]);

/** 'x64', 'arm64', another e_machine as `machine N`, or null for a file that is not ELF (Mach-O on macOS). */
export function elfArch(path) {
  const header = Buffer.alloc(20);
  const fd = openSync(path, 'r');
  try {
    if (readSync(fd, header, 0, 20, 0) < 20 || header.readUInt32BE(0) !== 0x7f454c46) return null;
  } finally {
    closeSync(fd);
  }
  const machine = header.readUInt16LE(18);
  return machines.get(machine) ?? `machine ${machine}`;
}
