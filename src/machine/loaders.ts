// Image loaders: turn the bytes of a Multiboot kernel or a raw BIOS ROM into a
// LoadPlan, placing everything where `qemu-system-i386 -kernel` / `-bios` put
// it (QEMU 7.2 with SeaBIOS, observed with a guest that dumps its entry state).
// They never touch a Machine; Machine.load applies the plan.

/** A bad image: the message is one line, fit for `vmrr: <message>`. */
export class ImageError extends Error {
  override name = 'ImageError';
}

export interface LoadSegment {
  addr: number;
  data: Uint8Array;
}

export interface ZeroRange {
  addr: number;
  len: number;
}

/** Descriptor-table register contents. */
export interface TableReg {
  base: number;
  limit: number;
}

/** Flat 32-bit protected mode as QEMU's multiboot option ROM leaves it. */
export interface Flat32Entry {
  mode: 'flat32';
  eip: number;
  eax: number;
  ebx: number;
  esp: number;
  eflags: number;
  cr0: number;
  /** CS selector: base 0, limit 4 GiB, 32-bit execute/read code, DPL 0. */
  cs: number;
  /** DS, ES, FS, GS and SS selector: base 0, limit 4 GiB, read/write data. */
  ds: number;
  /** ESI (the Linux boot protocol's zero page); 0 when absent. */
  esi?: number;
  gdtr: TableReg;
  /** Still the real-mode IVT, as QEMU leaves it. */
  idtr: TableReg;
}

/** The CPU's power-on state: real mode, CS=F000 with base FFFF0000, EIP=FFF0. */
export interface ResetEntry {
  mode: 'reset';
  cs: 0xf000;
  eip: 0xfff0;
}

export type EntryState = Flat32Entry | ResetEntry;

/**
 * What to put in guest memory and how to start the CPU. Machine.load clears
 * the `zero` ranges, then writes `segments` in order (a later one wins where
 * they overlap, as QEMU's own write order does), maps `rom` as -bios does
 * (the whole image ending at 4 GiB, its last 128 KiB or all of a 64 KiB image
 * ending at 1 MiB, read-only), then sets the entry state.
 */
export interface LoadPlan {
  kind: 'multiboot' | 'bios' | 'linux';
  segments: LoadSegment[];
  zero?: ZeroRange[];
  rom?: Uint8Array;
  entry: EntryState;
  /** Things the loader ignored that the user may want to know about. */
  warnings: string[];
}

export type ImageKind = 'empty' | 'multiboot' | 'linux' | 'elf' | 'unknown';

export interface Detected {
  kind: ImageKind;
  /** File offset of the Multiboot header, for kind 'multiboot'. */
  headerOffset?: number;
}

const MB_MAGIC = 0x1badb002;
const MB_BOOT_MAGIC = 0x2badb002;
const MB_SEARCH = 8192;
const MB_FLAG_VIDEO = 1 << 2;
const MB_FLAG_AOUT = 1 << 16;

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB4 = 0x1_0000_0000;

/** Smallest RAM a Multiboot guest gets a sane memory map with. */
export const MIN_MULTIBOOT_RAM = 2 * MiB;

const le32 = (b: Uint8Array, o: number): number =>
  (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
const le16 = (b: Uint8Array, o: number): number => b[o] | (b[o + 1] << 8);
const hex = (n: number): string => '0x' + n.toString(16);
const align4k = (n: number): number => Math.ceil(n / 4096) * 4096;

/** Classify an image the way QEMU's -kernel does before loading it. */
export function detectImage(bytes: Uint8Array): Detected {
  if (bytes.length === 0) return { kind: 'empty' };
  // A Linux boot-protocol header wins over a Multiboot one, as in QEMU.
  if (bytes.length >= 0x206 && le32(bytes, 0x202) === 0x53726448) return { kind: 'linux' };
  // QEMU looks at offsets below 8192 - 48, so a whole a.out header fits in the first 8 KiB.
  for (let i = 0; i < MB_SEARCH - 48 && i + 12 <= bytes.length; i += 4) {
    if (le32(bytes, i) !== MB_MAGIC) continue;
    if (((MB_MAGIC + le32(bytes, i + 4) + le32(bytes, i + 8)) >>> 0) === 0) {
      return { kind: 'multiboot', headerOffset: i };
    }
  }
  if (bytes.length >= 4 && le32(bytes, 0) === 0x464c457f) return { kind: 'elf' };
  return { kind: 'unknown' };
}

/**
 * Load a Multiboot v1 kernel as `qemu-system-i386 -kernel` does. `cmdline` is
 * the whole string the guest sees; QEMU passes "<kernel path> <-append text>".
 */
export function loadMultiboot(bytes: Uint8Array, ramBytes: number, cmdline: string): LoadPlan {
  if (ramBytes < MIN_MULTIBOOT_RAM) throw new RangeError(`RAM of ${ramBytes} bytes is too small for a Multiboot guest`);
  const found = detectImage(bytes);
  switch (found.kind) {
    case 'empty':
      throw new ImageError('image is empty (0 bytes)');
    case 'linux':
      throw new ImageError('image is a Linux boot-protocol kernel (bzImage); load it with loadLinux (vmrr run does)');
    case 'elf':
    case 'unknown':
      throw new ImageError(
        `not a Multiboot image: no valid Multiboot header (magic 0x1BADB002 with checksum) in the first ${MB_SEARCH} bytes` +
          (bytes.length % (64 * KiB) === 0 ? ' (for a raw ROM image use --bios FILE)' : ''),
      );
  }
  const at = found.headerOffset!;
  const flags = le32(bytes, at + 4);
  const warnings: string[] = [];
  if (flags & MB_FLAG_VIDEO) warnings.push('the Multiboot video mode request is ignored (no display), as QEMU does');

  const kernel = flags & MB_FLAG_AOUT ? aoutKernel(bytes, at) : elfKernel(bytes);
  const { loadAddr, memSize, entry } = kernel;
  if (loadAddr + memSize > ramBytes) {
    throw new ImageError(`image loads at ${hex(loadAddr)}-${hex(loadAddr + memSize - 1)}, outside RAM (${ramBytes / MiB} MiB; try a larger --ram)`);
  }

  // QEMU puts the command line and the boot-loader name right after the kernel,
  // rounded up to a page; the info block at 0x9500 and the memory map at 0x9000.
  const enc = new TextEncoder();
  const strings = enc.encode(`${cmdline}\0qemu\0`);
  const stringsAddr = loadAddr + align4k(memSize);
  if (stringsAddr + strings.length > ramBytes) {
    throw new ImageError(`image (${hex(loadAddr)}-${hex(loadAddr + memSize - 1)}) leaves no room in RAM for the boot command line`);
  }
  const mmapAddr = 0x9000;
  const mbiAddr = 0x9500;
  const mmap = memoryMap(ramBytes);
  const mbi = infoBlock(ramBytes, stringsAddr, stringsAddr + strings.length - 5, mmapAddr, mmap.length);

  return {
    kind: 'multiboot',
    zero: kernel.zero,
    segments: [
      { addr: GDT_ADDR, data: optionRomGdt() },
      { addr: mmapAddr, data: mmap },
      ...kernel.segments,
      { addr: stringsAddr, data: strings },
      { addr: mbiAddr, data: mbi },
    ],
    entry: {
      mode: 'flat32',
      eip: entry,
      eax: MB_BOOT_MAGIC,
      ebx: mbiAddr,
      // ESP, EFLAGS and CR0 are what QEMU 7.2's option ROM happens to leave.
      esp: 0x6f08,
      eflags: 0x6,
      cr0: 0x11,
      cs: 0x08,
      ds: 0x10,
      gdtr: { base: GDT_ADDR, limit: 0x27 },
      idtr: { base: 0, limit: 0x3ff },
    },
    warnings,
  };
}

/** Load a raw ROM image as `qemu-system-i386 -bios` does. */
export function loadBios(bytes: Uint8Array): LoadPlan {
  if (bytes.length === 0) throw new ImageError('ROM image is empty (0 bytes)');
  if (bytes.length % (64 * KiB) !== 0) {
    throw new ImageError(`ROM image is ${bytes.length} bytes; a BIOS image must be a multiple of 64 KiB (64K, 128K, ...)`);
  }
  if (bytes.length > 16 * MiB) throw new ImageError(`ROM image is ${bytes.length / MiB} MiB; at most 16 MiB is supported`);
  return { kind: 'bios', segments: [], rom: bytes, entry: { mode: 'reset', cs: 0xf000, eip: 0xfff0 }, warnings: [] };
}

interface Kernel {
  loadAddr: number;
  /** Bytes from loadAddr to the end of the image in memory (including bss). */
  memSize: number;
  entry: number;
  segments: LoadSegment[];
  zero: ZeroRange[];
}

/** The a.out kludge: addresses from the Multiboot header, checked as QEMU does. */
function aoutKernel(bytes: Uint8Array, at: number): Kernel {
  if (at + 32 > bytes.length) throw new ImageError('image is truncated inside its Multiboot header');
  const headerAddr = le32(bytes, at + 12);
  const loadAddr = le32(bytes, at + 16);
  const loadEnd = le32(bytes, at + 20);
  const bssEnd = le32(bytes, at + 24);
  const entry = le32(bytes, at + 28);
  const bad = (what: string): never => {
    throw new ImageError(`bad Multiboot a.out addresses: ${what}`);
  };
  if (headerAddr < loadAddr) bad(`header_addr ${hex(headerAddr)} is below load_addr ${hex(loadAddr)}`);
  if (headerAddr - loadAddr > at) bad(`header_addr ${hex(headerAddr)} would put the file start before load_addr ${hex(loadAddr)}`);
  const textOffset = at - (headerAddr - loadAddr);
  let loadSize: number;
  if (loadEnd !== 0) {
    if (loadEnd < loadAddr) bad(`load_end_addr ${hex(loadEnd)} is below load_addr ${hex(loadAddr)}`);
    loadSize = loadEnd - loadAddr;
    if (textOffset + loadSize > bytes.length) {
      throw new ImageError(`image is truncated: load_end_addr ${hex(loadEnd)} needs ${textOffset + loadSize} bytes, the file has ${bytes.length}`);
    }
  } else {
    loadSize = bytes.length - textOffset;
  }
  if (loadAddr + loadSize > GiB4) bad('the image does not fit below 4 GiB');
  let memSize = loadSize;
  if (bssEnd !== 0) {
    if (bssEnd < loadAddr + loadSize) bad(`bss_end_addr ${hex(bssEnd)} is below the end of the loaded image ${hex(loadAddr + loadSize)}`);
    memSize = bssEnd - loadAddr;
  }
  return {
    loadAddr,
    memSize,
    entry,
    segments: [{ addr: loadAddr, data: bytes.subarray(textOffset, textOffset + loadSize) }],
    zero: memSize > loadSize ? [{ addr: loadAddr + loadSize, len: memSize - loadSize }] : [],
  };
}

const PT_LOAD = 1;
const PF_X = 1;

/** ELF32 by its PT_LOAD program headers at their physical addresses, as QEMU's load_elf. */
function elfKernel(bytes: Uint8Array): Kernel {
  const bad = (what: string): never => {
    throw new ImageError(`bad ELF image: ${what}`);
  };
  if (bytes.length < 52 || le32(bytes, 0) !== 0x464c457f) {
    bad('the Multiboot header asks for ELF loading (flag 16 clear) but the file is not ELF');
  }
  const machine = le16(bytes, 18);
  if (bytes[4] === 2 || machine === 62) bad('64-bit kernel; vmrr, like qemu-system-i386, needs a 32-bit one');
  if (bytes[4] !== 1) bad(`unknown ELF class ${bytes[4]}`);
  if (bytes[5] !== 1) bad('not little-endian');
  if (machine !== 3) bad(`machine type ${machine} is not i386 (3)`);
  const entryV = le32(bytes, 24);
  const phoff = le32(bytes, 28);
  const phentsize = le16(bytes, 42);
  const phnum = le16(bytes, 44);
  if (phnum === 0) bad('no program headers');
  if (phentsize !== 32) bad(`program header size ${phentsize}, expected 32`);
  if (phoff + phnum * 32 > bytes.length) bad(`program headers at offset ${phoff} run past the end of the ${bytes.length}-byte file`);

  const segments: LoadSegment[] = [];
  const zero: ZeroRange[] = [];
  let low = Infinity;
  let high = 0;
  let entry = entryV;
  const spans: { index: number; start: number; end: number }[] = [];
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * 32;
    if (le32(bytes, ph) !== PT_LOAD) continue;
    const offset = le32(bytes, ph + 4);
    const vaddr = le32(bytes, ph + 8);
    const paddr = le32(bytes, ph + 12);
    const filesz = le32(bytes, ph + 16);
    const memsz = le32(bytes, ph + 20);
    const pflags = le32(bytes, ph + 24);
    if (filesz > memsz) bad(`segment ${i} has file size ${filesz} > memory size ${memsz}`);
    if (offset + filesz > bytes.length) {
      bad(`segment ${i} (offset ${offset}, ${filesz} bytes) runs past the end of the ${bytes.length}-byte file (truncated?)`);
    }
    if (memsz === 0) continue;
    if (paddr + memsz > GiB4) bad(`segment ${i} (${hex(paddr)}, ${memsz} bytes) runs past 4 GiB`);
    for (const s of spans) {
      if (paddr < s.end && s.start < paddr + memsz) bad(`segments ${s.index} and ${i} overlap at ${hex(Math.max(paddr, s.start))}`);
    }
    spans.push({ index: i, start: paddr, end: paddr + memsz });
    if (filesz > 0) segments.push({ addr: paddr, data: bytes.subarray(offset, offset + filesz) });
    if (memsz > filesz) zero.push({ addr: paddr + filesz, len: memsz - filesz });
    low = Math.min(low, paddr);
    high = Math.max(high, paddr + memsz);
    // e_entry is virtual; QEMU moves it to physical when it lies in an executable segment.
    if (vaddr !== paddr && (pflags & PF_X) !== 0 && entryV >= vaddr && entryV < vaddr + filesz) {
      entry = (entryV - vaddr + paddr) >>> 0;
    }
  }
  if (segments.length === 0 && zero.length === 0) bad('no loadable (PT_LOAD) segments');
  return { loadAddr: low, memSize: high - low, entry, segments, zero };
}

/** The e820 map SeaBIOS gives under QEMU: [base, length, type] (1 usable, 2 reserved). */
export function e820Entries(ramBytes: number): [number, number, number][] {
  return [
    [0, 0x9fc00, 1],
    [0x9fc00, 0x400, 2],
    [0xf0000, 0x10000, 2],
    [0x100000, ramBytes - 0x100000 - HIGH_RESERVED, 1],
    [ramBytes - HIGH_RESERVED, HIGH_RESERVED, 2],
    [0xfffc0000, 0x40000, 2],
  ];
}

/** The e820 map as the multiboot option ROM copies it: 24-byte entries. */
function memoryMap(ramBytes: number): Uint8Array {
  const entries = e820Entries(ramBytes);
  const out = new Uint8Array(entries.length * 24);
  const v = new DataView(out.buffer);
  entries.forEach(([base, len, type], i) => {
    v.setUint32(i * 24, 20, true);
    v.setUint32(i * 24 + 4, base, true);
    v.setUint32(i * 24 + 12, len, true);
    v.setUint32(i * 24 + 20, type, true);
  });
  return out;
}

/** SeaBIOS keeps the top 128 KiB of RAM for its own tables. */
const HIGH_RESERVED = 0x20000;

/** The 88-byte Multiboot information block, filled as QEMU 7.2 fills it. */
function infoBlock(ramBytes: number, cmdlineAddr: number, loaderNameAddr: number, mmapAddr: number, mmapLen: number): Uint8Array {
  const out = new Uint8Array(88);
  const v = new DataView(out.buffer);
  // memory, boot device, cmdline, modules (none), memory map, boot-loader name
  v.setUint32(0, 0x24f, true);
  v.setUint32(4, 639, true);
  v.setUint32(8, (ramBytes - HIGH_RESERVED - 0x100000) / KiB, true);
  v.setUint32(12, 0x8000ffff, true);
  v.setUint32(16, cmdlineAddr, true);
  v.setUint32(20, 0, true);
  v.setUint32(24, cmdlineAddr, true);
  v.setUint32(44, mmapLen, true);
  v.setUint32(48, mmapAddr, true);
  v.setUint32(64, loaderNameAddr, true);
  return out;
}

/** Where QEMU 7.2's multiboot option ROM keeps the GDT that GDTR points at on entry. */
const GDT_ADDR = 0xcb2b8;

/** null; 0x08 flat 32-bit code; 0x10 flat data; 0x18 16-bit code; 0x20 16-bit data. */
function optionRomGdt(): Uint8Array {
  return Uint8Array.from([
    0, 0, 0, 0, 0, 0, 0, 0,
    0xff, 0xff, 0, 0, 0, 0x9a, 0xcf, 0,
    0xff, 0xff, 0, 0, 0, 0x92, 0xcf, 0,
    0xff, 0xff, 0, 0, 0, 0x9e, 0, 0,
    0xff, 0xff, 0, 0, 0, 0x92, 0, 0,
  ]);
}
