// The dispatch arrays the decoder picks handlers from, assembled from the
// group tables of ops/*.ts against the opcode rows (op-rows.ts). Every table
// is named here: TABLES is typed by the row groups, so a group without its
// tables does not compile, and assemble() throws at load time when a row's
// group has no handler for it, two tables of a group define the same row, or
// a table holds a handler no row gives it. A group may be served by several
// tables (one per ops file).

import type { Handler } from './inst.js';
import type { HandlerTable, TableGroup } from './handler-table.js';
import { ud } from './faults.js';
import { ROWS } from './op-rows.js';
import { ALU_HANDLERS } from './ops/alu.js';
import { SHIFT_HANDLERS } from './ops/shift.js';
import { MULDIV_HANDLERS } from './ops/muldiv.js';
import { MOVE_HANDLERS } from './ops/move.js';
import { CONTROL_HANDLERS } from './ops/control.js';
import { STACK_HANDLERS } from './ops/stack-ops.js';
import { STRING_HANDLERS } from './ops/string.js';
import { BIT_HANDLERS } from './ops/bit.js';
import { BCD_HANDLERS } from './ops/bcd.js';
import { FLAG_HANDLERS } from './ops/flag-ops.js';
import { SYSTEM_HANDLERS } from './ops/system.js';
import { DESCRIPTORS_HANDLERS } from './ops/descriptors.js';
import { FAR_HANDLERS } from './ops/far.js';
import { SYSTEM_SEGMENTS_HANDLERS } from './ops/system-segments.js';
import { SELECTOR_CHECKS_HANDLERS } from './ops/selector-checks.js';
import { FAST_HANDLERS } from './ops/fast-paths.js';
import { FPU_ARITH_HANDLERS } from './ops/fpu-arith-ops.js';
import { FPU_LOAD_HANDLERS } from './ops/fpu-load-ops.js';
import { FPU_MISC_HANDLERS } from './ops/fpu-misc-ops.js';

/** The handler tables of each row group. */
export const TABLES: Readonly<Record<TableGroup, readonly HandlerTable[]>> = {
  alu: [ALU_HANDLERS],
  shift: [SHIFT_HANDLERS],
  muldiv: [MULDIV_HANDLERS],
  move: [MOVE_HANDLERS],
  control: [CONTROL_HANDLERS],
  stack: [STACK_HANDLERS],
  string: [STRING_HANDLERS],
  bit: [BIT_HANDLERS],
  bcd: [BCD_HANDLERS],
  flag: [FLAG_HANDLERS],
  system: [SYSTEM_HANDLERS],
  descriptors: [DESCRIPTORS_HANDLERS],
  far: [FAR_HANDLERS],
  'system-segments': [SYSTEM_SEGMENTS_HANDLERS],
  'selector-checks': [SELECTOR_CHECKS_HANDLERS],
  fpu: [FPU_ARITH_HANDLERS, FPU_LOAD_HANDLERS, FPU_MISC_HANDLERS],
};

/** Specialized forms of rows other tables define (fast-paths.ts); they must behave as the row's handler. */
export const OVERRIDES: readonly HandlerTable[] = [FAST_HANDLERS];

export const undefinedOpcode: Handler = (cpu) => ud(cpu);

const N = 512 * 8;
type Slots = (Handler | undefined)[];
const fill = (): Handler[] => new Array<Handler>(N).fill(undefinedOpcode);
const none = (): Slots => new Array<Handler | undefined>(N).fill(undefined);

/** General handlers per row and operand size; register-form, memory-form and all-form overrides. */
const H16 = fill(), H32 = fill();
const R16 = none(), R32 = none(), M16 = none(), M32 = none(), F16 = none(), F32 = none();

function hex(k: number): string {
  return `${(k >> 3).toString(16)}/${k & 7}`;
}

function assemble(): void {
  const owner = new Map<HandlerTable, TableGroup>();
  for (const [g, ts] of Object.entries(TABLES) as [TableGroup, readonly HandlerTable[]][]) {
    for (const t of ts) {
      if (t.group !== g) throw new Error(`dispatch: table '${t.group}' listed as '${g}'`);
      owner.set(t, g);
    }
  }
  for (const [t, g] of owner) {
    for (const k of t.keys()) {
      if (ROWS[k].group !== g) throw new Error(`dispatch: '${g}' defines ${hex(k)}, whose row names '${ROWS[k].group}'`);
      if (t.h16[k] === undefined) continue;
      if (H16[k] !== undefinedOpcode) throw new Error(`dispatch: two '${g}' tables define ${hex(k)}`);
      H16[k] = t.h16[k];
      H32[k] = t.h32[k] ?? t.h16[k];
    }
  }
  for (const row of ROWS) {
    const k = (row.op << 3) | row.reg;
    if (row.group === 'ud' || row.group === 'prefix') continue;
    if (H16[k] === undefinedOpcode) throw new Error(`dispatch: row ${hex(k)} (${row.form.m}) names '${row.group}', which has no handler for it`);
  }
  // Specialized forms, from any table (today only fast-paths.ts has them).
  for (const t of [...owner.keys(), ...OVERRIDES]) {
    for (const k of t.keys()) {
      if (H16[k] === undefinedOpcode) throw new Error(`dispatch: '${t.group}' specializes ${hex(k)}, which has no handler`);
      R16[k] ??= t.reg16[k]; R32[k] ??= t.reg32[k];
      M16[k] ??= t.mem16[k]; M32[k] ??= t.mem32[k];
      F16[k] ??= t.fast16[k]; F32[k] ??= t.fast32[k];
    }
  }
}
assemble();

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

/** The general handlers of a row (undefinedOpcode for 'ud' rows), for the tests. */
export function rowHandlers(op: number, reg: number): { h16: Handler; h32: Handler } {
  const k = (op << 3) | reg;
  return { h16: H16[k], h32: H32[k] };
}
