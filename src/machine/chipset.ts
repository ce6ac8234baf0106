// The rest of QEMU's `pc` machine around the CPU, PICs, PIT, RTC, UART and
// disk: System Control Port A (0x92), the i8042 keyboard controller, PCI
// configuration space with the i440FX host bridge (whose PAM registers
// switch the BIOS shadow RAM) and the PIIX3, port 0x80 as the no-op I/O
// delay port, and the reset line all of them can pull. A reset request
// stops the run (reason 'reset'), as `qemu-system-i386 -no-reboot` ends.

import type { Cpu } from '../cpu/cpu.js';
import type { PhysicalMemory } from '../memory/phys.js';
import type { PortBus } from '../devices/port-bus.js';
import type { PicPair } from '../devices/pic-pair.js';
import { Port92, type Port92State } from '../devices/port-92.js';
import { I8042, type I8042State } from '../devices/i8042.js';
import { PciBus, type PciBusState } from '../devices/pci.js';
import { I440FX, PIIX3_IDE, PIIX3_ISA } from '../devices/pc-chipset.js';
import { ShadowRam, type ShadowRamState } from './shadow-ram.js';
import { FwCfg, pcFwCfgContents, type FwCfgState } from '../devices/fw-cfg.js';
import { Vga, type VgaState } from '../devices/vga.js';

export interface ChipsetState {
  v: 1;
  port92: Port92State;
  kbc: I8042State;
  pci: PciBusState;
  shadow: ShadowRamState;
  /** Absent in states saved before fw_cfg and the VGA existed (power-on state). */
  fwcfg?: FwCfgState;
  vga?: VgaState;
  /** Who asked for a reset ('' while none has). */
  resetBy: string;
}

export class Chipset {
  readonly port92: Port92;
  readonly kbc: I8042;
  readonly pci: PciBus;
  readonly shadow: ShadowRam;
  readonly fwcfg: FwCfg;
  readonly vga: Vga;
  /** The device that asked for a system reset, or '' (the run stops at once). */
  resetBy = '';

  /** `vgaRom`: a VGA BIOS offered through fw_cfg as vgaroms/vgabios.bin, as QEMU's isa-vga does; SeaBIOS runs it. */
  constructor(bus: PortBus, mem: PhysicalMemory, cpu: Cpu, pic: PicPair, vgaRom?: Uint8Array) {
    const reset = (by: string) => (): void => {
      if (!this.resetBy) this.resetBy = by;
      cpu.requestReturn();
    };
    this.port92 = new Port92(bus, reset('port 0x92'));
    this.kbc = new I8042(bus, (line, level) => pic.setIrq(line, level), reset('i8042'));
    this.pci = new PciBus(bus, reset('PIIX3 reset control (0xCF9)'));
    this.shadow = new ShadowRam(mem, cpu);
    const host = this.pci.add(I440FX);
    host.onWrite = (off, len) => {
      if (off + len > 0x59 && off < 0x60) this.shadow.update(host.config);
    };
    this.pci.add(PIIX3_ISA);
    this.pci.add(PIIX3_IDE);
    // Boot menu on, as QEMU's -boot menu=on: SeaBIOS says 'Press ESC for boot menu.' and waits for a key.
    const contents = pcFwCfgContents({ ramBytes: mem.size, bootMenu: true });
    if (vgaRom) contents.files.set('vgaroms/vgabios.bin', vgaRom);
    this.fwcfg = new FwCfg(bus, contents);
    this.vga = new Vga(bus);
    // Linux and BIOSes write port 0x80 as an I/O delay (a POST-code port); unless a --debugcon takes it, it is a no-op.
    if (bus.owner(0x80) === undefined) bus.claim('io-delay', 0x80, 1, undefined, () => {});
  }

  save(): ChipsetState {
    return { v: 1, port92: this.port92.save(), kbc: this.kbc.save(), pci: this.pci.save(), shadow: this.shadow.save(),
      fwcfg: this.fwcfg.save(), vga: this.vga.save(), resetBy: this.resetBy };
  }

  load(s: ChipsetState): void {
    if (s.v !== 1) throw new Error(`chipset state: unknown version ${s.v}`);
    this.port92.load(s.port92);
    this.kbc.load(s.kbc);
    this.pci.load(s.pci);
    this.shadow.load(s.shadow);
    if (s.fwcfg) this.fwcfg.load(s.fwcfg);
    if (s.vga) this.vga.load(s.vga);
    this.resetBy = s.resetBy;
  }
}
