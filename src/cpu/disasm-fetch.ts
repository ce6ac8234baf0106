// Disassembly of what a CPU is about to execute, for divergence reports.
// The page walk here only reads: a report must not set accessed bits, fill
// the TLB or fault, or it would change the machine it describes.

import type { Cpu } from './cpu.js';
import { disassemble, type Disassembly } from './disasm.js';

const CS = 1;
const MAX_INSN = 15;

/** The parts of the CPU a side-effect-free fetch needs. */
export type FetchView = Pick<Cpu, 'segBase' | 'eip' | 'csD' | 'cr0' | 'cr3' | 'cr4' | 'mem'>;

/** Physical address of linear `lin`, or -1 where the page tables map nothing. */
export function peekTranslate(cpu: FetchView, lin: number): number {
  lin >>>= 0;
  if (!(cpu.cr0 & 0x80000000)) return lin;
  const pde = cpu.mem.read32(((cpu.cr3 & 0xfffff000) + ((lin >>> 22) << 2)) >>> 0);
  if (!(pde & 1)) return -1;
  if (pde & 0x80 && cpu.cr4 & 0x10) return ((pde & 0xffc00000) | (lin & 0x3fffff)) >>> 0;
  const pte = cpu.mem.read32(((pde & 0xfffff000) + (((lin >>> 12) & 0x3ff) << 2)) >>> 0);
  if (!(pte & 1)) return -1;
  return ((pte & 0xfffff000) | (lin & 0xfff)) >>> 0;
}

/**
 * The instruction at CS:EIP, shown at address EIP in the current code size.
 * Bytes past an unmapped page are missing, so a cut-off instruction shows
 * as `.byte`, and none at all as an empty text.
 */
export function disassembleAtEip(cpu: FetchView): Disassembly {
  const lin = cpu.segBase[CS] + cpu.eip;
  const bytes: number[] = [];
  for (let i = 0; i < MAX_INSN; i++) {
    const phys = peekTranslate(cpu, lin + i);
    if (phys < 0) break;
    bytes.push(cpu.mem.read8(phys));
  }
  return disassemble(Uint8Array.from(bytes), 0, cpu.eip >>> 0, cpu.csD);
}
