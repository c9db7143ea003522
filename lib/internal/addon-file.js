'use strict';
// Checks a native addon file before it is loaded (lib/internal/native.js).
// dlopen() maps the file into memory; when an install was interrupted and the
// `.node` file is cut short, the loader's first touch of a page past the end
// of the file raises SIGBUS and the process dies, before any JavaScript can
// catch anything. So the headers are read first: an ELF file (Linux) must
// hold its program headers, every segment's file bytes and its section
// headers; a Mach-O file (macOS) every segment's file bytes, and a universal
// one every architecture's slice. A file that fails is reported as damaged
// instead of loaded; a file that is no ELF or Mach-O at all is left to the
// loader, whose own error (for instance "invalid ELF header") is safe.
//
// Must never: load or execute the file, or refuse a file the loader would map
// safely (only byte ranges past the end of the file are refused).

const fs = require('node:fs');

const HEAD_BYTES = 4096;

/** Reads `length` bytes at `position` (fewer at the end of the file). */
function readAt(fd, position, length) {
  const buf = Buffer.alloc(length);
  const n = fs.readSync(fd, buf, 0, length, position);
  return buf.subarray(0, n);
}

function reader(buf, littleEndian) {
  return {
    u16: (at) => (littleEndian ? buf.readUInt16LE(at) : buf.readUInt16BE(at)),
    u32: (at) => (littleEndian ? buf.readUInt32LE(at) : buf.readUInt32BE(at)),
    u64: (at) => Number(littleEndian ? buf.readBigUInt64LE(at) : buf.readBigUInt64BE(at)),
  };
}

/** Why an ELF file cannot be mapped safely, or null. */
function elfProblem(fd, size, head) {
  const is64 = head[4] === 2;
  const headerSize = is64 ? 64 : 52;
  if (head.length < headerSize) return 'its ELF header is cut short';
  const r = reader(head, head[5] !== 2);
  const phoff = is64 ? r.u64(0x20) : r.u32(0x1c);
  const shoff = is64 ? r.u64(0x28) : r.u32(0x20);
  const phentsize = r.u16(is64 ? 0x36 : 0x2a);
  const phnum = r.u16(is64 ? 0x38 : 0x2c);
  const shentsize = r.u16(is64 ? 0x3a : 0x2e);
  const shnum = r.u16(is64 ? 0x3c : 0x30);
  const phEnd = phoff + phnum * phentsize;
  if (phEnd > size) return `its program headers end at byte ${phEnd}`;
  if (shoff !== 0 && shoff + shnum * shentsize > size) return `its section headers end at byte ${shoff + shnum * shentsize}`;
  const ph = readAt(fd, phoff, phnum * phentsize);
  const p = reader(ph, head[5] !== 2);
  for (let i = 0; i < phnum; i++) {
    const at = i * phentsize;
    const offset = is64 ? p.u64(at + 8) : p.u32(at + 4);
    const filesz = is64 ? p.u64(at + 32) : p.u32(at + 16);
    if (filesz > 0 && offset + filesz > size) return `segment ${i} ends at byte ${offset + filesz}`;
  }
  return null;
}

const LC_SEGMENT = 0x1;
const LC_SEGMENT_64 = 0x19;

/** Why a thin Mach-O image at `base` cannot be mapped safely, or null. */
function machoProblem(fd, base, size) {
  const head = readAt(fd, base, 32);
  if (head.length < 28) return 'its Mach-O header is cut short';
  const magic = head.readUInt32LE(0);
  const is64 = magic === 0xfeedfacf;
  const headerSize = is64 ? 32 : 28;
  const ncmds = head.readUInt32LE(16);
  const sizeofcmds = head.readUInt32LE(20);
  if (base + headerSize + sizeofcmds > size) return `its load commands end at byte ${base + headerSize + sizeofcmds}`;
  const cmds = readAt(fd, base + headerSize, sizeofcmds);
  for (let i = 0, at = 0; i < ncmds && at + 8 <= cmds.length; i++) {
    const cmd = cmds.readUInt32LE(at);
    const cmdsize = cmds.readUInt32LE(at + 4);
    if (cmdsize < 8) return 'a load command is malformed';
    if (cmd === LC_SEGMENT_64 && at + 56 <= cmds.length) {
      const end = base + Number(cmds.readBigUInt64LE(at + 40)) + Number(cmds.readBigUInt64LE(at + 48));
      if (end > size) return `a segment ends at byte ${end}`;
    } else if (cmd === LC_SEGMENT && at + 40 <= cmds.length) {
      const end = base + cmds.readUInt32LE(at + 32) + cmds.readUInt32LE(at + 36);
      if (end > size) return `a segment ends at byte ${end}`;
    }
    at += cmdsize;
  }
  return null;
}

/** Why a universal (fat) Mach-O file cannot be mapped safely, or null. */
function fatProblem(fd, size, head) {
  const nfat = head.readUInt32BE(4);
  const table = readAt(fd, 8, nfat * 20);
  if (table.length < nfat * 20) return 'its architecture table is cut short';
  for (let i = 0; i < nfat; i++) {
    const offset = table.readUInt32BE(i * 20 + 8);
    const sliceSize = table.readUInt32BE(i * 20 + 12);
    if (offset + sliceSize > size) return `architecture ${i} ends at byte ${offset + sliceSize}`;
    const problem = machoProblem(fd, offset, size);
    if (problem !== null) return `architecture ${i}: ${problem}`;
  }
  return null;
}

/**
 * Why `file` would crash the process if loaded (a message), or null when its
 * headers are whole or it is not a format checked here. A missing file is
 * null: the loader reports it.
 */
function addonFileProblem(file) {
  let fd;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const size = fs.fstatSync(fd).size;
    const head = readAt(fd, 0, HEAD_BYTES);
    let problem = null;
    if (head.length >= 4 && head.readUInt32BE(0) === 0x7f454c46) problem = elfProblem(fd, size, head);
    else if (head.length >= 4 && [0xfeedfacf, 0xfeedface].includes(head.readUInt32LE(0))) problem = machoProblem(fd, 0, size);
    else if (head.length >= 8 && head.readUInt32BE(0) === 0xcafebabe && head.readUInt32BE(4) < 64) problem = fatProblem(fd, size, head);
    return problem === null ? null : `${problem}, but the file has ${size} bytes`;
  } catch (err) {
    return `its headers cannot be read (${err.message})`;
  } finally {
    fs.closeSync(fd);
  }
}

module.exports = { addonFileProblem };
