// The opcode rows: one per (opcode, ModRM.reg), everything the readers of
// an opcode need in one place. The decoder (operand layout, LOCK, handler),
// the block compiler (block facts), the disassembler (form), a JIT (flags
// read and written, memory and control effects) and the tests all read these
// rows. Opcode 0x00-0xFF, or 0x100 + second byte for 0F xx, as Inst.op; an
// opcode without a ModRM group has eight equal rows.
//
// The row is assembled from three compact sources, each the only place its
// fact is written: the operand forms (opcode-table.ts, SDM notation), the
// per-opcode facts (op-facts.ts: LOCK, block member/ender, implicit write,
// ND) and the per-mnemonic effects (op-effects.ts: handler group, flags,
// memory, control). Handlers live in the group tables of ops/*.ts, which
// dispatch.ts assembles against these rows.

import type { HandlerGroup } from './handler-table.js';
import { ONE_BYTE, TWO_BYTE, hasModrm, resolveEntry, type OpEntry } from './opcode-table.js';
import { opFacts } from './op-facts.js';
import { effectsOf, opcodeOverride, type Control } from './op-effects.js';

/** What the instruction does to its ModRM memory operand (when mod != 3). */
export type MemOperand = 'none' | 'read' | 'write' | 'rmw' | 'address';

export interface OpRow {
  readonly op: number;
  readonly reg: number;
  /** The opcode-map entry ('#grp1 Eb,Ib', '#fpu Ex', ...) before ModRM.reg picks a group member. */
  readonly mapEntry: OpEntry;
  /** The disassembly form: mnemonic ('' if undefined) and operand codes. */
  readonly form: OpEntry;
  /** A ModRM byte follows the opcode. */
  readonly modrm: boolean;
  /** The handler table that holds its handler; 'ud' raises #UD, 'prefix' is never decoded. */
  readonly group: HandlerGroup;
  /** op-facts.ts bits: F_LOCK, F_BLOCK, F_ENDS_BLOCK, F_IMPLICIT_WRITE, F_ND. */
  readonly facts: number;
  /** EFLAGS bits read, written, and written as undefined (op-effects.ts says how to read them). */
  readonly flagsRead: number;
  readonly flagsWritten: number;
  readonly flagsUndefined: number;
  readonly memOperand: MemOperand;
  /** Implicit memory accesses: MEM_STACK | MEM_STRING | MEM_SYSTEM | MEM_DATA. */
  readonly mem: number;
  readonly control: Control;
}

const E_ACCESS: Record<string, MemOperand> = { r: 'read', w: 'write', rw: 'rmw', addr: 'address', '-': 'none' };

function memOperandOf(form: OpEntry, e: string): MemOperand {
  const at = form.o.findIndex((o) => o[0] === 'E' || o[0] === 'M');
  if (at < 0) return 'none';
  if (at === 0 || e === 'addr' || e === '-') return E_ACCESS[e];
  return 'read';
}

function buildRow(op: number, reg: number): OpRow {
  const two = op >= 0x100, b = op & 0xff;
  const form = resolveEntry(two, b, reg);
  const fx = { ...effectsOf(form.m), ...opcodeOverride(op, reg) };
  // A shift or rotate by CL or an immediate may have count 0 and leave every flag as it was.
  const countMayBeZero = fx.group === 'shift' && form.o.some((o) => o === 'CL' || o === 'Ib');
  return {
    op,
    reg,
    mapEntry: (two ? TWO_BYTE : ONE_BYTE)[b],
    form,
    modrm: hasModrm(two, b),
    group: form.m === '' && fx.group !== 'prefix' ? 'ud' : fx.group,
    facts: opFacts(op, reg),
    flagsRead: countMayBeZero ? fx.fr | fx.fw : fx.fr,
    flagsWritten: fx.fw,
    flagsUndefined: fx.fu,
    memOperand: memOperandOf(form, fx.e),
    mem: fx.mem,
    control: fx.control,
  };
}

/** ROWS[(op << 3) | reg]. */
export const ROWS: readonly OpRow[] = Array.from({ length: 512 * 8 }, (_, k) => buildRow(k >> 3, k & 7));

/** The row of (op, ModRM.reg). */
export function opRow(op: number, reg: number): OpRow {
  return ROWS[(op << 3) | reg];
}
