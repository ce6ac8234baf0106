// The Linux boot protocol loader (src/machine/linux-loader.ts) on a synthetic
// bzImage: a setup header (protocol 2.10) and a protected-mode part that
// reads the zero page ESI points at, prints the command line and the
// initrd's first byte on port 0xE9 and exits through isa-debug-exit with
// the initrd size: what a real kernel's startup_32 finds.
import { describe, expect, it } from 'vitest';
import { Machine } from '../src/machine/machine.js';
import { linuxHeader, loadLinux } from '../src/machine/linux-loader.js';
import { detectImage, ImageError, loadMultiboot } from '../src/machine/loaders.js';
import { planImage } from '../src/machine/image-plan.js';
import { fixedInput } from './machine/helpers.js';

const RAM = 32 << 20;

/** setup_sects = 1: the boot sector and one setup sector, then `code` (loaded at 1 MiB). */
function bzImage(code: number[], version = 0x20a, initSize = 0x10000): Uint8Array {
  const img = new Uint8Array(1024 + code.length);
  const v = new DataView(img.buffer);
  img[0x1f1] = 1;
  v.setUint16(0x1fe, 0xaa55, true);
  img[0x200] = 0xeb; // jmp short
  img[0x201] = 0x66; // the header runs to 0x202 + 0x66 = 0x268
  v.setUint32(0x202, 0x53726448, true); // "HdrS"
  v.setUint16(0x206, version, true);
  img[0x211] = 1; // LOADED_HIGH
  v.setUint32(0x214, 0x100000, true); // code32_start
  v.setUint32(0x22c, 0x37ffffff, true); // initrd_addr_max
  v.setUint32(0x238, 2048, true); // cmdline_size
  v.setUint32(0x260, initSize, true); // init_size
  img.set(code, 1024);
  return img;
}

const PRINT_BOOT_PARAMS = [
  0x8b, 0x9e, 0x28, 0x02, 0x00, 0x00, // mov ebx, [esi+0x228]  cmd_line_ptr
  0x8a, 0x03, 0x84, 0xc0, 0x74, 0x05, 0xe6, 0xe9, 0x43, 0xeb, 0xf5, // print the NUL-terminated string
  0x8b, 0x9e, 0x18, 0x02, 0x00, 0x00, // mov ebx, [esi+0x218]  ramdisk_image
  0x8a, 0x03, 0xe6, 0xe9, // mov al,[ebx]; out 0xe9,al
  0x8a, 0x86, 0xe8, 0x01, 0x00, 0x00, 0xe6, 0xe9, // mov al,[esi+0x1e8] (e820 entries); out
  0x8c, 0xc8, 0xe6, 0xe9, // mov eax, cs; out
  0x8b, 0x86, 0x1c, 0x02, 0x00, 0x00, // mov eax, [esi+0x21c]  ramdisk_size
  0xe6, 0xf4, // out 0xf4, al
];

describe('Linux boot protocol (bzImage)', () => {
  it('detected as linux; planImage loads it with --append alone; Multiboot loading still refuses it', () => {
    const img = bzImage(PRINT_BOOT_PARAMS);
    expect(detectImage(img).kind).toBe('linux');
    expect(() => loadMultiboot(img, RAM, 'x')).toThrow(ImageError);
    const plan = planImage(img, { bios: false, ram: RAM, append: 'console=ttyS0', imageArg: 'k', initrd: Uint8Array.of(0x5a, 1, 2) });
    expect(plan.kind).toBe('linux');
    expect(linuxHeader(img)).toMatchObject({ version: 0x20a, setupSects: 1, loadHigh: true, cmdlineSize: 2048 });
  });

  it('the kernel starts at 1 MiB with ESI = the zero page: command line, initrd, e820 map, CS 0x10', () => {
    let out = '';
    const m = new Machine({ ramBytes: RAM, input: fixedInput(), clock: 'virtual', serial: (b) => (out += String.fromCharCode(b)) });
    const initrd = new Uint8Array(21).fill(7);
    initrd[0] = 0x5a; // 'Z'
    m.load(loadLinux(bzImage(PRINT_BOOT_PARAMS), RAM, 'console=ttyS0 quiet', initrd));
    const stop = m.run(10_000);
    expect(stop.reason).toBe('exit');
    expect(stop.exitValue).toBe((21 << 1) | 1);
    expect(out).toBe('console=ttyS0 quietZ\x06\x10');
    // The initrd sits page-aligned at the top of RAM, 128 KiB below its end; the header was copied.
    const zp = m.readPhys(0x10000, 4096);
    const dv = new DataView(zp.buffer);
    expect(dv.getUint32(0x218, true)).toBe((RAM - 0x20000 - 4096) >>> 0);
    expect(dv.getUint32(0x202, true)).toBe(0x53726448);
    expect(zp[0x210]).toBe(0xff);
    expect(dv.getUint32(0x2d0 + 3 * 20 + 8, true)).toBe(RAM - 0x100000 - 0x20000); // usable RAM above 1 MiB
  });

  it('refuses old protocols, zImages, a command line over cmdline_size and a kernel larger than RAM, in one line', () => {
    expect(() => loadLinux(bzImage([0x90], 0x201), RAM, '')).toThrow(/protocol 2\.01 is too old/);
    const z = bzImage([0x90]);
    z[0x211] = 0;
    expect(() => loadLinux(z, RAM, '')).toThrow(/zImage/);
    expect(() => loadLinux(bzImage([0x90]), RAM, 'x'.repeat(3000))).toThrow(/at most 2048/);
    expect(() => loadLinux(bzImage([0x90], 0x20a, 40 << 20), RAM, '')).toThrow(/larger --ram/);
    expect(() => planImage(new Uint8Array(64), { bios: false, ram: RAM, append: '', imageArg: 'k', initrd: new Uint8Array(1) })).toThrow();
  });
});

describe('vmrr run with a bzImage', () => {
  it('--initrd and --append reach the kernel; --initrd with a Multiboot image or --bios is refused in one line', async () => {
    const { ensureBuilt, tempFiles, vmrr, expectUsageError } = await import('./cli/helpers.js');
    ensureBuilt();
    const t = tempFiles({ 'k.bz': bzImage(PRINT_BOOT_PARAMS), 'i.img': Uint8Array.of(0x41, 2, 3), 'mb.rom': new Uint8Array(0x10000) });
    const r = vmrr(['run', '--json', '--serial', t.path('out.txt'), '--initrd', t.path('i.img'), '--append', 'root=/dev/ram0', t.path('k.bz')]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'linux', reason: 'exit', exitValue: (3 << 1) | 1 });
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(t.path('out.txt'), 'latin1')).toBe('root=/dev/ram0A\x06\x10');
    expectUsageError(vmrr(['run', '--initrd', t.path('i.img'), 'fixtures/alu.mb']), /--initrd is for Linux kernels/, expect);
    expectUsageError(vmrr(['run', '--initrd', t.path('i.img'), '--bios', t.path('mb.rom')]), /--initrd needs a Linux kernel/, expect);
  }, 60_000);
});
