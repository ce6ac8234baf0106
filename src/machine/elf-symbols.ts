// Function and label names of an ELF32 image, from its symbol table, so
// reports can print `name+0xoff` beside an EIP. Images without a symbol
// table (stripped, a.out-kludge, ROMs) have none; a damaged table is
// treated as absent, never as an error: names are a convenience.

export interface SymbolTable {
  /** `name+0xoff` for the symbol at or below `addr`, or null when none covers it. */
  describe(addr: number): string | null;
  readonly size: number;
}

interface Sym {
  addr: number;
  size: number;
  name: string;
}

const SHT_SYMTAB = 2;
const STT_SECTION = 3;
const STT_FILE = 4;
const SHN_UNDEF = 0;
const SHN_ABS = 0xfff1;
/** A symbol without a size covers at most this far. */
const UNSIZED_REACH = 0x10000;

/** The symbols of an ELF32 little-endian image, or null when it has none (or is no ELF). */
export function readElfSymbols(bytes: Uint8Array): SymbolTable | null {
  if (bytes.length < 52 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) return null;
  if (bytes[4] !== 1 || bytes[5] !== 1) return null; // ELFCLASS32, little-endian
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shoff = v.getUint32(32, true);
  const shentsize = v.getUint16(46, true);
  const shnum = v.getUint16(48, true);
  if (shentsize < 40 || shoff + shnum * shentsize > bytes.length) return null;
  const section = (i: number) => {
    const o = shoff + i * shentsize;
    return { type: v.getUint32(o + 4, true), offset: v.getUint32(o + 16, true), size: v.getUint32(o + 20, true), link: v.getUint32(o + 24, true), entsize: v.getUint32(o + 36, true) };
  };
  const syms: Sym[] = [];
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    if (s.type !== SHT_SYMTAB || s.link >= shnum) continue;
    const str = section(s.link);
    if (s.offset + s.size > bytes.length || str.offset + str.size > bytes.length) return null;
    const ent = s.entsize || 16;
    for (let o = s.offset; o + 16 <= s.offset + s.size; o += ent) {
      const info = bytes[o + 12];
      const shndx = v.getUint16(o + 14, true);
      const type = info & 0xf;
      if (type === STT_SECTION || type === STT_FILE || shndx === SHN_UNDEF || shndx === SHN_ABS) continue;
      const name = cString(bytes, str.offset + v.getUint32(o, true), str.offset + str.size);
      // NASM's macro-local labels (..@12.x) say nothing to a reader.
      if (name === '' || name.startsWith('..@')) continue;
      syms.push({ addr: v.getUint32(o + 4, true), size: v.getUint32(o + 8, true), name });
    }
  }
  if (syms.length === 0) return null;
  syms.sort((a, b) => a.addr - b.addr || a.name.localeCompare(b.name));
  return {
    size: syms.length,
    describe(addr: number): string | null {
      const a = addr >>> 0;
      let lo = 0;
      let hi = syms.length - 1;
      if (a < syms[0].addr) return null;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (syms[mid].addr <= a) lo = mid; else hi = mid - 1;
      }
      const s = syms[lo];
      const off = a - s.addr;
      if (off >= (s.size || UNSIZED_REACH)) return null;
      return off === 0 ? s.name : `${s.name}+0x${off.toString(16)}`;
    },
  };
}

function cString(bytes: Uint8Array, from: number, limit: number): string {
  let end = from;
  while (end < limit && bytes[end] !== 0) end++;
  return Buffer.from(bytes.subarray(from, end)).toString('latin1');
}
