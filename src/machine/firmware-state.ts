// The device state QEMU's firmware (SeaBIOS) leaves behind when
// `qemu-system-i386 -kernel` enters a Multiboot kernel, observed with a probe
// guest under QEMU 7.2: PICs remapped to 0x08/0x70 with IRQ 0, 1, 2, 6, 8,
// 12, 13 and 14 unmasked; PIT channel 0 in mode 2 with count 65536 (18.2 Hz);
// COM1 with OUT2 set; and the PCI set-up SeaBIOS 1.16 leaves (read back
// after it booted a disk under vmrr): I/O, memory and SERR enabled on the
// three functions, the IDE bus-master BAR at 0xC000, both IDE channels
// decoding, PIRQA-D routed to IRQ 10, 10, 11, 11. Applied through the port
// bus, as the firmware does, so a kernel that enables interrupts without
// programming the chips gets what it gets under QEMU (e.g. IRQ 0 on vector
// 8), and a PCI-aware IDE driver finds the channels enabled.

import type { PortBus } from '../devices/port-bus.js';

export function applyFirmwareState(bus: PortBus): void {
  // 8259A pair: ICW1 (edge, cascade, ICW4), ICW2 vector bases, ICW3 wiring, ICW4 8086 mode.
  bus.out8(0x20, 0x11); bus.out8(0x21, 0x08); bus.out8(0x21, 0x04); bus.out8(0x21, 0x01);
  bus.out8(0xa0, 0x11); bus.out8(0xa1, 0x70); bus.out8(0xa1, 0x02); bus.out8(0xa1, 0x01);
  bus.out8(0x21, 0xb8);
  bus.out8(0xa1, 0x8e);
  // 8254 channel 0: mode 2, LSB then MSB, count 0 (65536).
  bus.out8(0x43, 0x34); bus.out8(0x40, 0x00); bus.out8(0x40, 0x00);
  // COM1: OUT2 (the PC's IRQ enable line).
  bus.out8(0x3fc, 0x08);
  const cfg = (devfn: number, reg: number, v: number): void => {
    bus.out32(0xcf8, 0x80000000 | (devfn << 8) | reg);
    bus.out32(0xcfc, v);
  };
  for (const devfn of [0x00, 0x08, 0x09]) cfg(devfn, 0x04, 0x0103); // COMMAND (status bits are read-only)
  cfg(0x09, 0x20, 0xc001); // PIIX3 IDE BAR4: bus-master block at 0xC000
  cfg(0x09, 0x40, 0x80008000); // IDETIM primary and secondary: decode enable
  cfg(0x08, 0x60, 0x0b0b0a0a); // PIIX3 PIRQA-D -> IRQ 10, 10, 11, 11
  bus.out32(0xcf8, 0);
}
