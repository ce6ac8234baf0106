// Guest-physical memory: RAM, a firmware ROM mapped as QEMU's -bios maps it,
// and per-page bookkeeping (pages that hold decoded code, pages written).

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 4096;

export class PhysicalMemory {
  readonly ram: Uint8Array;
  readonly ram16: Uint16Array;
  readonly ram32: Int32Array;
  readonly size: number;
  readonly pages: number;
  /** 1 where a page of RAM is read-only (the low-memory ROM window). */
  readonly readOnly: Uint8Array;
  /**
   * Pages something may have written since the RAM was allocated; the others
   * are still zero, which the state hash uses so as not to read them (the
   * first read of fresh memory costs a page fault per page: about 120 ms for
   * 32 MiB on this project's VMs).
   */
  readonly touched: Uint8Array;
  /** The ROM image aliased at the top of the 4 GiB space, if any. */
  private rom: Uint8Array | null = null;
  private romBase = 0;
  /** Start of the ROM's low alias below 1 MiB (1 MiB when no ROM is mapped). */
  romLowBase = 0x100000;
  /** Writes to read-only pages go here when set (shadow RAM written while reads still come from the ROM). */
  readOnlyWrite: ((addr: number, v: number) => void) | null = null;

  constructor(size: number) {
    if (size % PAGE_SIZE !== 0) throw new RangeError(`RAM size ${size} is not a multiple of 4 KiB`);
    this.size = size;
    this.pages = size >>> PAGE_SHIFT;
    const buf = new ArrayBuffer(size);
    this.ram = new Uint8Array(buf);
    this.ram16 = new Uint16Array(buf);
    this.ram32 = new Int32Array(buf);
    this.readOnly = new Uint8Array(this.pages);
    this.touched = new Uint8Array(this.pages);
  }

  /** Note a write to [addr, addr+len) that did not go through the CPU (which notes its own, Cpu.notePhysWrite). */
  markTouched(addr: number, len: number): void {
    if (len <= 0) return;
    const last = Math.min(this.pages - 1, (addr + len - 1) >>> PAGE_SHIFT);
    for (let p = addr >>> PAGE_SHIFT; p <= last; p++) this.touched[p] = 1;
  }

  /** Map a BIOS image: the whole image at the top of 4 GiB, its last 128 KiB
   * (or all of it, if smaller) ending at 1 MiB, read-only. */
  mapRom(rom: Uint8Array): void {
    this.rom = rom;
    this.romBase = 0x1_0000_0000 - rom.length;
    const low = Math.min(rom.length, 0x20000);
    const lowBase = 0x100000 - low;
    this.romLowBase = lowBase;
    this.ram.set(rom.subarray(rom.length - low), lowBase);
    this.markTouched(lowBase, low);
    for (let p = lowBase >>> PAGE_SHIFT; p < 0x100; p++) this.readOnly[p] = 1;
  }

  /** The ROM's bytes that its low alias shows at [addr, addr+len) below 1 MiB. */
  romLowBytes(addr: number, len: number): Uint8Array {
    if (!this.rom) throw new Error('no ROM mapped');
    const off = this.rom.length - (0x100000 - addr);
    return this.rom.subarray(off, off + len);
  }

  /** True when [addr, addr+4096) is RAM that the fast path may read. */
  isRamPage(page: number): boolean {
    return page < this.pages;
  }

  read8(addr: number): number {
    addr >>>= 0;
    if (addr < this.size) return this.ram[addr];
    if (this.rom && addr >= this.romBase) return this.rom[addr - this.romBase];
    return 0xff;
  }

  write8(addr: number, v: number): void {
    addr >>>= 0;
    if (addr < this.size && !this.readOnly[addr >>> PAGE_SHIFT]) {
      this.ram[addr] = v;
      this.touched[addr >>> PAGE_SHIFT] = 1;
    } else if (this.readOnlyWrite && addr < this.size) {
      this.readOnlyWrite(addr, v & 0xff);
    }
  }

  read32(addr: number): number {
    addr >>>= 0;
    if ((addr & 3) === 0 && addr < this.size) return this.ram32[addr >>> 2];
    return (this.read8(addr) | (this.read8(addr + 1) << 8) | (this.read8(addr + 2) << 16) | (this.read8(addr + 3) << 24));
  }

  write32(addr: number, v: number): void {
    addr >>>= 0;
    if ((addr & 3) === 0 && addr < this.size && !this.readOnly[addr >>> PAGE_SHIFT]) {
      this.ram32[addr >>> 2] = v;
      this.touched[addr >>> PAGE_SHIFT] = 1;
      return;
    }
    for (let i = 0; i < 4; i++) this.write8(addr + i, v >>> (8 * i));
  }

  /** A copy of guest-physical bytes (for tools and tests). */
  readBytes(addr: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) out[i] = this.read8(addr + i);
    return out;
  }
}
