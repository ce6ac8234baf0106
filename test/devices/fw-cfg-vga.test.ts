// fw_cfg (QEMU's 0x510/0x511 interface) and the VGA's text-mode registers.
import { describe, expect, it } from 'vitest';
import { PortBus } from '../../src/devices/port-bus.js';
import { FW_CFG_FILE_DIR, FW_CFG_ID, FW_CFG_NB_CPUS, FW_CFG_RAM_SIZE, FW_CFG_SIGNATURE, FwCfg, pcFwCfgContents } from '../../src/devices/fw-cfg.js';
import { cp437, screenText, Vga } from '../../src/devices/vga.js';

function readItem(bus: PortBus, key: number, n: number): number[] {
  bus.out16(0x510, key);
  return Array.from({ length: n }, () => bus.in8(0x511));
}

describe('fw_cfg', () => {
  const bus = new PortBus();
  const cfg = new FwCfg(bus, pcFwCfgContents({ ramBytes: 32 << 20, bootMenu: true }));

  it('the signature reads "QEMU", the ID says no DMA, RAM size and CPU count are little-endian', () => {
    expect(String.fromCharCode(...readItem(bus, FW_CFG_SIGNATURE, 4))).toBe('QEMU');
    expect(readItem(bus, FW_CFG_ID, 4)).toEqual([1, 0, 0, 0]);
    expect(readItem(bus, FW_CFG_RAM_SIZE, 8)).toEqual([0, 0, 0, 2, 0, 0, 0, 0]);
    expect(readItem(bus, FW_CFG_NB_CPUS, 2)).toEqual([1, 0]);
  });

  it('reads past an item\'s end and of an absent key give zeros; a new selection starts over', () => {
    expect(readItem(bus, FW_CFG_SIGNATURE, 6)).toEqual([0x51, 0x45, 0x4d, 0x55, 0, 0]);
    expect(readItem(bus, 0x7777, 3)).toEqual([0, 0, 0]);
  });

  it('the file directory lists etc/e820 big-endian, and its selector reads one RAM entry', () => {
    const dir = readItem(bus, FW_CFG_FILE_DIR, 4 + 64);
    expect(dir.slice(0, 4)).toEqual([0, 0, 0, 1]);
    expect(dir.slice(4, 8)).toEqual([0, 0, 0, 20]);
    const sel = (dir[8] << 8) | dir[9];
    expect(String.fromCharCode(...dir.slice(12, 20))).toBe('etc/e820');
    expect(readItem(bus, sel, 20)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0, 0]);
  });

  it('save/load keeps the selection and the read offset', () => {
    bus.out16(0x510, FW_CFG_SIGNATURE);
    bus.in8(0x511);
    const s = cfg.save();
    const bus2 = new PortBus();
    const cfg2 = new FwCfg(bus2, pcFwCfgContents({ ramBytes: 32 << 20, bootMenu: true }));
    cfg2.load(s);
    expect([bus2.in8(0x511), bus2.in8(0x511), bus2.in8(0x511)]).toEqual([0x45, 0x4d, 0x55]);
  });
});

describe('VGA text mode', () => {
  it('CRTC cursor registers through 0x3D4/0x3D5 (byte and word OUTs) read back; 0x3DA resets the attribute flip-flop', () => {
    const bus = new PortBus();
    const vga = new Vga(bus);
    bus.out8(0x3d4, 0x0e);
    bus.out8(0x3d5, 0x01);
    bus.out16(0x3d4, 0x230f);
    expect(vga.cursor).toBe(0x123);
    bus.out8(0x3d4, 0x0f);
    expect(bus.in8(0x3d5)).toBe(0x23);
    bus.out8(0x3c0, 0x12); // index
    bus.in8(0x3da); // flip-flop back to index
    bus.out8(0x3c0, 0x10);
    bus.out8(0x3c0, 0x41); // data for 0x10
    bus.out8(0x3c0, 0x10);
    expect(bus.in8(0x3c1)).toBe(0x41);
    const a = bus.in8(0x3da), b = bus.in8(0x3da);
    expect(a ^ b).toBe(0x09); // retrace and display enable toggle
  });

  it('renders the text page at 0xB8000 in mode 3 (start address, CP437), trailing blanks dropped', () => {
    const bus = new PortBus();
    const vga = new Vga(bus);
    vga.setMode3();
    const ram = new Uint8Array(0x100000);
    const put = (cell: number, s: string) => [...s].forEach((ch, i) => { ram[0xb8000 + (cell + i) * 2] = ch.charCodeAt(0); ram[0xb8001 + (cell + i) * 2] = 7; });
    put(0, 'hello');
    put(81, 'world');
    ram[0xb8000 + 2 * 160] = 0xc9; // a box corner on row 2
    const read = (a: number, n: number) => ram.slice(a, a + n);
    expect(screenText(vga.textScreen(read))).toBe('hello\n world\n\u2554\n');
    bus.out16(0x3d4, 0x500d); // start address 80: the first row scrolls off
    expect(screenText(vga.textScreen(read))).toBe(' world\n\u2554\n');
    expect(vga.textScreen(read)!.rows).toBe(25);
  });

  it('a graphics mode has no text screen; CP437 covers 0x01-0xFF', () => {
    const bus = new PortBus();
    const vga = new Vga(bus);
    vga.setMode3();
    bus.out16(0x3ce, 0x0106);
    expect(screenText(vga.textScreen(() => new Uint8Array(4000)))).toMatch(/graphics mode/);
    for (let c = 1; c < 256; c++) expect(cp437(c)).toHaveLength(1);
  });

  it('save/load round trip', () => {
    const bus = new PortBus();
    const vga = new Vga(bus);
    vga.setMode3();
    bus.out16(0x3d4, 0x420e);
    bus.out8(0x3c8, 5);
    bus.out8(0x3c9, 0x3f);
    const v2 = new Vga(new PortBus());
    v2.load(vga.save());
    expect(v2.save()).toEqual(vga.save());
  });
});

describe('fw_cfg and VGA in the machine state', () => {
  it('saveMachineState/loadMachineState carry the fw_cfg read position and the VGA registers', async () => {
    const { Machine } = await import('../../src/machine/machine.js');
    const { saveMachineState, loadMachineState } = await import('../../src/machine/machine-state.js');
    const { fixedInput } = await import('../machine/helpers.js');
    const mk = () => new Machine({ ramBytes: 1 << 20, input: fixedInput(), clock: 'virtual' });
    const a = mk();
    a.bus.out16(0x510, FW_CFG_SIGNATURE);
    a.bus.in8(0x511);
    a.bus.out16(0x3d4, 0x340e);
    a.bus.out16(0x3d4, 0x120f);
    const b = mk();
    loadMachineState(b, saveMachineState(a));
    expect(b.chipset.vga.cursor).toBe(0x3412);
    expect([b.bus.in8(0x511), b.bus.in8(0x511)]).toEqual([0x45, 0x4d]);
    expect(saveMachineState(b).chipset!.vga).toEqual(saveMachineState(a).chipset!.vga);
  });
});
