// Which CPU an ELF or PE (Windows .exe) binary is built for. darknet's own
// answers differ between x86-64 and arm64 (gcc contracts its gemm into FMA on
// arm64, see the README), so the parity tests only compare with a reference
// built for the CPU under test.
import { closeSync, openSync, readSync } from 'node:fs';

/** ELF e_machine values, as process.arch names them. */
const machines = new Map([
  [62, 'x64'],
  [183, 'arm64'],
]);

/** PE/COFF Machine values (IMAGE_FILE_MACHINE_*), as process.arch names them. */
const peMachines = new Map([
  [0x8664, 'x64'],
  [0xaa64, 'arm64'],
]);

/** `length` bytes at `position`, or null where the file ends before. */
function read(fd, length, position) {
  const buffer = Buffer.alloc(length);
  return readSync(fd, buffer, 0, length, position) === length ? buffer : null;
}

/** A PE file's COFF Machine, or null: "MZ", e_lfanew at 0x3c, then "PE\0\0" and the Machine. */
function peMachine(fd, dos) {
  if (dos.readUInt16LE(0) !== 0x5a4d) return null;
  const header = read(fd, 6, dos.readUInt32LE(0x3c));
  if (header === null || header.readUInt32LE(0) !== 0x4550) return null;
  return header.readUInt16LE(4);
}

/**
 * 'x64', 'arm64', another machine as `machine N` (ELF) or `PE machine 0xN`,
 * or null for a file that is neither ELF nor PE (Mach-O on macOS).
 */
export function binaryArch(path) {
  const fd = openSync(path, 'r');
  try {
    const elf = read(fd, 20, 0);
    if (elf === null) return null;
    if (elf.readUInt32BE(0) === 0x7f454c46) {
      const machine = elf.readUInt16LE(18);
      return machines.get(machine) ?? `machine ${machine}`;
    }
    const dos = read(fd, 64, 0);
    const machine = dos === null ? null : peMachine(fd, dos);
    if (machine === null) return null;
    return peMachines.get(machine) ?? `PE machine 0x${machine.toString(16)}`;
  } finally {
    closeSync(fd);
  }
}
