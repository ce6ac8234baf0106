// x87 escapes D8, DA, DC, DE: FADD/FMUL/FCOM/FCOMP/FSUB/FSUBR/FDIV/FDIVR
// with an m32/m64 real or m16/m32 integer operand, their ST(i) forms and
// the popping forms (FADDP ...), FCOMPP, FUCOMPP and FCMOVcc (DA).

import type { Cpu } from '../cpu.js';
import type { Inst } from '../inst.js';
import { HandlerTable } from '../handler-table.js';
import { ud } from '../faults.js';
import { testCC } from '../flags.js';
import { fpuEnter, noteInst, need, indefiniteTo, underflow, SKIP } from '../fpu/fpu-core.js';
import { loadReal32, loadReal64, loadInt } from '../fpu/fpu-mem.js';
import { arith, put, compare, setCompareCodes, type Order } from '../fpu/fpu-arith.js';
import type { Fpu, Operand } from '../fpu/fpu.js';

/** x87 handlers of this file (group 'fpu', assembled by dispatch.ts). */
export const FPU_ARITH_HANDLERS = new HandlerTable('fpu');
const { def } = FPU_ARITH_HANDLERS;

function memSource(cpu: Cpu, op: number, seg: number, off: number): Operand | typeof SKIP {
  switch (op) {
    case 0xd8: return loadReal32(cpu, seg, off);
    case 0xdc: return loadReal64(cpu, seg, off);
    case 0xda: return loadInt(cpu, seg, off, 4);
    default: return loadInt(cpu, seg, off, 2);
  }
}

/** FCOM-style comparison of ST(0) with y (null: the operand was empty); returns false when an unmasked IE stops it. */
export function compareTo(f: Fpu, y: Operand | null, unordered: boolean): boolean {
  let o: Order;
  if (y === null || f.isEmpty(0)) o = underflow(f) ? 3 : -1;
  else o = compare(f, f.opnd(0), y, unordered);
  setCompareCodes(f, o);
  return o >= 0;
}

function memForm(cpu: Cpu, i: Inst): void {
  const f = fpuEnter(cpu, true);
  const off = i.ea(cpu, i);
  const y = memSource(cpu, i.op, i.seg, off);
  noteInst(cpu, i, off);
  if (y === SKIP) return;
  if (i.reg === 2 || i.reg === 3) {
    if (compareTo(f, y, false) && i.reg === 3) f.pop();
    return;
  }
  if (!need(f, 0)) { indefiniteTo(f, 0); return; }
  put(f, 0, arith(f, i.reg, f.opnd(0), y));
}

/** ST(0) op= ST(i) (D8), or ST(i) op= ST(0) and optionally pop (DC, DE). */
function regArith(cpu: Cpu, i: Inst, toSti: boolean, popAfter: boolean): void {
  const f = fpuEnter(cpu, true);
  noteInst(cpu, i, -1);
  const r = i.reg, sti = i.rm;
  if (r === 2 || r === 3) {
    // FCOM/FCOMP ST(i) (DC, DE aliases compare too).
    const ok = compareTo(f, f.isEmpty(sti) ? null : f.opnd(sti), false);
    if (ok && (r === 3 || popAfter)) f.pop();
    return;
  }
  const dst = toSti ? sti : 0, src = toSti ? 0 : sti;
  if (f.isEmpty(dst) || f.isEmpty(src)) {
    underflow(f);
    indefiniteTo(f, dst);
  } else {
    // DC/DE swap the reverse forms: DC E0+i is FSUBR ST(i), ST(0) = ST(0) - ST(i).
    const op = toSti && r >= 4 ? r ^ 1 : r;
    const res = arith(f, op, f.opnd(dst), f.opnd(src));
    put(f, dst, res);
    if (res === SKIP) return;
  }
  if (popAfter) f.pop();
}

def(0xd8, (cpu, i) => (i.mod !== 3 ? memForm(cpu, i) : regArith(cpu, i, false, false)));
def(0xdc, (cpu, i) => (i.mod !== 3 ? memForm(cpu, i) : regArith(cpu, i, true, false)));
def(0xda, (cpu, i) => (i.mod !== 3 ? memForm(cpu, i) : daReg(cpu, i)));
def(0xde, (cpu, i) => {
  if (i.mod !== 3) return memForm(cpu, i);
  if (i.reg === 3 && i.rm !== 1) return noInst(cpu);
  if (i.reg === 3) return comparePop2(cpu, i, false); // FCOMPP
  regArith(cpu, i, true, true);
});

/** FCOMPP / FUCOMPP: compare ST(0) with ST(1), pop twice. */
function comparePop2(cpu: Cpu, i: Inst, unordered: boolean): void {
  const f = fpuEnter(cpu, true);
  noteInst(cpu, i, -1);
  if (compareTo(f, f.isEmpty(1) ? null : f.opnd(1), unordered)) {
    f.pop();
    f.pop();
  }
}

// FCMOVB, FCMOVE, FCMOVBE, FCMOVU (DA); FCMOVNB ... FCMOVNU (DB) use the negations.
const FCMOV_CC = [2, 4, 6, 10];

/** FCMOVcc ST(0), ST(i). */
export function fcmov(cpu: Cpu, i: Inst, negate: boolean): void {
  const f = fpuEnter(cpu, true);
  noteInst(cpu, i, -1);
  if (f.isEmpty(0) || f.isEmpty(i.rm)) {
    underflow(f);
    indefiniteTo(f, 0);
    return;
  }
  if (testCC(cpu, FCMOV_CC[i.reg] + (negate ? 1 : 0))) f.copy(0, i.rm);
}

function daReg(cpu: Cpu, i: Inst): void {
  if (i.reg < 4) return fcmov(cpu, i, false);
  if (i.reg === 5 && i.rm === 1) return comparePop2(cpu, i, true);
  noInst(cpu);
}

/** A reserved x87 encoding: #NM first (CR0.EM/TS), then #UD. */
export function noInst(cpu: Cpu): void {
  fpuEnter(cpu, false);
  ud(cpu);
}
