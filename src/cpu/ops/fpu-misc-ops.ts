// x87 register forms of D9 (FLD ST(i), FXCH, FNOP, FCHS, FABS, FTST, FXAM,
// the constants, the transcendental and remainder group, FINCSTP/FDECSTP),
// FST(P) ST(i), and FWAIT.

import type { Cpu } from '../cpu.js';
import type { Inst } from '../inst.js';
import { HandlerTable } from '../handler-table.js';
import { ud } from '../faults.js';
import type { F80 } from '../fpu/f80.js';
import { C1, INDEFINITE, type Fpu } from '../fpu/fpu.js';
import { fpuEnter, fwait, noteInst, underflow, overflow, push80, nanResult, indefiniteTo, SKIP } from '../fpu/fpu-core.js';
import { put, compare, setCompareCodes, type Result } from '../fpu/fpu-arith.js';
import { fsqrt, frndint, fscale, fxtract, fprem, trig, trigOutOfRange, f2xm1, fyl2x, fpatan, fxamCodes } from '../fpu/fpu-trans.js';

/** x87 handlers of this file (group 'fpu', assembled by dispatch.ts). */
export const FPU_MISC_HANDLERS = new HandlerTable('fpu');
const { def } = FPU_MISC_HANDLERS;

/** FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ: 64-bit significands rounded to nearest. */
const CONSTANTS: readonly F80[] = [
  { sign: 0, exp: 0x3fff, mant: 0x8000000000000000n },
  { sign: 0, exp: 0x4000, mant: 0xd49a784bcd1b8afen },
  { sign: 0, exp: 0x3fff, mant: 0xb8aa3b295c17f0bcn },
  { sign: 0, exp: 0x4000, mant: 0xc90fdaa22168c235n },
  { sign: 0, exp: 0x3ffd, mant: 0x9a209a84fbcff799n },
  { sign: 0, exp: 0x3ffe, mant: 0xb17217f7d1cf79acn },
  { sign: 0, exp: 0, mant: 0n },
];

/** FST/FSTP ST(i). */
export function fstReg(cpu: Cpu, i: Inst, pop: boolean): void {
  const f = fpuEnter(cpu, true);
  noteInst(cpu, i, -1);
  if (f.isEmpty(0)) {
    if (!underflow(f)) return;
    f.set80(i.rm, INDEFINITE);
  } else f.copy(i.rm, 0);
  if (pop) f.pop();
}

/** FXCH ST(i): an empty side is an underflow whose masked response swaps in the indefinite. */
export function fxch(cpu: Cpu, i: Inst): void {
  const f = fpuEnter(cpu, true);
  noteInst(cpu, i, -1);
  if (f.isEmpty(0) || f.isEmpty(i.rm)) {
    if (!underflow(f)) return;
    if (f.isEmpty(0)) f.set80(0, INDEFINITE);
    if (f.isEmpty(i.rm)) f.set80(i.rm, INDEFINITE);
  }
  f.swap(i.rm);
  f.sw &= ~C1;
}

/** An operation on ST(0) (and ST(1) when `two`): empty operands and NaNs first, then `op`. */
function onTop(f: Fpu, two: boolean, op: (x: F80, y: F80) => Result, dst = 0, popAfter = false): void {
  if (f.isEmpty(0) || (two && f.isEmpty(1))) {
    underflow(f);
    indefiniteTo(f, dst);
    if (popAfter && (f.cw & 1)) f.pop();
    return;
  }
  const x = f.get80(0), y = two ? f.get80(1) : x;
  const nan = nanResult(f, x, two ? y : null);
  const r = nan !== null ? nan : op(x, y);
  put(f, dst, r);
  if (popAfter && r !== SKIP) f.pop();
}

function pushResult(f: Fpu, r: Result): void {
  if (r === SKIP) return;
  if (!f.isEmpty(7)) {
    if (!overflow(f)) return;
    f.decTop();
    f.set80(0, INDEFINITE);
    return;
  }
  f.decTop();
  put(f, 0, r);
}

function group6(f: Fpu, rm: number): void {
  switch (rm) {
    case 0: return onTop(f, false, (x) => f2xm1(f, x));
    case 1: return onTop(f, true, (x, y) => fyl2x(f, x, y, false), 1, true);
    case 2: // FPTAN: tan in ST(0), then push 1.0
      if (!f.isEmpty(0) && trigOutOfRange(f, f.get80(0))) return;
      onTop(f, false, (x) => trig(f, x, 'tan'));
      if (!(f.sw & 0x80)) pushResult(f, 1);
      return;
    case 3: return onTop(f, true, (x, y) => fpatan(f, x, y), 1, true);
    case 4: { // FXTRACT
      if (f.isEmpty(0)) { underflow(f); indefiniteTo(f, 0); return; }
      const nan = nanResult(f, f.get80(0), null);
      if (nan !== null) { // a NaN (or the indefinite, IE) in both
        if (nan === SKIP) return;
        put(f, 0, nan);
        pushResult(f, nan);
        return;
      }
      const [e, s] = fxtract(f, f.get80(0));
      if (e === SKIP) return;
      put(f, 0, e);
      pushResult(f, s);
      return;
    }
    case 5: return onTop(f, true, (x, y) => fprem(f, x, y, true));
    case 6: f.decTop(); f.sw &= ~C1; return; // FDECSTP
    default: f.top = (f.top + 1) & 7; f.sw &= ~C1; return; // FINCSTP
  }
}

function group7(f: Fpu, rm: number): void {
  switch (rm) {
    case 0: return onTop(f, true, (x, y) => fprem(f, x, y, false));
    case 1: return onTop(f, true, (x, y) => fyl2x(f, x, y, true), 1, true);
    case 2: return onTop(f, false, (x) => fsqrt(f, x));
    case 3: { // FSINCOS: sin in ST(1), cos in ST(0)
      if (!f.isEmpty(0) && trigOutOfRange(f, f.get80(0))) return;
      if (!f.isEmpty(0) && !f.isEmpty(7)) { overflow(f); return; }
      const x = f.isEmpty(0) ? null : f.get80(0);
      const nan = x === null ? null : nanResult(f, x, null);
      if (nan !== null) { // a NaN operand: its quiet form (or the indefinite) in both
        if (nan !== SKIP) { put(f, 0, nan); pushResult(f, nan); }
        return;
      }
      onTop(f, false, (v) => trig(f, v, 'sin'));
      if (x !== null && !(f.sw & 0x80)) pushResult(f, trig(f, x, 'cos'));
      return;
    }
    case 4: return onTop(f, false, (x) => frndint(f, x));
    case 5: return onTop(f, true, (x, y) => fscale(f, x, y));
    default:
      if (!f.isEmpty(0) && trigOutOfRange(f, f.get80(0))) return;
      return onTop(f, false, (x) => trig(f, x, rm === 6 ? 'sin' : 'cos'));
  }
}

/** D9 with mod = 3. */
export function d9Reg(cpu: Cpu, i: Inst): void {
  const r = i.reg, rm = i.rm;
  if (r === 1) return fxch(cpu, i);
  if (r === 3) return fstReg(cpu, i, true); // FSTP1 alias
  if ((r === 2 && rm !== 0) || (r === 4 && (rm === 2 || rm === 3 || rm > 5)) || (r === 5 && rm === 7)) {
    fpuEnter(cpu, false);
    return ud(cpu);
  }
  const f = fpuEnter(cpu, true);
  noteInst(cpu, i, -1);
  f.sw &= ~C1;
  switch (r) {
    case 0: { // FLD ST(i)
      if (f.isEmpty(rm)) { if (underflow(f)) push80(f, INDEFINITE); return; }
      if (!f.isEmpty(7)) { push80(f, INDEFINITE); return; } // overflow: the masked response
      f.decTop();
      f.copy(0, rm + 1);
      return;
    }
    case 2: return; // FNOP
    case 4:
      if (rm === 5) return fxamCodes(f);
      if (f.isEmpty(0)) { underflow(f); if (rm < 2) indefiniteTo(f, 0); else setCompareCodes(f, (f.cw & 1) ? 3 : -1); return; }
      if (rm === 4) return setCompareCodes(f, compare(f, f.opnd(0), 0, false)); // FTST
      { // FCHS, FABS: the sign bit only
        const v = f.opnd(0);
        if (typeof v === 'number') f.set(0, rm === 0 ? -v : Math.abs(v));
        else f.set80(0, { ...v, sign: rm === 0 ? v.sign ^ 1 : 0 });
      }
      return;
    case 5: return push80(f, CONSTANTS[rm]);
    case 6: return group6(f, rm);
    default: return group7(f, rm);
  }
}

def(0x9b, (cpu) => fwait(cpu));
