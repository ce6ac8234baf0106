// The arithmetic flags inside compiled code. A block keeps the last flag
// writer's operands in four JS locals (Lk, Ld, Ls, Lr) instead of the CPU's
// lazy-flag fields (flags.ts); `Lk` names the kind (operation and width),
// 0 when the CPU's fields are current. At every exit, fault or helper call
// the locals are written back into the CPU's lazy representation, so what
// the interpreter sees afterwards is what it would have computed itself.
//
// Kinds 1-21: an ALU writer (L_ADD..L_DEC x 8/16/32 bits), Ld/Ls/Lr as in
// alu(); for INC/DEC, Ls holds the CF left by the previous writer (0/1).
// Kinds 22-24 (SZP): a shift or IMUL: Lr is the result (SF, ZF, PF follow
// from it), Ld the CF/OF bits, AF clear.

import type { Cpu } from '../cpu.js';
import { ARITH, CF, L_ADC, L_ADD, L_DEC, L_INC, L_LOGIC, L_SBB, L_SUB, OF, PF, SF, ZF } from '../flags.js';

const BITS = [8, 16, 32];
export const SZP = 7;

/** The kind number of (lazy op or SZP, width). */
export function kindOf(op: number, bits: number): number {
  return 1 + op * 3 + BITS.indexOf(bits);
}
const KOP: number[] = [0], KBITS: number[] = [32];
for (let op = 0; op <= SZP; op++) for (const b of BITS) { KOP.push(op); KBITS.push(b); }
export const kindOp = (k: number): number => KOP[k];
export const kindBits = (k: number): number => KBITS[k];

/** Write a kind's locals into the CPU's lazy-flag fields (called as `fl` by compiled code). */
export function flushLazy(cpu: Cpu, k: number, d: number, s: number, r: number): void {
  const op = KOP[k];
  cpu.lbits = KBITS[k];
  cpu.lres = r;
  if (op === SZP) {
    cpu.flags = (cpu.flags & ~ARITH) | d;
    cpu.lop = L_LOGIC;
    cpu.ldst = 0;
    cpu.lsrc = 0;
    cpu.lazy = SF | ZF | PF;
    return;
  }
  cpu.lop = op;
  cpu.ldst = d;
  if (op === L_INC || op === L_DEC) {
    cpu.flags = (cpu.flags & ~CF) | s;
    cpu.lsrc = 1;
    cpu.lazy = ARITH & ~CF;
  } else {
    cpu.lsrc = s;
    cpu.lazy = ARITH;
  }
}

const mask = (b: number): string => (b === 32 ? '-1' : b === 16 ? '0xffff' : '0xff');
const u = (x: string, b: number): string => (b === 32 ? `(${x} >>> 0)` : `(${x} & ${mask(b)})`);
const sx = (x: string, b: number): string => (b === 32 ? `(${x} | 0)` : `((${x} << ${32 - b}) >> ${32 - b})`);

/** Expressions for one flag of a known kind, or null when only the generic path knows. */
function flagExprs(k: number): { cf: string; zf: string; sf: string; of: string; pf: string } {
  const op = KOP[k], b = KBITS[k], msb = b - 1;
  const zf = b === 32 ? '(Lr === 0)' : `((Lr & ${mask(b)}) === 0)`;
  const sf = b === 32 ? '(Lr < 0)' : `((Lr & ${1 << msb}) !== 0)`;
  const pf = '(PAR[Lr & 0xff] !== 0)';
  if (op === SZP) return { cf: '((Ld & 1) !== 0)', zf, sf, of: `((Ld & ${OF}) !== 0)`, pf };
  let cf: string, of: string;
  const ofAdd = (s: string): string => `((((Ld ^ Lr) & (${s} ^ Lr)) >>> ${msb} & 1) !== 0)`;
  const ofSub = (s: string): string => `((((Ld ^ ${s}) & (Ld ^ Lr)) >>> ${msb} & 1) !== 0)`;
  switch (op) {
    case L_ADD: cf = `(${u('Lr', b)} < ${u('Ld', b)})`; of = ofAdd('Ls'); break;
    case L_ADC: cf = `(${u('Lr', b)} <= ${u('Ld', b)})`; of = ofAdd('Ls'); break;
    case L_SUB: cf = `(${u('Ld', b)} < ${u('Ls', b)})`; of = ofSub('Ls'); break;
    case L_SBB: cf = `(${u('Ld', b)} <= ${u('Ls', b)})`; of = ofSub('Ls'); break;
    case L_INC: cf = '(Ls !== 0)'; of = ofAdd('1'); break;
    case L_DEC: cf = '(Ls !== 0)'; of = ofSub('1'); break;
    default: cf = 'false'; of = 'false'; break; // logic
  }
  return { cf, zf, sf, of, pf };
}

/** CF (0 or 1) of a known kind. */
export function cfExpr(k: number): string {
  return `(${flagExprs(k).cf} ? 1 : 0)`;
}

/** Condition code `cc` (Jcc/SETcc/CMOVcc low nibble) of a known kind, as a boolean expression. */
export function condExpr(k: number, cc: number): string {
  const op = KOP[k], b = KBITS[k];
  const f = flagExprs(k);
  let e: string;
  const base = cc >> 1;
  if (op === L_SUB && (base === 1 || base === 3 || base === 6 || base === 7)) {
    // CMP/SUB: compare the operands directly.
    if (base === 1) e = `(${u('Ld', b)} < ${u('Ls', b)})`;
    else if (base === 3) e = `(${u('Ld', b)} <= ${u('Ls', b)})`;
    else if (base === 6) e = `(${sx('Ld', b)} < ${sx('Ls', b)})`;
    else e = `(${sx('Ld', b)} <= ${sx('Ls', b)})`;
  } else {
    switch (base) {
      case 0: e = f.of; break;
      case 1: e = f.cf; break;
      case 2: e = f.zf; break;
      case 3: e = `(${f.cf} || ${f.zf})`; break;
      case 4: e = f.sf; break;
      case 5: e = f.pf; break;
      case 6: e = `(${f.sf} !== ${f.of})`; break;
      default: e = `(${f.zf} || ${f.sf} !== ${f.of})`; break;
    }
  }
  return cc & 1 ? `!${e}` : e;
}

export { L_ADD, L_ADC, L_SUB, L_SBB, L_LOGIC, L_INC, L_DEC };

/** PF per low result byte, for the compiled conditions (`PAR`). */
export const PAR = Uint8Array.from({ length: 256 }, (_, v) => {
  let p = 1;
  for (let b = v; b; b >>= 1) p ^= b & 1;
  return p;
});
