// The opcode -> handler table. Instruction-group modules register their
// handlers here at load time; the decoder picks one per decoded instruction
// by (map, opcode, ModRM.reg, operand size).

import type { Handler } from './inst.js';
import { ud } from './faults.js';

export const undefinedOpcode: Handler = (cpu) => ud(cpu);

/** Index: ((map << 8) | opcode) * 8 + reg. Map 1 is 0F. */
export const H16: Handler[] = new Array(512 * 8).fill(undefinedOpcode);
export const H32: Handler[] = new Array(512 * 8).fill(undefinedOpcode);
/** Overrides for ModRM register forms (mod = 3), chosen at decode so hot handlers skip the mod test. */
const R16: (Handler | undefined)[] = new Array(512 * 8).fill(undefined);
const R32: (Handler | undefined)[] = new Array(512 * 8).fill(undefined);
/** Overrides for memory forms (mod != 3). */
const M16: (Handler | undefined)[] = new Array(512 * 8).fill(undefined);
const M32: (Handler | undefined)[] = new Array(512 * 8).fill(undefined);

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

/**
 * Register specialized handlers for the register (`form` 'reg') or memory
 * ('mem') form of an opcode that `def` already defined. They must behave
 * exactly as the general handler does for that form.
 */
export function defForm(form: 'reg' | 'mem', op: number, h16: Handler | undefined, h32: Handler | undefined, reg = -1): void {
  const t16 = form === 'reg' ? R16 : M16, t32 = form === 'reg' ? R32 : M32;
  for (let r = 0; r < 8; r++) {
    if (reg >= 0 && r !== reg) continue;
    if (h16) t16[op * 8 + r] = h16;
    if (h32) t32[op * 8 + r] = h32;
  }
}

/** Specialized handlers for a whole opcode (all forms), chosen over `def`'s whatever the module load order. */
const F16: (Handler | undefined)[] = new Array(512 * 8).fill(undefined);
const F32: (Handler | undefined)[] = new Array(512 * 8).fill(undefined);

/** Register a specialized handler that replaces the general one for every form of `op` (fast-paths.ts). */
export function defFast(op: number, h16: Handler, h32: Handler = h16, reg = -1): void {
  for (let r = 0; r < 8; r++) {
    if (reg >= 0 && r !== reg) continue;
    F16[op * 8 + r] = h16;
    F32[op * 8 + r] = h32;
  }
}

/** The handler for a decoded instruction; `mod` is -1 when the opcode has no ModRM byte. */
export function lookup(op: number, reg: number, o32: boolean, mod = -1): Handler {
  const k = op * 8 + reg;
  const fast = (o32 ? F32 : F16)[k];
  if (fast !== undefined) return fast;
  if (mod >= 0) {
    const f = mod === 3 ? (o32 ? R32 : R16)[k] : (o32 ? M32 : M16)[k];
    if (f !== undefined) return f;
  }
  return (o32 ? H32 : H16)[k];
}
