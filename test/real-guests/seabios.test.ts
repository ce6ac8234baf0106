// Debian's SeaBIOS (bios.bin from the seabios package) under vmrr run --bios:
// it gets through POST (PCI probing, shadow RAM, the i8042, the ATA
// controller) to its boot stage; with no disk it ends in "No bootable
// device" and reboots after its retry delay (reason reset, thanks to the
// virtual clock at once); with a disk whose boot sector the test provides
// (fixtures/mbr-hello.img) it boots it, as qemu-system-i386 -bios does; and
// a record of that boot replays identically. fixtures/mbr-boot.img reads its
// other sectors through INT 13h (CHS and EDD) and writes the text page: its
// COM1 output equals QEMU's (fixtures/expected/mbr-boot.serial), and run,
// record and replay leave the same --screen; keystrokes (--keys) open the
// boot menu and pick the disk; with Debian's VGA BIOS (--vga-rom) the screen
// is QEMU's (fixtures/expected/mbr-boot.isavga.screen, from qemu-system-i386
// -device isa-vga through the monitor's xp of 0xB8000). About 10^7 instructions each.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, tempFiles, vmrr } from '../cli/helpers.js';
import { guest, missing, ROOT } from './guests.js';

const why = missing(['bios.bin']);
if (why) console.warn(`seabios.test: ${why}`);
const run = why ? it.skip : it;

beforeAll(() => {
  if (!why) ensureBuilt();
}, 120_000);

function mbrDisk(dir: string, fixture = 'mbr-hello.img'): string {
  const disk = new Uint8Array(1 << 20);
  disk.set(readFileSync(join(ROOT, 'fixtures', fixture)));
  const path = join(dir, `disk-${fixture}`);
  writeFileSync(path, disk);
  return path;
}

describe(`SeaBIOS (${why ? 'skipped: not fetched' : guest('bios.bin')})`, () => {
  run('with no disk: POST, then "No bootable device", then its reboot ends the run (reason reset, exit 0)', () => {
    const t = tempFiles({});
    const r = vmrr(['run', '--json', '--clock', 'virtual', '--debugcon', `0x402:${t.path('debug.txt')}`, '--max-insns', '1e9', '--bios', guest('bios.bin')]);
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ kind: 'bios', reason: 'reset' });
    const log = readFileSync(t.path('debug.txt'), 'latin1');
    for (const line of ['Running on QEMU (i440fx)', 'Found QEMU fw_cfg', 'qemu/e820: addr 0x0000000000000000 len 0x0000000002000000 [RAM]', 'Found 3 PCI devices', 'PS2 keyboard initialized', 'Press ESC for boot menu.', 'No bootable device.', 'Rebooting.']) {
      expect(log).toContain(line);
    }
  }, 300_000);

  run('boots a disk: the boot sector\'s line on COM1, isa-debug-exit; record and replay --verify are identical', () => {
    const t = tempFiles({});
    const disk = mbrDisk(t.dir);
    const r = vmrr(['run', '--json', '--serial', t.path('out.txt'), '--disk', disk, '--max-insns', '1e9', '--bios', guest('bios.bin')]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ reason: 'exit', exitValue: 1 });
    expect(readFileSync(t.path('out.txt'), 'latin1')).toBe('MBR: booted by the BIOS\r\n');
    const rec = vmrr(['record', '--json', '--serial', t.path('rec.txt'), '--disk', disk, '-o', t.path('boot.vmrr'), '--bios', guest('bios.bin')]);
    expect(rec.status, rec.stderr).toBe(0);
    const rep = vmrr(['replay', '--verify', '--json', t.path('boot.vmrr')]);
    expect(rep.status, rep.stderr).toBe(0);
    expect(JSON.parse(rep.stdout)).toMatchObject({ verdict: 'identical' });
  }, 300_000);

  run('boots mbr-boot.img (INT 13h AH=02h/41h/42h/08h): COM1 as under QEMU, the text page in --screen; record and replay --verify identical, same screen', () => {
    const t = tempFiles({});
    const disk = mbrDisk(t.dir, 'mbr-boot.img');
    const expected = readFileSync(join(ROOT, 'fixtures/expected/mbr-boot.serial'), 'latin1');
    const r = vmrr(['run', '--json', '--clock', 'virtual', '--serial', t.path('out.txt'), '--screen', t.path('screen.txt'), '--disk', disk, '--max-insns', '1e9', '--bios', guest('bios.bin')]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ reason: 'exit', exitValue: 1 });
    expect(readFileSync(t.path('out.txt'), 'latin1')).toBe(expected);
    // No VGA BIOS: SeaBIOS's INT 10h draws nothing, so rows 0-19 are blank and the boot sector's own writes are rows 20-24.
    const screen = readFileSync(t.path('screen.txt'), 'utf8');
    expect(screen).toBe('\n'.repeat(20) + expected.replace(/\r/g, ''));
    const rec = vmrr(['record', '--json', '--serial', t.path('rec.txt'), '--screen', t.path('rec-screen.txt'), '--disk', disk, '-o', t.path('boot.vmrr'), '--bios', guest('bios.bin')]);
    expect(rec.status, rec.stderr).toBe(0);
    expect(readFileSync(t.path('rec.txt'), 'latin1')).toBe(expected);
    const rep = vmrr(['replay', '--verify', '--json', '--screen', t.path('rep-screen.txt'), t.path('boot.vmrr')]);
    expect(rep.status, rep.stderr).toBe(0);
    expect(JSON.parse(rep.stdout)).toMatchObject({ verdict: 'identical', reason: 'exit', exitValue: 1 });
    expect(readFileSync(t.path('rep-screen.txt'), 'utf8')).toBe(screen);
    expect(readFileSync(t.path('rec-screen.txt'), 'utf8')).toBe(screen);
  }, 300_000);

  run('--keys at the boot menu: ESC opens "Select boot device:", 1 boots the disk; record and replay --verify identical', () => {
    const t = tempFiles({ 'menu.keys': '\x00\x1b\x00\x31' }); // wait 1 s, ESC, wait 1 s, '1'
    const disk = mbrDisk(t.dir, 'mbr-boot.img');
    const expected = readFileSync(join(ROOT, 'fixtures/expected/mbr-boot.serial'), 'latin1');
    const common = ['--clock', 'virtual', '--keys', t.path('menu.keys'), '--disk', disk, '--max-insns', '1e9', '--bios', guest('bios.bin')];
    const r = vmrr(['run', '--json', '--serial', t.path('out.txt'), '--debugcon', `0x402:${t.path('debug.txt')}`, ...common]);
    expect(r.status, r.stderr).toBe(0);
    const log = readFileSync(t.path('debug.txt'), 'latin1');
    expect(log).toMatch(/Press ESC for boot menu\.\s+Select boot device:\s+1\. ata0-0: VMRR HARDDISK/);
    expect(log.indexOf('Booting from Hard Disk')).toBeGreaterThan(log.indexOf('Select boot device:'));
    expect(readFileSync(t.path('out.txt'), 'latin1')).toBe(expected);
    const rec = vmrr(['record', '--json', '--serial', t.path('rec.txt'), '-o', t.path('menu.vmrr'), ...common]);
    expect(rec.status, rec.stderr).toBe(0);
    expect(readFileSync(t.path('rec.txt'), 'latin1')).toBe(expected);
    const rep = vmrr(['replay', '--verify', '--json', t.path('menu.vmrr')]);
    expect(rep.status, rep.stderr).toBe(0);
    expect(JSON.parse(rep.stdout)).toMatchObject({ verdict: 'identical', reason: 'exit', exitValue: 1 });
  }, 300_000);

  const noVga = missing(['bios.bin', 'vgabios-isavga.bin']);
  (noVga ? it.skip : it)('--vga-rom vgabios-isavga.bin: SeaVGABIOS runs on the VGA registers; the screen equals QEMU\'s with -device isa-vga; record and replay give it too', () => {
    const t = tempFiles({});
    const disk = mbrDisk(t.dir, 'mbr-boot.img');
    const qemuScreen = readFileSync(join(ROOT, 'fixtures/expected/mbr-boot.isavga.screen'), 'utf8');
    const common = ['--vga-rom', guest('vgabios-isavga.bin'), '--disk', disk, '--max-insns', '1e9', '--bios', guest('bios.bin')];
    const r = vmrr(['run', '--json', '--clock', 'virtual', '--serial', t.path('out.txt'), '--screen', t.path('screen.txt'), ...common]);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(t.path('screen.txt'), 'utf8')).toBe(qemuScreen);
    const rec = vmrr(['record', '--json', '--serial', t.path('rec.txt'), '--screen', t.path('rec-screen.txt'), '-o', t.path('vga.vmrr'), ...common]);
    expect(rec.status, rec.stderr).toBe(0);
    expect(readFileSync(t.path('rec-screen.txt'), 'utf8')).toBe(qemuScreen);
    const rep = vmrr(['replay', '--verify', '--json', '--screen', t.path('rep-screen.txt'), t.path('vga.vmrr')]);
    expect(rep.status, rep.stderr).toBe(0);
    expect(JSON.parse(rep.stdout)).toMatchObject({ verdict: 'identical', reason: 'exit', exitValue: 1 });
    expect(readFileSync(t.path('rep-screen.txt'), 'utf8')).toBe(qemuScreen);
  }, 300_000);
});
