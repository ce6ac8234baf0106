// x87 arithmetic on two operands and comparisons: the invalid-operation,
// divide-by-zero and denormal responses, then the exact computation and
// its one rounding (sf80.ts), with a double fast path for results a double
// computes exactly.

import { IE, DE, ZE, PE, C1, INDEFINITE, type Fpu, type Operand } from './fpu.js';
import { classify, fromDouble, type F80 } from './f80.js';
import { ctxOf, unpack, add, mul, div, inf, zero, type Ctx } from './sf80.js';
import { signal, nanResult, SKIP } from './fpu-core.js';

/** Operation numbers as in ModRM.reg of D8: add, mul, -, -, sub (x - y), subr (y - x), div (x / y), divr (y / x). */
export const OP_ADD = 0, OP_MUL = 1, OP_SUB = 4, OP_SUBR = 5, OP_DIV = 6, OP_DIVR = 7;

export type Result = number | F80 | typeof SKIP;

/** Write an arithmetic result to ST(i) (nothing for SKIP). */
export function put(f: Fpu, i: number, r: Result): void {
  if (r === SKIP) return;
  if (typeof r === 'number') f.set(i, r); else f.set80(i, r);
}

const SPLIT = 134217729; // 2^27 + 1

/** The rounding error of a * b (Dekker), exact unless the product is tiny. */
function mulError(a: number, b: number, p: number): number {
  let t = SPLIT * a;
  const ah = t - (t - a), al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b), bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

/** Is the double result r of op(a, b) exact? */
function exact(op: number, a: number, b: number, r: number): boolean {
  if (!Number.isFinite(r)) return true;
  switch (op) {
    case OP_ADD: case OP_SUB: {
      const y = op === OP_SUB ? -b : b;
      const bb = r - a;
      return (a - (r - bb)) + (y - bb) === 0;
    }
    case OP_MUL: return r === 0 ? a === 0 || b === 0 : mulError(a, b, r) === 0 && Math.abs(r) >= 2 ** -969;
    default:
      if (!Number.isFinite(b)) return true; // finite / infinity is an exact zero
      return r === 0 ? a === 0 : r * b === a && Math.abs(a) >= 2 ** -969 && mulError(r, b, r * b) === 0;
  }
}

/** The extended value of an operand. */
export const ext = (v: Operand): F80 => (typeof v === 'number' ? fromDouble(v) : v);

/**
 * Two doubles whose double result is exact (and normal): that is also the
 * extended result, with no flags, whatever the rounding mode, at 53- or
 * 64-bit precision. Null when the exact path must decide.
 */
function fastArith(f: Fpu, op: number, a: number, b: number): number | null {
  const cw = f.cw, pc = (cw >> 8) & 3;
  if (pc === 0 || !Number.isFinite(a) || !Number.isFinite(b)) return null;
  if (op === OP_SUBR || op === OP_DIVR) {
    const t = a; a = b; b = t;
    op = op === OP_SUBR ? OP_SUB : OP_DIV;
  }
  const r = op === OP_ADD ? a + b : op === OP_SUB ? a - b : op === OP_MUL ? a * b : a / b;
  if (!Number.isFinite(r) || (r === 0 ? op === OP_ADD || op === OP_SUB : Math.abs(r) < 2 ** -1022)) return null;
  if (exact(op, a, b, r)) { f.sw &= ~C1; return r; }
  // 53-bit precision, round to nearest: the double operation is the x87's (a normal result, so the exponent ranges agree).
  if (pc !== 2 || (cw & 0xc00) !== 0) return null;
  const e = errorSign(op, a, b, r);
  if (e === 0) return null;
  f.sw &= ~C1;
  if ((r > 0) !== (e > 0)) f.sw |= C1; // rounded up in magnitude
  signal(f, PE);
  return r;
}

/** The sign of (exact result - r) for an inexact double r = op(a, b); 0 when it cannot be told cheaply. */
function errorSign(op: number, a: number, b: number, r: number): number {
  if (op === OP_ADD || op === OP_SUB) {
    const y = op === OP_SUB ? -b : b;
    const bb = r - a;
    return Math.sign((a - (r - bb)) + (y - bb));
  }
  if (op === OP_MUL) return Math.abs(r) >= 2 ** -969 ? Math.sign(mulError(a, b, r)) : 0;
  if (Math.abs(a) < 2 ** -969 || Math.abs(r) < 2 ** -969) return 0;
  const rb = r * b;
  return Math.sign(((a - rb) - mulError(r, b, rb)) * b);
}

const flip = (v: F80): F80 => ({ sign: v.sign ^ 1, exp: v.exp, mant: v.mant });
const isZero = (v: F80): boolean => v.mant === 0n && v.exp === 0;
const invalid = (f: Fpu): Result => (signal(f, IE) ? INDEFINITE : SKIP);

/** op(x, y) with the x87's exception rules; SKIP when an unmasked exception leaves the destination alone. */
export function arith(f: Fpu, op: number, x: Operand, y: Operand): Result {
  if (typeof x === 'number' && typeof y === 'number') {
    const r = fastArith(f, op, x, y);
    if (r !== null) return r;
  }
  const X = ext(x), Y = ext(y);
  const nan = nanResult(f, X, Y);
  if (nan !== null) return nan;
  if ((classify(X) === 'denormal' || classify(Y) === 'denormal') && !signal(f, DE)) return SKIP;
  let a = X, b = Y;
  if (op === OP_SUBR || op === OP_DIVR) {
    a = Y; b = X;
    op = op === OP_SUBR ? OP_SUB : OP_DIV;
  }
  if (op === OP_SUB) { b = flip(b); op = OP_ADD; }
  const ia = a.exp === 0x7fff, ib = b.exp === 0x7fff, sign = a.sign ^ b.sign;
  const c = ctxOf(f.cw);
  let r: F80;
  if (op === OP_ADD) {
    if (ia && ib && a.sign !== b.sign) return invalid(f);
    if (ia || ib) return ia ? a : b;
    r = add(c, unpack(a), unpack(b));
  } else if (op === OP_MUL) {
    if ((ia && isZero(b)) || (ib && isZero(a))) return invalid(f);
    if (ia || ib) return inf(sign);
    r = mul(c, unpack(a), unpack(b));
  } else {
    if ((isZero(a) && isZero(b)) || (ia && ib)) return invalid(f);
    if (ia) return inf(sign);
    if (ib) return zero(sign);
    if (isZero(b)) return signal(f, ZE) ? inf(sign) : SKIP;
    r = div(c, unpack(a), unpack(b));
  }
  return finish(f, c, r);
}

/**
 * After a rounded result: C1 (rounded up), and the flags of the rounding
 * (PE, and UE/OE). Those are post-computation exceptions: the destination
 * gets the result even when one is unmasked (for OE/UE the result with its
 * exponent adjusted, which round() produced).
 */
export function finish(f: Fpu, c: Ctx, r: F80): F80 {
  f.sw &= ~C1;
  if (c.up) f.sw |= C1;
  if (c.flags) signal(f, c.flags);
  return r;
}

/** Compare results: 0 greater, 1 less, 2 equal, 3 unordered; -1 when an unmasked IE stops the instruction. */
export type Order = 0 | 1 | 2 | 3 | -1;

/** Compare x with y exactly. `unordered` (FUCOM) raises IE only for signalling NaNs; FCOM for any NaN. */
export function compare(f: Fpu, xo: Operand, yo: Operand, unordered: boolean): Order {
  if (typeof xo === 'number' && typeof yo === 'number') return xo === yo ? 2 : xo > yo ? 0 : 1;
  const x = ext(xo), y = ext(yo);
  const cx = classify(x), cy = classify(y);
  if (cx === 'unsupported' || cy === 'unsupported') return signal(f, IE) ? 3 : -1;
  if (cx === 'nan' || cy === 'nan') {
    const sig = ((x.mant >> 62n) & 1n) === 0n && cx === 'nan' || ((y.mant >> 62n) & 1n) === 0n && cy === 'nan';
    if ((!unordered || sig) && !signal(f, IE)) return -1;
    return 3;
  }
  if ((cx === 'denormal' || cy === 'denormal') && !signal(f, DE)) return -1;
  const kx = key(x), ky = key(y);
  return kx === ky ? 2 : kx > ky ? 0 : 1;
}

/** A number whose order is the values' order (zeros of either sign are one key). */
function key(v: F80): bigint {
  if (v.mant === 0n) return 0n;
  const k = (BigInt(v.exp) << 64n) | v.mant;
  return v.sign ? -k : k;
}

/** FCOM/FUCOM/FTST condition codes: C3 C2 C0. */
export function setCompareCodes(f: Fpu, o: Order): void {
  if (o < 0) return;
  const C0 = 0x100, C2 = 0x400, C3 = 0x4000;
  f.sw &= ~(C0 | C1 | C2 | C3);
  f.sw |= o === 1 ? C0 : o === 2 ? C3 : o === 3 ? C0 | C2 | C3 : 0;
}
