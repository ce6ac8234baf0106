// The handlers one instruction-group module (ops/*.ts) defines. Each module
// builds its own HandlerTable and exports it; dispatch.ts assembles them,
// explicitly and by name, into the dispatch arrays the decoder reads, and
// checks them against the opcode rows (op-rows.ts): a row whose group has no
// handler for it, or a handler with no row naming its group, is an error at
// load time. Keys are (op << 3) | reg, as in the rows.

import type { Handler } from './inst.js';

/**
 * Which handler table serves a row. 'ud': no handler, the row raises #UD
 * (undefined or not implemented); 'prefix': a prefix or the 0F escape, which
 * the decoder consumes and never yields as an opcode.
 */
export type HandlerGroup =
  | 'alu' | 'shift' | 'muldiv' | 'move' | 'control' | 'stack' | 'string' | 'bit' | 'bcd' | 'flag'
  | 'system' | 'descriptors' | 'far' | 'system-segments' | 'selector-checks' | 'fpu'
  | 'ud' | 'prefix';

/** The groups that have a handler table (every group but 'ud' and 'prefix'). */
export type TableGroup = Exclude<HandlerGroup, 'ud' | 'prefix'>;

const ROWS = 512 * 8;
type Slots = (Handler | undefined)[];
/** Sparse: a table defines a few rows of 4,096; holes read as undefined (8 dense arrays per table cost 256 KiB each table). */
const slots = (): Slots => [];

/** The reg values a definition covers: one ModRM.reg, or all eight. */
function regsOf(reg: number): readonly number[] {
  return reg >= 0 ? [reg] : [0, 1, 2, 3, 4, 5, 6, 7];
}

export class HandlerTable {
  /** General handlers by operand size. */
  readonly h16: Slots = slots();
  readonly h32: Slots = slots();
  /** Specialized handlers for the register (mod = 3) and memory forms. */
  readonly reg16: Slots = slots();
  readonly reg32: Slots = slots();
  readonly mem16: Slots = slots();
  readonly mem32: Slots = slots();
  /** Specialized handlers for every form of a row, chosen over all the above. */
  readonly fast16: Slots = slots();
  readonly fast32: Slots = slots();

  /** `group` is the rows' group this table serves, or 'fast' for the fast-path overrides (fast-paths.ts). */
  constructor(readonly group: TableGroup | 'fast') {}

  /**
   * The handler of opcode `op` (0x00-0xFF, or 0x100 + second byte for 0F xx).
   * `reg` restricts to one ModRM.reg value (groups); omitted means all eight.
   * `h32` defaults to `h16` for size-independent instructions.
   */
  readonly def = (op: number, h16: Handler, h32: Handler = h16, reg = -1): void => {
    for (const r of regsOf(reg)) {
      const k = (op << 3) | r;
      if (this.h16[k] !== undefined) throw new Error(`${this.group}: opcode ${op.toString(16)}/${r} defined twice`);
      this.h16[k] = h16;
      this.h32[k] = h32;
    }
  };

  /**
   * Specialized handlers for the register ('reg') or memory ('mem') form of a
   * row another table defines. They must behave exactly as the general handler
   * does for that form.
   */
  readonly defForm = (form: 'reg' | 'mem', op: number, h16: Handler | undefined, h32: Handler | undefined, reg = -1): void => {
    const t16 = form === 'reg' ? this.reg16 : this.mem16, t32 = form === 'reg' ? this.reg32 : this.mem32;
    for (const r of regsOf(reg)) {
      if (h16) t16[(op << 3) | r] = h16;
      if (h32) t32[(op << 3) | r] = h32;
    }
  };

  /** A specialized handler that replaces the general one for every form of the row. */
  readonly defFast = (op: number, h16: Handler, h32: Handler = h16, reg = -1): void => {
    for (const r of regsOf(reg)) {
      this.fast16[(op << 3) | r] = h16;
      this.fast32[(op << 3) | r] = h32;
    }
  };

  /** Row keys this table has any handler for. */
  keys(): number[] {
    const out: number[] = [];
    for (let k = 0; k < ROWS; k++) {
      if (this.h16[k] || this.reg16[k] || this.reg32[k] || this.mem16[k] || this.mem32[k] || this.fast16[k]) out.push(k);
    }
    return out;
  }
}
