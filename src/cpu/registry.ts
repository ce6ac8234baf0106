// The opcode -> handler table. Instruction-group modules register their
// handlers here at load time; the decoder picks one per decoded instruction
// by (map, opcode, ModRM.reg, operand size).

import type { Handler } from './inst.js';
import { ud } from './faults.js';

export const undefinedOpcode: Handler = (cpu) => ud(cpu);

/** Index: ((map << 8) | opcode) * 8 + reg. Map 1 is 0F. */
export const H16: Handler[] = new Array(512 * 8).fill(undefinedOpcode);
export const H32: Handler[] = new Array(512 * 8).fill(undefinedOpcode);

/**
 * Register a handler. `op` is 0x00-0xFF or 0x100 + second byte for 0F xx.
 * `reg` restricts to one ModRM.reg value (groups); omitted means all eight.
 * `h32` defaults to `h16` for size-independent instructions.
 */
export function def(op: number, h16: Handler, h32: Handler = h16, reg = -1): void {
  for (let r = 0; r < 8; r++) {
    if (reg >= 0 && r !== reg) continue;
    H16[op * 8 + r] = h16;
    H32[op * 8 + r] = h32;
  }
}

export function lookup(op: number, reg: number, o32: boolean): Handler {
  return (o32 ? H32 : H16)[op * 8 + reg];
}
