// A Linux kernel (bzImage) loaded as `qemu-system-i386 -kernel bzImage
// -initrd FILE -append CMDLINE` gets it, through the x86 boot protocol's
// 32-bit entry (Documentation/arch/x86/boot.rst), for protocol 2.02 and
// later: the protected-mode kernel at 1 MiB, a zero page (boot_params) with
// the setup header copied from the image and filled in (loader type, command
// line, initrd, e820 map, memory sizes), flat 4 GiB segments with
// __BOOT_CS = 0x10 and __BOOT_DS = 0x18, ESI = the zero page, interrupts off.
// The real-mode setup code is not run (QEMU runs it; the 32-bit entry skips
// it, so the zero page must hold what it would have found out).

import { e820Entries, ImageError, type LoadPlan } from './loaders.js';

const HDRS = 0x53726448; // "HdrS"
const ZERO_PAGE = 0x10000;
const GDT_ADDR = 0x11000;
const CMDLINE_ADDR = 0x12000;
const KERNEL_ADDR = 0x100000;
/** QEMU keeps the top 128 KiB of RAM free of the initrd (its ACPI data). */
const INITRD_TOP_RESERVE = 0x20000;

const le32 = (b: Uint8Array, o: number): number => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
const le16 = (b: Uint8Array, o: number): number => b[o] | (b[o + 1] << 8);
const hex = (n: number): string => '0x' + n.toString(16);

export interface LinuxHeader {
  version: number;
  setupSects: number;
  loadHigh: boolean;
  initrdAddrMax: number;
  cmdlineSize: number;
  initSize: number;
}

/** The setup header's fields the loader needs, or an ImageError for a kernel it cannot boot. */
export function linuxHeader(b: Uint8Array): LinuxHeader {
  if (b.length < 0x264 || le32(b, 0x202) !== HDRS) throw new ImageError('not a Linux boot-protocol image (no "HdrS" at 0x202)');
  const version = le16(b, 0x206);
  const vs = `${version >> 8}.${(version & 0xff).toString().padStart(2, '0')}`;
  if (version < 0x202) throw new ImageError(`Linux boot protocol ${vs} is too old; vmrr loads 2.02 and later`);
  const loadHigh = (b[0x211] & 1) !== 0;
  if (!loadHigh) throw new ImageError('a zImage (loaded low, at 0x10000) is not supported; vmrr loads bzImage kernels');
  return {
    version,
    setupSects: b[0x1f1] || 4,
    loadHigh,
    initrdAddrMax: version >= 0x203 ? le32(b, 0x22c) : 0x37ffffff,
    cmdlineSize: version >= 0x206 ? le32(b, 0x238) : 255,
    initSize: version >= 0x20a ? le32(b, 0x260) : 0,
  };
}

/** Load a bzImage, an optional initrd and a command line (the --append text alone, as QEMU passes it). */
export function loadLinux(bytes: Uint8Array, ramBytes: number, cmdline: string, initrd?: Uint8Array): LoadPlan {
  const h = linuxHeader(bytes);
  const setupBytes = (h.setupSects + 1) * 512;
  if (setupBytes >= bytes.length) throw new ImageError(`image is truncated: ${h.setupSects} setup sectors but only ${bytes.length} bytes`);
  const kernel = bytes.subarray(setupBytes);
  // The kernel decompresses in place: it needs init_size bytes from its load address.
  const needed = Math.max(kernel.length, h.initSize);
  const usableTop = ramBytes - INITRD_TOP_RESERVE;
  if (KERNEL_ADDR + needed > usableTop) {
    throw new ImageError(`kernel needs ${hex(needed)} bytes at 1 MiB (its init_size), more than the ${ramBytes >> 20} MiB of RAM leave; try a larger --ram`);
  }
  const cmd = new TextEncoder().encode(cmdline);
  if (cmd.length > h.cmdlineSize) throw new ImageError(`--append is ${cmd.length} bytes; this kernel takes at most ${h.cmdlineSize}`);

  let initrdAddr = 0;
  if (initrd && initrd.length > 0) {
    const max = Math.min(h.initrdAddrMax, usableTop - 1);
    initrdAddr = Math.floor((max + 1 - initrd.length) / 4096) * 4096;
    if (initrdAddr < KERNEL_ADDR + needed) {
      throw new ImageError(`initrd of ${initrd.length} bytes does not fit in RAM above the kernel (${ramBytes >> 20} MiB); try a larger --ram`);
    }
  }

  const zp = zeroPage(bytes, ramBytes, { cmdlineAddr: CMDLINE_ADDR, initrdAddr, initrdSize: initrd?.length ?? 0 });
  const segments = [
    { addr: ZERO_PAGE, data: zp },
    { addr: GDT_ADDR, data: bootGdt() },
    { addr: CMDLINE_ADDR, data: Uint8Array.from([...cmd, 0]) },
    { addr: KERNEL_ADDR, data: kernel },
  ];
  if (initrd && initrd.length > 0) segments.push({ addr: initrdAddr, data: initrd });
  return {
    kind: 'linux',
    segments,
    entry: {
      mode: 'flat32',
      eip: KERNEL_ADDR,
      eax: 0,
      ebx: 0,
      esi: ZERO_PAGE,
      esp: ZERO_PAGE - 0x10,
      eflags: 0x2,
      cr0: 0x11,
      cs: 0x10,
      ds: 0x18,
      gdtr: { base: GDT_ADDR, limit: 0x1f },
      idtr: { base: 0, limit: 0 },
    },
    warnings: [],
  };
}

interface ZeroPageFields {
  cmdlineAddr: number;
  initrdAddr: number;
  initrdSize: number;
}

/** boot_params: the image's setup header at 0x1F1, then what a boot loader and the setup code fill in. */
function zeroPage(image: Uint8Array, ramBytes: number, f: ZeroPageFields): Uint8Array {
  const zp = new Uint8Array(4096);
  const v = new DataView(zp.buffer);
  const hdrEnd = 0x202 + image[0x201];
  zp.set(image.subarray(0x1f1, Math.min(hdrEnd, 0x290)), 0x1f1);
  const extKiB = (ramBytes - 0x100000) / 1024;
  v.setUint16(0x002, Math.min(extKiB, 0xffff), true); // screen_info.ext_mem_k
  // The rest of screen_info as the setup code finds it after a VGA BIOS set mode 3 (the machine's VGA is in
  // it, vga.ts setMode3), so the kernel's VGA console (vgacon) drives the text page as under QEMU.
  zp[0x06] = 3; // orig_video_mode
  zp[0x07] = 80; // orig_video_cols
  zp[0x0e] = 25; // orig_video_lines
  zp[0x0f] = 1; // orig_video_isVGA
  v.setUint16(0x10, 16, true); // orig_video_points (character height)
  v.setUint32(0x1e0, extKiB, true); // alt_mem_k
  zp[0x210] = 0xff; // type_of_loader: undefined
  zp[0x211] &= ~0x80; // loadflags: no heap (the setup code does not run)
  v.setUint32(0x218, f.initrdAddr, true); // ramdisk_image
  v.setUint32(0x21c, f.initrdSize, true); // ramdisk_size
  v.setUint32(0x228, f.cmdlineAddr, true); // cmd_line_ptr
  const e820 = e820Entries(ramBytes);
  zp[0x1e8] = e820.length; // e820_entries
  e820.forEach(([base, len, type], i) => {
    const o = 0x2d0 + i * 20; // e820_table: u64 addr, u64 size, u32 type
    v.setUint32(o, base, true);
    v.setUint32(o + 8, len, true);
    v.setUint32(o + 16, type, true);
  });
  return zp;
}

/** null, null, __BOOT_CS (0x10) flat 32-bit code, __BOOT_DS (0x18) flat data. */
function bootGdt(): Uint8Array {
  return Uint8Array.from([
    0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0,
    0xff, 0xff, 0, 0, 0, 0x9b, 0xcf, 0,
    0xff, 0xff, 0, 0, 0, 0x93, 0xcf, 0,
  ]);
}
