import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * A cheap structural check of a native binary before dlopen: a truncated ELF
 * file makes the dynamic loader map pages past its end, and the process dies
 * with SIGBUS instead of getting an error. Returns what is wrong, or
 * undefined. Checks ELF (Linux) files only; others pass.
 */
export function binaryProblem(path: string): string | undefined {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const header = Buffer.alloc(64);
    const read = readSync(fd, header, 0, 64, 0);
    if (read < 4) return `${path} has ${size} bytes: not a native binary`;
    if (header.readUInt32BE(0) !== 0x7f454c46) {
      return process.platform === 'linux' ? `${path} is not an ELF shared object` : undefined;
    }
    if (read < 64) return `${path} is truncated (${size} bytes)`;
    const is64 = header[4] === 2;
    const le = header[5] === 1;
    const u16 = (at: number): number => (le ? header.readUInt16LE(at) : header.readUInt16BE(at));
    const u32 = (at: number): number => (le ? header.readUInt32LE(at) : header.readUInt32BE(at));
    const u64 = (at: number): number => Number(le ? header.readBigUInt64LE(at) : header.readBigUInt64BE(at));
    const phoff = is64 ? u64(0x20) : u32(0x1c);
    const shoff = is64 ? u64(0x28) : u32(0x20);
    const phentsize = u16(is64 ? 0x36 : 0x2a);
    const phnum = u16(is64 ? 0x38 : 0x2c);
    const shentsize = u16(is64 ? 0x3a : 0x2e);
    const shnum = u16(is64 ? 0x3c : 0x30);
    let needed = Math.max(phoff + phentsize * phnum, shoff + shentsize * shnum);
    if (phoff + phentsize * phnum <= size) {
      const table = Buffer.alloc(phentsize * phnum);
      readSync(fd, table, 0, table.length, phoff);
      for (let i = 0; i < phnum; ++i) {
        const entry = table.subarray(i * phentsize);
        const offset = is64 ? Number(le ? entry.readBigUInt64LE(8) : entry.readBigUInt64BE(8)) : le ? entry.readUInt32LE(4) : entry.readUInt32BE(4);
        const filesz = is64 ? Number(le ? entry.readBigUInt64LE(32) : entry.readBigUInt64BE(32)) : le ? entry.readUInt32LE(16) : entry.readUInt32BE(16);
        needed = Math.max(needed, offset + filesz);
      }
    }
    return size < needed ? `${path} is truncated: ${size} bytes, its ELF headers need ${needed}` : undefined;
  } finally {
    closeSync(fd);
  }
}
