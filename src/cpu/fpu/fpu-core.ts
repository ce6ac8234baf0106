// What every x87 instruction shares: the CR0.EM/TS checks (#NM), reporting
// a pending unmasked exception (#MF), the last-instruction pointers, the
// stack fault and invalid-operation responses, and raising exception flags.

import { type Cpu, CS } from '../cpu.js';
import type { Inst } from '../inst.js';
import { raise, V_NM, V_MF, V_UD } from '../faults.js';
import { IE, SF, C1, ES, B, EXC_MASK, INDEFINITE, type Fpu } from './fpu.js';
import { classify, isSignalling, type F80 } from './f80.js';

const CR0_MP = 2, CR0_EM = 4, CR0_TS = 8, CR0_NE = 0x20;

/**
 * Entry of an x87 instruction: #NM when CR0.EM or CR0.TS is set; then, for
 * a waiting instruction, a pending unmasked exception is reported: #MF
 * with CR0.NE=1; with NE=0 the PC way, FERR# to IRQ 13 (once, until port
 * 0xF0 is written), and the instruction goes on (IGNNE#), as QEMU does.
 */
export function fpuEnter(cpu: Cpu, wait: boolean): Fpu {
  if (cpu.cr0 & (CR0_EM | CR0_TS)) raise(cpu, V_NM);
  if (!cpu.fpuPresent) raise(cpu, V_UD);
  const f = cpu.fpu;
  if (wait && f.pending()) reportPending(cpu);
  return f;
}

function reportPending(cpu: Cpu): void {
  if (cpu.cr0 & CR0_NE) raise(cpu, V_MF);
  cpu.fpu.raiseFerr();
}

/** FWAIT: #NM only when MP and TS are both set; then pending exceptions. */
export function fwait(cpu: Cpu): void {
  if ((cpu.cr0 & (CR0_MP | CR0_TS)) === (CR0_MP | CR0_TS)) raise(cpu, V_NM);
  if (cpu.fpuPresent && cpu.fpu.pending()) reportPending(cpu);
}

/** Record the instruction for FSTENV/FSAVE: CS:EIP, opcode, and the memory operand's address. */
export function noteInst(cpu: Cpu, i: Inst, memOff: number): void {
  const f = cpu.fpu;
  f.fip = cpu.prevEip >>> 0;
  f.fcs = cpu.sreg[CS];
  f.fop = ((i.op & 7) << 8) | (i.mod << 6) | (i.reg << 3) | i.rm;
  if (memOff >= 0) {
    f.fdp = memOff >>> 0;
    f.fds = cpu.sreg[i.seg];
  }
}

/**
 * Set exception flags. Returns true when all of them are masked (the
 * instruction then delivers its masked response); otherwise ES/B are set
 * and the caller leaves the destination alone.
 */
export function signal(f: Fpu, flags: number): boolean {
  f.sw |= flags;
  if (flags & ~f.cw & EXC_MASK) {
    f.sw |= ES | B;
    return false;
  }
  return true;
}

/** Stack underflow (an empty register was read): IE|SF, C1=0. */
export function underflow(f: Fpu): boolean {
  f.sw &= ~C1;
  return signal(f, IE | SF);
}

/** Stack overflow (a push onto a full register): IE|SF, C1=1. */
export function overflow(f: Fpu): boolean {
  f.sw |= C1;
  return signal(f, IE | SF);
}

/** Push an exact value; on overflow the masked response pushes the indefinite. */
export function push80(f: Fpu, v: F80): void {
  if (!f.isEmpty(7)) {
    if (!overflow(f)) return;
    v = INDEFINITE;
  }
  f.decTop();
  f.set80(0, v);
}

export function push(f: Fpu, v: number): void {
  if (!f.isEmpty(7)) {
    if (!overflow(f)) return;
    f.decTop();
    f.set80(0, INDEFINITE);
    return;
  }
  f.decTop();
  f.set(0, v);
}

/** Check ST(i) for reading: false (after the underflow response) when it is empty. */
export function need(f: Fpu, i: number): boolean {
  if (!f.isEmpty(i)) return true;
  underflow(f);
  return false;
}

/** Write the indefinite to ST(i) when IE is masked (the response to an empty operand or invalid operation). */
export function indefiniteTo(f: Fpu, i: number): void {
  if (!(f.cw & IE)) return;
  f.set80(i, INDEFINITE);
}

/** A NaN operand's quiet form (the result of an operation on it). */
export function quiet(v: F80): F80 {
  return { sign: v.sign, exp: v.exp, mant: v.mant | (1n << 62n) };
}

/** An unmasked exception: the destination is left alone. */
export const SKIP = 'skip';

/**
 * NaN and unsupported operands of a two-operand operation. Returns null when
 * there are none; otherwise the result (quiet NaN, or the indefinite for
 * unsupported encodings), after raising IE for a signalling or unsupported one;
 * SKIP when that IE is unmasked.
 */
export function nanResult(f: Fpu, a: F80, b: F80 | null): F80 | null | typeof SKIP {
  const ca = classify(a), cb = b ? classify(b) : 'zero';
  if (ca === 'unsupported' || cb === 'unsupported') return signal(f, IE) ? INDEFINITE : SKIP;
  if (ca !== 'nan' && cb !== 'nan') return null;
  if ((isSignalling(a) || (b !== null && isSignalling(b))) && !signal(f, IE)) return SKIP;
  if (ca === 'nan' && cb === 'nan' && b) {
    // A quiet NaN wins over a signalling one; else the larger significand, then the positive sign.
    const sa = isSignalling(a), sb = isSignalling(b);
    if (sa !== sb) return quiet(sa ? b : a);
    const ma = a.mant & ~(1n << 62n), mb = b.mant & ~(1n << 62n);
    if (ma !== mb) return quiet(mb > ma ? b : a);
    return quiet(a.sign <= b.sign ? a : b);
  }
  return quiet(ca === 'nan' ? a : (b as F80));
}
