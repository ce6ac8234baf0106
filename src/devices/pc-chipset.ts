// The PCI functions of QEMU's `pc` machine (i440FX + PIIX3), with the reset
// values of their configuration space as qemu-system-i386 7.2 shows them to
// a BIOS (dumped by fixtures/pci-probe.rom; test/devices/pci.test.ts
// compares). The PIIX4 power-management function QEMU has at 00:01.3 is not
// modelled (it reads as absent), nor are VGA and the NIC (-vga none -nic none).

import type { PciFunctionSpec } from './pci.js';

/** Subsystem vendor 0x1AF4 (Red Hat), subsystem 0x1100: QEMU's for its chipset functions. */
const SUBSYS = { 0x2c: 0xf4, 0x2d: 0x1a, 0x2f: 0x11 };

/** 00:00.0, the 82441FX host bridge (8086:1237): PAM registers at 0x59-0x5F, SMRAM at 0x72. */
export const I440FX: PciFunctionSpec = {
  name: 'i440fx',
  devfn: 0x00,
  init: { 0x00: 0x86, 0x01: 0x80, 0x02: 0x37, 0x03: 0x12, 0x08: 0x02, 0x0b: 0x06, ...SUBSYS, 0x57: 0x10, 0x72: 0x02 },
};

/** 00:01.0, the PIIX3 PCI-to-ISA bridge (8086:7000), multi-function; PIRQ routing at 0x60-0x63 disabled. */
export const PIIX3_ISA: PciFunctionSpec = {
  name: 'piix3-isa',
  devfn: 0x08,
  init: {
    0x00: 0x86, 0x01: 0x80, 0x03: 0x70, 0x07: 0x02, 0x0a: 0x01, 0x0b: 0x06, 0x0e: 0x80, ...SUBSYS,
    0x4c: 0x4d, 0x4e: 0x03, 0x60: 0x80, 0x61: 0x80, 0x62: 0x80, 0x63: 0x80, 0x69: 0x02, 0x70: 0x80,
    0x76: 0x0c, 0x77: 0x0c, 0x78: 0x02, 0xa0: 0x08, 0xa8: 0x0f,
  },
};

/**
 * 00:01.1, the PIIX3 IDE function (8086:7010), legacy mode (prog-if 0x80):
 * the channels stay at 0x1F0/0x170; BAR4 is the bus-master block (16 ports),
 * which vmrr decodes nowhere (no bus-master DMA).
 */
export const PIIX3_IDE: PciFunctionSpec = {
  name: 'piix3-ide',
  devfn: 0x09,
  init: { 0x00: 0x86, 0x01: 0x80, 0x02: 0x10, 0x03: 0x70, 0x06: 0x80, 0x07: 0x02, 0x09: 0x80, 0x0a: 0x01, 0x0b: 0x01, 0x20: 0x01, ...SUBSYS },
  wmask: { 0x20: 0xf0, 0x21: 0xff, 0x22: 0xff, 0x23: 0xff },
};

/** i440FX PAM: 13 areas below 1 MiB, each with read-enable (RAM reads) and write-enable (RAM writes) bits. */
export interface PamArea {
  base: number;
  size: number;
  /** Config offset and the nibble (0 low, 1 high) holding its two bits. */
  reg: number;
  high: boolean;
}

export const PAM_AREAS: readonly PamArea[] = [
  { base: 0xf0000, size: 0x10000, reg: 0x59, high: true },
  ...Array.from({ length: 12 }, (_, i) => ({ base: 0xc0000 + i * 0x4000, size: 0x4000, reg: 0x5a + (i >> 1), high: (i & 1) === 1 })),
];

/** The area's mode from the PAM registers: bit 0 reads from RAM, bit 1 writes to RAM. */
export function pamMode(config: Uint8Array, a: PamArea): number {
  return (config[a.reg] >> (a.high ? 4 : 0)) & 3;
}
