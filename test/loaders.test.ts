import { describe, expect, it } from 'vitest';
import { ImageError, detectImage, loadBios, loadMultiboot, type LoadPlan } from '../src/machine/loaders.js';

const MiB = 1024 * 1024;
const RAM = 32 * MiB;

/** A little-endian byte builder for synthetic images. */
function bytes(size: number): { buf: Uint8Array; u32: (o: number, v: number) => void; u16: (o: number, v: number) => void } {
  const buf = new Uint8Array(size);
  const dv = new DataView(buf.buffer);
  return { buf, u32: (o, v) => dv.setUint32(o, v >>> 0, true), u16: (o, v) => dv.setUint16(o, v, true) };
}

const MAGIC = 0x1badb002;

/** A flat binary with an a.out-kludge Multiboot header at `at`. */
function aout(opts: { size?: number; at?: number; header?: number; load?: number; loadEnd?: number; bssEnd?: number; entry?: number; flags?: number } = {}): Uint8Array {
  const at = opts.at ?? 0;
  const b = bytes(opts.size ?? 0x200);
  const flags = (opts.flags ?? 0) | 0x10000;
  const load = opts.load ?? 0x100000;
  b.u32(at, MAGIC);
  b.u32(at + 4, flags);
  b.u32(at + 8, -(MAGIC + flags));
  b.u32(at + 12, opts.header ?? load + at);
  b.u32(at + 16, load);
  b.u32(at + 20, opts.loadEnd ?? 0);
  b.u32(at + 24, opts.bssEnd ?? 0);
  b.u32(at + 28, opts.entry ?? load + 0x20);
  for (let i = at + 32; i < b.buf.length; i++) b.buf[i] = 0x90;
  return b.buf;
}

interface Phdr { offset: number; vaddr: number; paddr: number; filesz: number; memsz: number; flags: number; type?: number }

/** An ELF32 i386 executable: header, program headers at 52, a Multiboot header at 0x100. */
function elf(phdrs: Phdr[], opts: { size?: number; entry?: number; cls?: number; data?: number; machine?: number; phentsize?: number; phoff?: number } = {}): Uint8Array {
  const b = bytes(opts.size ?? 0x1000);
  b.buf.set([0x7f, 0x45, 0x4c, 0x46, opts.cls ?? 1, opts.data ?? 1, 1]);
  b.u16(16, 2);
  b.u16(18, opts.machine ?? 3);
  b.u32(20, 1);
  b.u32(24, opts.entry ?? 0x100100);
  b.u32(28, opts.phoff ?? 52);
  b.u16(40, 52);
  b.u16(42, opts.phentsize ?? 32);
  b.u16(44, phdrs.length);
  phdrs.forEach((p, i) => {
    const o = 52 + i * 32;
    if (o + 32 > b.buf.length) return;
    b.u32(o, p.type ?? 1);
    b.u32(o + 4, p.offset);
    b.u32(o + 8, p.vaddr);
    b.u32(o + 12, p.paddr);
    b.u32(o + 16, p.filesz);
    b.u32(o + 20, p.memsz);
    b.u32(o + 24, p.flags);
  });
  if (b.buf.length >= 0x10c) {
    b.u32(0x100, MAGIC);
    b.u32(0x104, 0);
    b.u32(0x108, -MAGIC);
  }
  for (let i = 0x10c; i < b.buf.length; i++) b.buf[i] = 0xf4;
  return b.buf;
}

const text: Phdr = { offset: 0x100, vaddr: 0x100000, paddr: 0x100000, filesz: 0x200, memsz: 0x200, flags: 5 };

function segmentAt(plan: LoadPlan, addr: number): Uint8Array {
  const s = plan.segments.find((x) => x.addr === addr);
  if (!s) throw new Error(`no segment at 0x${addr.toString(16)}`);
  return s.data;
}

const u32s = (d: Uint8Array): number[] => Array.from(new Uint32Array(d.slice().buffer));
const cstr = (plan: LoadPlan, addr: number): string => {
  for (const s of plan.segments) {
    if (addr >= s.addr && addr < s.addr + s.data.length) {
      const d = s.data.subarray(addr - s.addr);
      return new TextDecoder().decode(d.subarray(0, d.indexOf(0)));
    }
  }
  throw new Error('string not in any segment');
};

function expectImageError(f: () => unknown, pattern: RegExp): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ImageError);
  const msg = (err as Error).message;
  expect(msg).toMatch(pattern);
  expect(msg).not.toContain('\n');
}

describe('detectImage', () => {
  it('classifies empty, multiboot, linux, plain ELF and unknown bytes', () => {
    expect(detectImage(new Uint8Array(0)).kind).toBe('empty');
    expect(detectImage(aout({ at: 64 }))).toEqual({ kind: 'multiboot', headerOffset: 64 });
    const linux = aout({ size: 0x400 });
    linux.set([0x48, 0x64, 0x72, 0x53], 0x202);
    expect(detectImage(linux).kind).toBe('linux');
    const plainElf = elf([text]);
    plainElf.fill(0, 0x100, 0x10c);
    expect(detectImage(plainElf).kind).toBe('elf');
    expect(detectImage(new Uint8Array(100).fill(0x41)).kind).toBe('unknown');
  });

  it('ignores a header with a bad checksum, a misaligned one, and one past the first 8192 bytes', () => {
    const bad = aout();
    bad[8] ^= 1;
    expect(detectImage(bad).kind).toBe('unknown');
    const shifted = new Uint8Array(0x300);
    shifted.set(aout().subarray(0, 0x100), 2);
    expect(detectImage(shifted).kind).toBe('unknown');
    expect(detectImage(aout({ size: 0x3000, at: 8192 })).kind).toBe('unknown');
    expect(detectImage(aout({ size: 0x3000, at: 8192 - 48 })).kind).toBe('unknown');
    expect(detectImage(aout({ size: 0x3000, at: 8192 - 48 - 4 })).kind).toBe('multiboot');
  });
});

describe('loadMultiboot, a.out kludge', () => {
  it('loads the file from the header back to load_addr, zeroes bss and enters as QEMU does', () => {
    const img = aout({ at: 0x40, size: 0x1000, bssEnd: 0x100000 + 0x3000, entry: 0x100080 });
    const plan = loadMultiboot(img, RAM, 'k.mb hello');
    expect(plan.kind).toBe('multiboot');
    expect(segmentAt(plan, 0x100000)).toEqual(img);
    expect(plan.zero).toEqual([{ addr: 0x101000, len: 0x2000 }]);
    expect(plan.entry).toMatchObject({ mode: 'flat32', eip: 0x100080, eax: 0x2badb002, ebx: 0x9500, cs: 0x08, ds: 0x10, cr0: 0x11 });
    expect(plan.warnings).toEqual([]);
  });

  it('fills the info block and memory map as QEMU 7.2 does for 32M', () => {
    const plan = loadMultiboot(aout({ size: 0x1000, bssEnd: 0x102018 }), RAM, 'k.elf hello world');
    const mbi = u32s(segmentAt(plan, 0x9500));
    // Dumped from a guest under qemu-system-i386 -m 32 -kernel k.elf -append "hello world".
    expect(mbi).toEqual([
      0x24f, 0x27f, 0x7b80, 0x8000ffff, 0x103000, 0, 0x103000, 0, 0, 0, 0, 0x90, 0x9000, 0, 0, 0, 0x103012, 0, 0, 0, 0, 0,
    ]);
    expect(u32s(segmentAt(plan, 0x9000))).toEqual([
      0x14, 0, 0, 0x9fc00, 0, 1,
      0x14, 0x9fc00, 0, 0x400, 0, 2,
      0x14, 0xf0000, 0, 0x10000, 0, 2,
      0x14, 0x100000, 0, 0x1ee0000, 0, 1,
      0x14, 0x1fe0000, 0, 0x20000, 0, 2,
      0x14, 0xfffc0000, 0, 0x40000, 0, 2,
    ]);
    expect(cstr(plan, 0x103000)).toBe('k.elf hello world');
    expect(cstr(plan, 0x103012)).toBe('qemu');
  });

  it('scales mem_upper and the map with RAM size', () => {
    const plan = loadMultiboot(aout(), 2 * MiB, '');
    expect(u32s(segmentAt(plan, 0x9500))[2]).toBe(0x380);
    expect(u32s(segmentAt(plan, 0x9000)).slice(18, 30)).toEqual([0x14, 0x100000, 0, 0xe0000, 0, 1, 0x14, 0x1e0000, 0, 0x20000, 0, 2]);
  });

  it('stops loading at load_end_addr', () => {
    const img = aout({ size: 0x400, loadEnd: 0x100100 });
    const plan = loadMultiboot(img, RAM, '');
    expect(segmentAt(plan, 0x100000)).toEqual(img.subarray(0, 0x100));
  });

  it('warns that a video mode request is ignored', () => {
    expect(loadMultiboot(aout({ flags: 4 }), RAM, '').warnings).toHaveLength(1);
  });

  it('rejects inconsistent addresses', () => {
    expectImageError(() => loadMultiboot(aout({ header: 0xfffff }), RAM, ''), /header_addr .* below load_addr/);
    expectImageError(() => loadMultiboot(aout({ header: 0x100010 }), RAM, ''), /header_addr/);
    expectImageError(() => loadMultiboot(aout({ loadEnd: 0xff000 }), RAM, ''), /load_end_addr .* below load_addr/);
    expectImageError(() => loadMultiboot(aout({ bssEnd: 0x100100 }), RAM, ''), /bss_end_addr/);
    expectImageError(() => loadMultiboot(aout({ load: 0xffffff00, header: 0xffffff00 }), RAM, ''), /4 GiB/);
  });

  it('rejects a file shorter than load_end_addr asks for, or cut inside the header', () => {
    expectImageError(() => loadMultiboot(aout({ size: 0x200, loadEnd: 0x100400 }), RAM, ''), /truncated/);
    expectImageError(() => loadMultiboot(aout().subarray(0, 20), RAM, ''), /truncated/);
  });

  it('rejects an image larger than RAM or loaded above it', () => {
    expectImageError(() => loadMultiboot(aout({ bssEnd: 0x100000 + 40 * MiB }), RAM, ''), /outside RAM/);
    expectImageError(() => loadMultiboot(aout({ load: 0x4000000, header: 0x4000000 }), RAM, ''), /outside RAM/);
    expectImageError(() => loadMultiboot(aout({ bssEnd: RAM }), RAM, ''), /no room/);
  });
});

describe('loadMultiboot, ELF', () => {
  it('loads PT_LOAD segments at p_paddr, zero-fills bss and puts the strings after the image', () => {
    const data: Phdr = { offset: 0x300, vaddr: 0x104000, paddr: 0x104000, filesz: 0x100, memsz: 0x2000, flags: 6 };
    const img = elf([text, data, { ...text, type: 4 }]);
    const plan = loadMultiboot(img, RAM, 'x ');
    expect(segmentAt(plan, 0x100000)).toEqual(img.subarray(0x100, 0x300));
    expect(segmentAt(plan, 0x104000)).toEqual(img.subarray(0x300, 0x400));
    expect(plan.zero).toEqual([{ addr: 0x104100, len: 0x1f00 }]);
    expect(plan.entry.eip).toBe(0x100100);
    expect(u32s(segmentAt(plan, 0x9500))[4]).toBe(0x106000);
    expect(cstr(plan, 0x106000)).toBe('x ');
  });

  it('moves a virtual entry point to its physical address, as QEMU does', () => {
    const high: Phdr = { ...text, vaddr: 0xc0100000 };
    expect(loadMultiboot(elf([high], { entry: 0xc010000c }), RAM, '').entry.eip).toBe(0x10000c);
  });

  it('uses the a.out addresses when flag 16 is set, even in an ELF file', () => {
    const img = elf([text]);
    const dv = new DataView(img.buffer);
    dv.setUint32(0x104, 0x10000, true);
    dv.setUint32(0x108, -(MAGIC + 0x10000) >>> 0, true);
    dv.setUint32(0x10c, 0x200100, true);
    dv.setUint32(0x110, 0x200000, true);
    dv.setUint32(0x114, 0, true);
    dv.setUint32(0x118, 0, true);
    dv.setUint32(0x11c, 0x200200, true);
    const plan = loadMultiboot(img, RAM, '');
    expect(segmentAt(plan, 0x200000)).toEqual(img);
    expect(plan.entry.eip).toBe(0x200200);
  });

  it('rejects bogus headers with one clear line', () => {
    expectImageError(() => loadMultiboot(elf([text], { cls: 2 }), RAM, ''), /64-bit/);
    expectImageError(() => loadMultiboot(elf([text], { machine: 62 }), RAM, ''), /64-bit/);
    expectImageError(() => loadMultiboot(elf([text], { machine: 40 }), RAM, ''), /machine type 40/);
    expectImageError(() => loadMultiboot(elf([text], { data: 2 }), RAM, ''), /little-endian/);
    expectImageError(() => loadMultiboot(elf([text], { cls: 7 }), RAM, ''), /class 7/);
    expectImageError(() => loadMultiboot(elf([text], { phentsize: 40 }), RAM, ''), /program header size/);
    expectImageError(() => loadMultiboot(elf([text], { phoff: 0xff0 }), RAM, ''), /program headers .* past the end/);
    expectImageError(() => loadMultiboot(elf([]), RAM, ''), /no program headers/);
    expectImageError(() => loadMultiboot(elf([{ ...text, type: 4 }]), RAM, ''), /no loadable/);
  });

  it('rejects absurd segments', () => {
    expectImageError(() => loadMultiboot(elf([{ ...text, filesz: 0x300 }]), RAM, ''), /file size .* > memory size/);
    expectImageError(() => loadMultiboot(elf([{ ...text, offset: 0xf00, memsz: 0x400, filesz: 0x400 }]), RAM, ''), /past the end.*truncated/);
    expectImageError(() => loadMultiboot(elf([text, { ...text, paddr: 0x100100 }]), RAM, ''), /segments 0 and 1 overlap at 0x100100/);
    expectImageError(() => loadMultiboot(elf([{ ...text, paddr: 0xfffff000, memsz: 0x2000 }]), RAM, ''), /past 4 GiB/);
    expectImageError(() => loadMultiboot(elf([{ ...text, memsz: 64 * MiB }]), RAM, ''), /outside RAM/);
  });

  it('rejects an ELF cut short', () => {
    expectImageError(() => loadMultiboot(elf([text]).subarray(0, 0x180), RAM, ''), /truncated/);
  });
});

describe('loadMultiboot, not an image', () => {
  it('names the problem for empty, Linux, plain ELF and other files', () => {
    expectImageError(() => loadMultiboot(new Uint8Array(0), RAM, ''), /empty/);
    const linux = aout({ size: 0x400 });
    linux.set([0x48, 0x64, 0x72, 0x53], 0x202);
    expectImageError(() => loadMultiboot(linux, RAM, ''), /Linux/);
    const plainElf = elf([text]);
    plainElf.fill(0, 0x100, 0x10c);
    expectImageError(() => loadMultiboot(plainElf, RAM, ''), /not a Multiboot image/);
    expectImageError(() => loadMultiboot(new Uint8Array(65536), RAM, ''), /not a Multiboot image.*--bios/);
  });
});

describe('loadBios', () => {
  it('accepts multiples of 64K and starts at the reset vector', () => {
    for (const size of [64, 128, 256]) {
      const plan = loadBios(new Uint8Array(size * 1024));
      expect(plan.kind).toBe('bios');
      expect(plan.rom?.length).toBe(size * 1024);
      expect(plan.entry).toEqual({ mode: 'reset', cs: 0xf000, eip: 0xfff0 });
    }
  });

  it('rejects empty and wrongly sized ROMs', () => {
    expectImageError(() => loadBios(new Uint8Array(0)), /empty/);
    expectImageError(() => loadBios(new Uint8Array(100 * 1024)), /multiple of 64 KiB/);
    expectImageError(() => loadBios(new Uint8Array(32 * MiB)), /at most 16 MiB/);
  });
});
