// x87 arithmetic on two operands and comparisons: the invalid-operation,
// divide-by-zero, denormal, overflow and precision responses around the
// double computation (fpu.ts describes the precision model).

import { IE, DE, ZE, OE, UE, PE, C1, INDEFINITE, type Fpu, type Operand } from './fpu.js';
import { classify, fromDouble, toDouble, type F80 } from './f80.js';
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

/** op(x, y) with the x87's exception rules; SKIP when an unmasked exception leaves the destination alone. */
export function arith(f: Fpu, op: number, x: Operand, y: Operand): Result {
  let a: number, b: number;
  if (typeof x === 'number' && typeof y === 'number') {
    a = x; b = y; // doubles held exactly: no NaN, no 80-bit denormal
  } else {
    const X = ext(x), Y = ext(y);
    const nan = nanResult(f, X, Y);
    if (nan !== null) return nan;
    if ((classify(X) === 'denormal' || classify(Y) === 'denormal') && !signal(f, DE)) return SKIP;
    a = toDouble(X); b = toDouble(Y);
  }
  if (op === OP_SUBR || op === OP_DIVR) {
    const t = a; a = b; b = t;
    op = op === OP_SUBR ? OP_SUB : OP_DIV;
  }
  const ia = !Number.isFinite(a), ib = !Number.isFinite(b);
  let invalid = false;
  if (op === OP_ADD) invalid = ia && ib && a !== b;
  else if (op === OP_SUB) invalid = ia && ib && a === b;
  else if (op === OP_MUL) invalid = (ia && b === 0) || (ib && a === 0);
  else invalid = (a === 0 && b === 0) || (ia && ib);
  if (invalid) return signal(f, IE) ? INDEFINITE : SKIP;
  if (op === OP_DIV && b === 0 && !ia) {
    if (!signal(f, ZE)) return SKIP;
    return (Object.is(a, -0) || a < 0) !== Object.is(b, -0) ? -Infinity : Infinity;
  }
  const r = op === OP_ADD ? a + b : op === OP_SUB ? a - b : op === OP_MUL ? a * b : a / b;
  return finish(f, r, !ia && !ib && !Number.isFinite(r), exact(op, a, b, r));
}

/**
 * Post-computation flags: overflow (a finite operation that gave an
 * infinity), precision, and underflow for an inexact result below the double
 * normal range: the extended result would be normal, but storing it to m64
 * (where such a result is headed) raises UE, so the flags match that store.
 */
export function finish(f: Fpu, r: number, overflowed: boolean, isExact: boolean): Result {
  f.sw &= ~C1;
  let flags = 0;
  if (overflowed) flags |= OE | PE;
  else if (!isExact) flags |= Math.abs(r) < 2 ** -1022 ? UE | PE : PE;
  if (flags && !signal(f, flags) && (flags & OE) && !(f.cw & OE)) return SKIP;
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
