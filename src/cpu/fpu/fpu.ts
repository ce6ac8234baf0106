// The x87 register file and its control, status and tag words.
//
// Precision model: each register holds a JS double (`val`), and also the
// exact 80-bit value (`raw`) when it came from a source a double cannot hold
// exactly (FLD m80, FRSTOR, FLDENV-less FILD m64 and FBLD of large integers).
// Arithmetic works on the doubles, so results have a 53-bit significand and
// the double exponent range, where a real x87 at PC=extended keeps 64 bits
// and a 15-bit exponent: results can differ in the last bits, and values
// beyond about 1.8e308 or below 4.9e-324 overflow/underflow where the real
// unit does not. Loads and stores that do not compute (FLD/FSTP m80, FXCH,
// FSAVE/FRSTOR, FILD/FISTP m64, FBLD/FBSTP) keep the exact bits. Precision
// control (PC) is kept in the control word but not applied; rounding control
// (RC) applies to integer conversions (FIST, FRNDINT) only; arithmetic and
// stores round to nearest. docs/platform.md lists these limits.

import { classify, fromDouble, exactDouble, doubleBits, bitsToDouble, INDEFINITE, type F80 } from './f80.js';

/** A register or memory operand: the double it is exactly, or its extended value. */
export type Operand = number | F80;

/** Status word bits. */
export const IE = 0x1, DE = 0x2, ZE = 0x4, OE = 0x8, UE = 0x10, PE = 0x20, SF = 0x40, ES = 0x80;
export const C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000, B = 0x8000;
export const EXC_MASK = 0x3f;
export const CW_INIT = 0x037f;

/** Tag values (two bits per physical register). */
export const TAG_VALID = 0, TAG_ZERO = 1, TAG_SPECIAL = 2, TAG_EMPTY = 3;

/** Saved FPU state (CBOR-friendly). `raw` holds 10-byte images of the registers that have exact bits. */
export interface FpuState {
  cw: number;
  sw: number;
  top: number;
  /** Physical registers 0-7: their doubles as IEEE-754 bit pairs (lo, hi: -0 and NaNs hash apart), empty flags, exact images or null. */
  val: number[];
  empty: boolean[];
  raw: (number[] | null)[];
  fip: number;
  fcs: number;
  fop: number;
  fdp: number;
  fds: number;
  /** FERR# asserted (IRQ 13 raised; written only when true, so older states load). */
  ferr?: boolean;
}

export class Fpu {
  cw = CW_INIT;
  /** Status word without TOP (bits 11-13 are kept in `top`). */
  sw = 0;
  top = 0;
  readonly val = new Float64Array(8);
  readonly empty = new Uint8Array(8).fill(1);
  readonly raw: (F80 | null)[] = new Array<F80 | null>(8).fill(null);
  /** Last non-control instruction: EIP, CS, opcode (11 bits), operand offset and selector. */
  fip = 0;
  fcs = 0;
  fop = 0;
  fdp = 0;
  fds = 0;
  /**
   * FERR# latched: an unmasked exception with CR0.NE=0 raised IRQ 13, and
   * the unit ignores further errors (IGNNE#) until a write to port 0xF0
   * clears the latch (clearFerr), as on the PC/AT and in QEMU.
   */
  ferr = false;
  /** The machine's IRQ 13 line (the CPU imports no devices: src/machine/machine.ts connects it). */
  ferrLine: ((level: boolean) => void) | null = null;

  /** Assert FERR# (once until clearFerr). */
  raiseFerr(): void {
    if (this.ferr) return;
    this.ferr = true;
    this.ferrLine?.(true);
  }

  /** Port 0xF0 written: FERR#/IRQ 13 and IGNNE# released. */
  clearFerr(): void {
    this.ferr = false;
    this.ferrLine?.(false);
  }

  /** FNINIT (also the power-on state vmrr uses, as QEMU does). */
  init(): void {
    this.cw = CW_INIT;
    this.sw = 0;
    this.top = 0;
    this.val.fill(0);
    this.empty.fill(1);
    this.raw.fill(null);
    this.fip = this.fcs = this.fop = this.fdp = this.fds = 0;
  }

  phys(i: number): number {
    return (this.top + i) & 7;
  }

  isEmpty(i: number): boolean {
    return this.empty[(this.top + i) & 7] !== 0;
  }

  /** ST(i) as a double (the caller has checked it is not empty). */
  get(i: number): number {
    return this.val[(this.top + i) & 7];
  }

  /** ST(i) as an exact extended value. */
  get80(i: number): F80 {
    const p = (this.top + i) & 7;
    return this.raw[p] ?? fromDouble(this.val[p]);
  }

  /** ST(i) as the double it is exactly, or its exact extended value when a double cannot hold it. */
  opnd(i: number): number | F80 {
    const p = (this.top + i) & 7;
    return this.raw[p] ?? this.val[p];
  }

  set(i: number, v: number): void {
    if (v !== v) { this.set80(i, INDEFINITE); return; } // a NaN keeps bits (set80)
    const p = (this.top + i) & 7;
    this.val[p] = v;
    this.raw[p] = null;
    this.empty[p] = 0;
  }

  /** Set ST(i) from an exact extended value, keeping the bits when a double cannot hold them. */
  set80(i: number, v: F80): void {
    const p = (this.top + i) & 7;
    const d = exactDouble(v);
    this.val[p] = d ?? 0;
    this.raw[p] = d === null ? { sign: v.sign, exp: v.exp, mant: v.mant } : null;
    this.empty[p] = 0;
  }

  /** Swap ST(0) and ST(i) with their exact bits. */
  swap(i: number): void {
    const a = this.top, b = (this.top + i) & 7;
    const v = this.val[a], r = this.raw[a], e = this.empty[a];
    this.val[a] = this.val[b]; this.raw[a] = this.raw[b]; this.empty[a] = this.empty[b];
    this.val[b] = v; this.raw[b] = r; this.empty[b] = e;
  }

  /** Move ST(from) into ST(to) with its exact bits. */
  copy(to: number, from: number): void {
    const s = (this.top + from) & 7, d = (this.top + to) & 7;
    this.val[d] = this.val[s];
    this.raw[d] = this.raw[s];
    this.empty[d] = this.empty[s];
  }

  free(i: number): void {
    this.empty[(this.top + i) & 7] = 1;
  }

  /** Decrement TOP (the caller then sets ST(0)). */
  decTop(): void {
    this.top = (this.top - 1) & 7;
  }

  pop(): void {
    this.empty[this.top] = 1;
    this.top = (this.top + 1) & 7;
  }

  statusWord(): number {
    return (this.sw & ~0x3800) | (this.top << 11);
  }

  setStatusWord(v: number): void {
    this.top = (v >> 11) & 7;
    this.sw = v & ~0x3800 & 0xffff;
    this.updateSummary();
  }

  /** ES and B follow the unmasked exception flags. */
  updateSummary(): void {
    if (this.sw & ~this.cw & EXC_MASK) this.sw |= ES | B;
    else this.sw &= ~(ES | B);
  }

  /** A pending unmasked exception (FWAIT and waiting instructions report it). */
  pending(): boolean {
    return (this.sw & ES) !== 0;
  }

  tagOf(p: number): number {
    if (this.empty[p]) return TAG_EMPTY;
    const r = this.raw[p];
    const c = r ? classify(r) : classifyDouble(this.val[p]);
    return c === 'zero' ? TAG_ZERO : c === 'normal' ? TAG_VALID : TAG_SPECIAL;
  }

  tagWord(): number {
    let t = 0;
    for (let p = 0; p < 8; p++) t |= this.tagOf(p) << (2 * p);
    return t;
  }

  /** FLDENV/FRSTOR: only "empty or not" is taken from the tag word; the rest follows the contents. */
  setTagWord(t: number): void {
    for (let p = 0; p < 8; p++) this.empty[p] = ((t >> (2 * p)) & 3) === TAG_EMPTY ? 1 : 0;
  }

  /** Everything as FNINIT leaves it (such a state is left out of saved CPU states). */
  isInitial(): boolean {
    return this.cw === CW_INIT && this.sw === 0 && this.top === 0 && this.empty.every((e) => e === 1) &&
      this.val.every((v) => Object.is(v, 0)) && this.raw.every((r) => r === null) &&
      this.fip === 0 && this.fcs === 0 && this.fop === 0 && this.fdp === 0 && this.fds === 0 && !this.ferr;
  }

  save(): FpuState {
    return {
      cw: this.cw, sw: this.sw, top: this.top,
      // A register with exact bits is saved by them alone (its double follows from them).
      val: Array.from(this.val).flatMap((v, p) => (this.raw[p] ? [0, 0] : doubleBits(v))),
      empty: Array.from(this.empty, (e) => e !== 0),
      raw: this.raw.map((r) => (r ? [r.sign, r.exp, Number(r.mant >> 32n), Number(r.mant & 0xffffffffn)] : null)),
      fip: this.fip, fcs: this.fcs, fop: this.fop, fdp: this.fdp, fds: this.fds,
      ...(this.ferr ? { ferr: true } : {}),
    };
  }

  load(s: FpuState | undefined): void {
    this.init();
    this.ferr = s?.ferr === true;
    if (s === undefined) return;
    if (s.val?.length !== 16 || s.empty?.length !== 8 || s.raw?.length !== 8) throw new Error('CPU state: malformed FPU registers');
    this.cw = s.cw; this.sw = s.sw; this.top = s.top & 7;
    for (let p = 0; p < 8; p++) this.val[p] = bitsToDouble(s.val[2 * p], s.val[2 * p + 1]);
    s.empty.forEach((e, p) => { this.empty[p] = e ? 1 : 0; });
    s.raw.forEach((r, p) => {
      const v = r ? { sign: r[0], exp: r[1], mant: (BigInt(r[2] >>> 0) << 32n) | BigInt(r[3] >>> 0) } : null;
      this.raw[p] = v;
      if (v) this.val[p] = 0;
    });
    this.fip = s.fip; this.fcs = s.fcs; this.fop = s.fop; this.fdp = s.fdp; this.fds = s.fds;
  }
}

function classifyDouble(x: number): 'zero' | 'normal' | 'inf' | 'nan' {
  if (x === 0) return 'zero';
  if (Number.isNaN(x)) return 'nan';
  return Number.isFinite(x) ? 'normal' : 'inf';
}

export { INDEFINITE };
