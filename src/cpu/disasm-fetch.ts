// Disassembly of what a CPU is about to execute, for divergence reports.
// It fetches through the walker's side-effect-free mode: a report must not
// set accessed bits, fill the TLB or fault, or it would change the machine
// it describes.

import type { Cpu } from './cpu.js';
import { disassemble, type Disassembly } from './disasm.js';
import { peekTranslate } from './paging.js';

const CS = 1;
const MAX_INSN = 15;

/** The parts of the CPU a side-effect-free fetch needs. */
export type FetchView = Pick<Cpu, 'segBase' | 'eip' | 'csD' | 'cr0' | 'cr3' | 'cr4' | 'mem'>;

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
