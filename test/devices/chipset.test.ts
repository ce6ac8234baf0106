// The pc chipset pieces: PCI configuration space against what QEMU shows a
// BIOS (fixtures/pci-probe.rom, dumped under qemu-system-i386 7.2 into
// fixtures/expected/pci-probe.qemu.bin), PAM shadow RAM, port 0x92, the
// i8042 and the reset line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/machine.js';
import { loadBios } from '../../src/machine/loaders.js';
import { PortBus } from '../../src/devices/port-bus.js';
import { I8042 } from '../../src/devices/i8042.js';
import { PciBus } from '../../src/devices/pci.js';
import { I440FX } from '../../src/devices/pc-chipset.js';
import { fixedInput } from '../machine/helpers.js';

const FIX = fileURLToPath(new URL('../../fixtures', import.meta.url));
const RAM = 16 << 20;

function romMachine(rom: Uint8Array, debug: number[] = []): Machine {
  const m = new Machine({ ramBytes: RAM, input: fixedInput(), clock: 'virtual', debugcon: [{ port: 0x402, sink: (b) => debug.push(b) }] });
  m.load(loadBios(rom));
  return m;
}

/** QEMU's dump without the function vmrr does not model (00:01.3, the PIIX4 power management, 257 bytes from its bdf byte 0x0B). */
function qemuDumpWithoutPm(): number[] {
  const q = [...readFileSync(join(FIX, 'expected/pci-probe.qemu.bin'))];
  let i = 0;
  while (q[i] !== 0xff) {
    if (q[i] === 0x0b) return [...q.slice(0, i), ...q.slice(i + 257)];
    i += 257;
  }
  return q;
}

describe('PCI configuration space (mechanism #1)', () => {
  it('pci-probe.rom sees what it sees under QEMU: i440FX 00:00.0, PIIX3 ISA 00:01.0 and IDE 00:01.1 byte for byte, then 0x92 and the i8042', () => {
    const out: number[] = [];
    const stop = romMachine(new Uint8Array(readFileSync(join(FIX, 'pci-probe.rom'))), out).run(1e8);
    expect(stop.reason).toBe('exit');
    expect(out).toEqual(qemuDumpWithoutPm());
  });

  it('absent functions, another bus and a disabled address read all ones; byte/word data accesses hit their offset', () => {
    const bus = new PortBus();
    const pci = new PciBus(bus, () => {});
    pci.add(I440FX);
    bus.out32(0xcf8, 0x80000800); // 00:01.0 absent here
    expect(bus.in32(0xcfc)).toBe(0xffffffff);
    expect(bus.in16(0xcfe)).toBe(0xffff);
    bus.out32(0xcf8, 0x80010000); // bus 1
    expect(bus.in32(0xcfc)).toBe(0xffffffff);
    bus.out32(0xcf8, 0x00000000); // enable bit clear
    expect(bus.in32(0xcfc)).toBe(0xffffffff);
    bus.out32(0xcf8, 0x80000000);
    expect(bus.in32(0xcfc)).toBe(0x12378086);
    expect(bus.in8(0xcfd)).toBe(0x80);
    expect(bus.in16(0xcfe)).toBe(0x1237);
    bus.out32(0xcf8, 0x80000058);
    bus.out8(0xcfd, 0x33); // PAM0 at 0x59
    expect(bus.in32(0xcfc)).toBe(0x00003300);
    bus.out16(0xcfc, 0xffff); // vendor ID read-only: write to 0x58/0x59, both writable (0x40-0xFF)
    expect(bus.in16(0xcfc)).toBe(0xffff);
    bus.out32(0xcf8, 0x80000000);
    bus.out32(0xcfc, 0);
    expect(bus.in32(0xcfc)).toBe(0x12378086); // IDs are read-only
  });
});

describe('BIOS shadow RAM through the i440FX PAM registers', () => {
  const rom = new Uint8Array(0x20000).fill(0xaa);
  const pam = (m: Machine, reg: number, v: number): void => {
    m.bus.out32(0xcf8, 0x80000000 | (reg & 0xfc));
    m.bus.out8(0xcfc + (reg & 3), v);
  };

  it('power-on: 0xE0000-0xFFFFF reads the ROM and drops writes; 0x20 writes RAM beneath; 0x30 reads it back; 0x10 locks it', () => {
    const m = romMachine(rom);
    m.mem.write8(0xf1234, 0x55);
    expect(m.mem.read8(0xf1234)).toBe(0xaa);
    pam(m, 0x59, 0x20); // F-segment: write RAM, read ROM
    m.mem.write8(0xf1234, 0x55);
    expect(m.mem.read8(0xf1234)).toBe(0xaa);
    pam(m, 0x59, 0x30);
    expect(m.mem.read8(0xf1234)).toBe(0x55);
    expect(m.mem.read8(0xf1235)).toBe(0x00); // the RAM beneath was never written
    m.mem.write8(0xf1235, 0x66);
    expect(m.mem.read8(0xf1235)).toBe(0x66);
    pam(m, 0x59, 0x10); // read RAM, writes dropped
    m.mem.write8(0xf1235, 0x77);
    expect(m.mem.read8(0xf1235)).toBe(0x66);
    pam(m, 0x59, 0x00); // back to the ROM; the RAM keeps its bytes
    expect(m.mem.read8(0xf1235)).toBe(0xaa);
    pam(m, 0x59, 0x10);
    expect(m.mem.read8(0xf1235)).toBe(0x66);
    // The E-segment areas are switched by PAM5/PAM6 nibbles, independently.
    expect(m.mem.read8(0xe4000)).toBe(0xaa);
    pam(m, 0x5e, 0x30); // 0xE4000 (high nibble of PAM5) RW RAM
    m.mem.write8(0xe4000, 1);
    expect(m.mem.read8(0xe4000)).toBe(1);
    expect(m.mem.read8(0xe0000)).toBe(0xaa);
  });

  it('shadow state survives a machine-state save and load', async () => {
    const { saveMachineState, loadMachineState } = await import('../../src/machine/machine-state.js');
    const m = romMachine(rom);
    pam(m, 0x59, 0x20);
    m.mem.write8(0xf0000, 9);
    const s = saveMachineState(m);
    const n = romMachine(rom);
    loadMachineState(n, s);
    pam(n, 0x59, 0x30);
    expect(n.mem.read8(0xf0000)).toBe(9);
  });
});

describe('the reset line', () => {
  /** A 64K ROM whose reset vector runs `code`, then hlt. */
  const resetRom = (code: number[]): Uint8Array => {
    const r = new Uint8Array(0x10000).fill(0xf4);
    r.set(code, 0xfff0);
    return r;
  };

  it('port 0x92: reads back what was written (A20 bit); bit 0 set ends the run with reason reset', () => {
    // in al,0x92; mov ah,al; mov al,2; out 0x92,al; in al,0x92; mov al,3; out 0x92,al
    const m = romMachine(resetRom([0xe4, 0x92, 0x88, 0xc4, 0xb0, 0x02, 0xe6, 0x92, 0xe4, 0x92, 0xb0, 0x03, 0xe6, 0x92]));
    const stop = m.run(100);
    expect(stop).toMatchObject({ reason: 'reset', resetBy: 'port 0x92', icount: 7 });
    expect(m.cpu.regs[0] & 0xffff).toBe(0x0003);
    expect(m.chipset.port92.a20).toBe(true);
  });

  it('i8042 command 0xFE and PIIX3 0xCF9 bit 2 reset too', () => {
    expect(romMachine(resetRom([0xb0, 0xfe, 0xe6, 0x64])).run(100)).toMatchObject({ reason: 'reset', resetBy: 'i8042' });
    // mov dx,0xcf9; mov al,6; out dx,al
    expect(romMachine(resetRom([0xba, 0xf9, 0x0c, 0xb0, 0x06, 0xee])).run(100)).toMatchObject({ reason: 'reset', resetBy: 'PIIX3 reset control (0xCF9)' });
  });
});

describe('i8042', () => {
  const setup = (): { bus: PortBus; irqs: boolean[]; resets: number[] } => {
    const bus = new PortBus();
    const irqs: boolean[] = [];
    const resets: number[] = [];
    new I8042(bus, (line, level) => line === 1 && irqs.push(level), () => resets.push(1));
    return { bus, irqs, resets };
  };

  it('command byte write and read; IRQ 1 follows the output buffer; keyboard reset answers ACK, 0xAA', () => {
    const { bus, irqs } = setup();
    bus.out8(0x64, 0x60);
    bus.out8(0x60, 0x01);
    bus.out8(0x64, 0x20);
    expect(bus.in8(0x64) & 1).toBe(1);
    expect(irqs.at(-1)).toBe(true);
    expect(bus.in8(0x60)).toBe(0x01);
    expect(irqs.at(-1)).toBe(false);
    bus.out8(0x60, 0xff);
    expect([bus.in8(0x60), bus.in8(0x60)]).toEqual([0xfa, 0xaa]);
    bus.out8(0x60, 0xf2);
    expect([bus.in8(0x60), bus.in8(0x60), bus.in8(0x60)]).toEqual([0xfa, 0xab, 0x41]);
    expect(bus.in8(0x64) & 1).toBe(0);
  });

  it('output port 0xD1: A20 bit, bit 0 clear resets; 0xD2 echoes into the buffer', () => {
    const { bus, resets } = setup();
    bus.out8(0x64, 0xd0);
    expect(bus.in8(0x60)).toBe(0x03);
    bus.out8(0x64, 0xd1);
    bus.out8(0x60, 0x01);
    bus.out8(0x64, 0xd0);
    expect(bus.in8(0x60)).toBe(0x01);
    expect(resets).toEqual([]);
    bus.out8(0x64, 0xd2);
    bus.out8(0x60, 0x5a);
    expect(bus.in8(0x60)).toBe(0x5a);
    bus.out8(0x64, 0xd1);
    bus.out8(0x60, 0x02);
    expect(resets).toEqual([1]);
  });
});

describe('the firmware state a kernel starts with', () => {
  it('PCI as SeaBIOS leaves it: commands, IDE BAR4 and channel decode, PIRQ routing', async () => {
    const { loadMultiboot } = await import('../../src/machine/loaders.js');
    const img = new Uint8Array(0x40);
    const dv = new DataView(img.buffer);
    dv.setUint32(0, 0x1badb002, true);
    dv.setUint32(4, 0x10000, true);
    dv.setUint32(8, -(0x1badb002 + 0x10000) >>> 0, true);
    dv.setUint32(12, 0x100000, true);
    dv.setUint32(16, 0x100000, true);
    dv.setUint32(28, 0x100020, true);
    const m = new Machine({ ramBytes: RAM, input: fixedInput(), clock: 'virtual' });
    m.load(loadMultiboot(img, RAM, ''));
    const pci = m.chipset.pci;
    expect(pci.configRead(0x09, 0x04, 2)).toBe(0x0103);
    expect(pci.configRead(0x09, 0x20, 4)).toBe(0xc001);
    expect(pci.configRead(0x09, 0x40, 4)).toBe(0x80008000);
    expect(pci.configRead(0x08, 0x60, 4)).toBe(0x0b0b0a0a);
    expect(pci.configRead(0x00, 0x00, 4)).toBe(0x12378086);
  });
});
