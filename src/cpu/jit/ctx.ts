// What an instruction emitter knows while it writes one instruction's code,
// and the flag-state plumbing they share: the static flag kind (`fk`: > 0 a
// known kind in the locals, 0 the CPU's fields, -1 whatever Lk says at run
// time) and the live flags after the instruction (from the block's liveness
// pass over the rows' flagsRead/flagsWritten).

import type { Inst } from '../inst.js';
import { ARITH, CF } from '../flags.js';
import { cfExpr, condExpr, kindOf } from './lazy.js';
import type { Emit } from './operands.js';

export interface Ctx extends Emit {
  i: Inst;
  /** Index of the instruction in the region (I[g], H[g]). */
  g: number;
  /** Page offsets of the instruction and of the next one. */
  o: number;
  next: number;
  fk: number;
  /** Flags live after this instruction (ARITH bits). */
  live: number;
  /** SS.B the region was compiled for (checked at entry). */
  ssB: boolean;
}

/** Code that makes the CPU's lazy-flag fields current (fk becomes 0). */
export function flushFlags(c: Ctx): string {
  const k = c.fk;
  c.fk = 0;
  if (k === 0) return '';
  if (k > 0) return `fl(cpu, ${k}, Ld, Ls, Lr); Lk = 0;`;
  return 'if (Lk !== 0) { fl(cpu, Lk, Ld, Ls, Lr); Lk = 0; }';
}

/** Statements (pre) and a boolean expression for condition code cc. */
export function cond(c: Ctx, cc: number): { pre: string; e: string } {
  if (c.fk > 0) return { pre: '', e: condExpr(c.fk, cc) };
  return { pre: flushFlags(c), e: `testCC(cpu, ${cc})` };
}

/** Statements (pre) and a 0/1 expression for CF. */
export function carry(c: Ctx): { pre: string; e: string } {
  if (c.fk > 0) return { pre: '', e: cfExpr(c.fk) };
  return { pre: flushFlags(c), e: 'getCF(cpu)' };
}

/** Record a lazy ALU result, unless every flag it writes is dead. */
export function setLazy(c: Ctx, op: number, bits: number, d: string, s: string, r: string): string {
  if ((c.live & ARITH) === 0) return '';
  const k = kindOf(op, bits);
  c.fk = k;
  return `Lk = ${k}; Ld = ${d}; Ls = ${s}; Lr = ${r};`;
}

/** INC/DEC: the previous writer's CF goes into Ls (only when CF is still wanted). */
export function setIncDec(c: Ctx, op: number, bits: number, d: string, r: string): string {
  if ((c.live & ARITH & ~CF) === 0 && (c.live & CF) === 0) return '';
  let pre = '', cf = '0';
  if (c.live & CF) { const x = carry(c); pre = x.pre; cf = x.e; }
  const k = kindOf(op, bits);
  c.fk = k;
  return `${pre} { const cf = ${cf}; Lk = ${k}; Ld = ${d}; Ls = cf; Lr = ${r}; }`;
}

/** Width of the instruction's v-sized operands. */
export const vbits = (i: Inst): number => (i.o32 ? 32 : 16);

/** The immediate at `bits` (sign-extended by the decoder). */
export function imm(v: number, bits: number): string {
  return bits === 8 ? String(v & 0xff) : bits === 16 ? String(v & 0xffff) : String(v | 0);
}
