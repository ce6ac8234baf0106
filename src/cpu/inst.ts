// A decoded instruction. Decoded once per (physical address, code size) and
// cached per page; the fields are plain numbers so the object stays in one
// V8 shape and handlers read them without allocation.

import type { Cpu } from './cpu.js';

export type Handler = (cpu: Cpu, inst: Inst) => void;
export type EaFn = (cpu: Cpu, inst: Inst) => number;

export class Inst {
  fn: Handler;
  /** Effective-address function (offset within the segment) for memory operands. */
  ea: EaFn;
  len = 0;
  /** 1 if decoded for a 32-bit code segment. */
  mode = 0;
  o32 = false;
  a32 = false;
  /** Opcode: 0x00-0xFF, or 0x100 + second byte for the 0F map. */
  op = 0;
  mod = 0;
  reg = 0;
  rm = 0;
  /** Segment register index for the memory operand (after overrides). */
  seg = 3;
  /** 1 if a segment override prefix was present. */
  segOverride = 0;
  base = -1;
  index = -1;
  scale = 0;
  disp = 0;
  imm = 0;
  imm2 = 0;
  /** 0 none, 1 REP/REPE (F3), 2 REPNE (F2). */
  rep = 0;
  lock = false;
  /** Times the run loop has interpreted this instruction (until a block is compiled at it). */
  hits = 0;
  /** The compiled region (jit/compile.ts) with a block starting here: returns the instructions it retired. */
  blk: ((cpu: Cpu) => number) | null = null;

  constructor(fn: Handler, ea: EaFn) {
    this.fn = fn;
    this.ea = ea;
  }

  /** True when the ModRM operand is a register. */
  get isReg(): boolean {
    return this.mod === 3;
  }
}
