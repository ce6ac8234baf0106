// x87 operations on ST(0) (and ST(1)) that are not plain arithmetic:
// square root, rounding, scaling, exponent extraction, partial remainders
// and the transcendental functions.
//
// Transcendentals use JS Math (V8's fdlibm ports: deterministic for one
// Node/V8 version, and in practice across versions, but not specified so by
// ECMAScript). A replay is bit-identical on the same Node version; across
// Node versions a guest that uses FSIN/FCOS/FPTAN/FPATAN/F2XM1/FYL2X(P1)
// could in principle diverge (docs/platform.md). Results are double
// precision, not the 64-bit significands of a real x87.

import { IE, ZE, PE, C0, C1, C2, C3, INDEFINITE, type Fpu } from './fpu.js';
import { classify, fromDouble, fromBigInt, toDouble, roundToInteger, ldexp, type F80 } from './f80.js';
import { signal, SKIP } from './fpu-core.js';
import { finish, type Result } from './fpu-arith.js';

const BIAS = 16383;

const invalid = (f: Fpu): Result => (signal(f, IE) ? INDEFINITE : SKIP);

/** A double result of a function that is exact only in trivial cases. */
function approx(f: Fpu, r: number, exactIf: boolean): Result {
  if (Number.isNaN(r)) return invalid(f);
  return finish(f, r, false, exactIf);
}

export function fsqrt(f: Fpu, x: F80): Result {
  const a = toDouble(x);
  if (a < 0 || Object.is(a, -Infinity)) return invalid(f);
  const r = Math.sqrt(a);
  return finish(f, r, false, !Number.isFinite(r) || r === 0 || (r * r === a && Math.abs(r) >= 2 ** -500 && mulExact(r)));
}

/** r * r has no rounding error (Dekker's split). */
function mulExact(r: number): boolean {
  const t = 134217729 * r;
  const h = t - (t - r), l = r - h;
  const p = r * r;
  return ((h * h - p) + 2 * h * l) + l * l === 0;
}

export function frndint(f: Fpu, x: F80): Result {
  const c = classify(x);
  if (c !== 'normal' && c !== 'denormal') return x;
  if (x.exp - BIAS >= 63) return x; // already an integer
  const r = roundToInteger(x, (f.cw >> 10) & 3);
  f.sw &= ~C1;
  if (r.inexact) signal(f, PE);
  const v = fromBigInt(r.n);
  return r.n === 0n ? { sign: x.sign, exp: 0, mant: 0n } : v;
}

/** FSCALE: ST(0) * 2^trunc(ST(1)), exact while the extended exponent range holds it. */
export function fscale(f: Fpu, x: F80, y: F80): Result {
  const a = toDouble(x), b = toDouble(y);
  if (b === Infinity) return a === 0 ? invalid(f) : a > 0 ? Infinity : -Infinity;
  if (b === -Infinity) return Number.isFinite(a) ? (x.sign ? -0 : 0) : invalid(f);
  const n = Math.trunc(b);
  const c = classify(x);
  if (c === 'zero' || c === 'inf') return x;
  if (c === 'normal' && Math.abs(n) < 0x8000) {
    const e = x.exp + n;
    if (e >= 1 && e <= 0x7ffe) return { sign: x.sign, exp: e, mant: x.mant };
  }
  const r = ldexp(a, Math.max(-2200, Math.min(2200, n)));
  return finish(f, r, !Number.isFinite(r), r !== 0 && Number.isFinite(r));
}

/** FXTRACT: [exponent, significand]; zero gives ZE, -infinity and a signed zero. */
export function fxtract(f: Fpu, x: F80): [Result, Result] {
  const c = classify(x);
  if (c === 'zero') {
    if (!signal(f, ZE)) return [SKIP, SKIP];
    return [-Infinity, x];
  }
  if (c === 'inf') return [Infinity, x];
  let v = x;
  if (c === 'denormal') v = fromDouble(toDouble(x));
  return [v.exp - BIAS, { sign: v.sign, exp: BIAS, mant: v.mant }];
}

/**
 * FPREM (truncating quotient) / FPREM1 (nearest): the remainder in one step
 * (C2 = 0: complete), and the quotient's low three bits in C0, C3, C1.
 */
export function fprem(f: Fpu, x: F80, y: F80, nearest: boolean): Result {
  const a = toDouble(x), b = toDouble(y);
  if (!Number.isFinite(a) || b === 0) return invalid(f);
  if (!Number.isFinite(b) || a === 0) { setQuotient(f, 0n); return x; }
  let r = a % b; // exact
  let q = quotient(a, r, b);
  if (nearest) {
    const half = Math.abs(b) / 2, ar = Math.abs(r);
    if (ar > half || (ar === half && (q & 1n) === 1n)) {
      r = r - Math.sign(r) * Math.abs(b);
      q += 1n;
    }
  }
  setQuotient(f, q);
  return r === 0 ? (x.sign ? -0 : 0) : r;
}

/** |(a - r) / b| as an exact integer (low bits only matter). */
function quotient(a: number, r: number, b: number): bigint {
  const A = fromDouble(Math.abs(a)), R = fromDouble(Math.abs(r)), B = fromDouble(Math.abs(b));
  const lo = Math.min(A.exp, R.mant === 0n ? A.exp : R.exp, B.exp);
  const scaled = (v: F80): bigint => (v.mant === 0n ? 0n : v.mant << BigInt(v.exp - lo));
  return (scaled(A) - scaled(R)) / scaled(B);
}

function setQuotient(f: Fpu, q: bigint): void {
  const n = Number(q & 7n);
  f.sw &= ~(C0 | C1 | C2 | C3);
  if (n & 4) f.sw |= C0;
  if (n & 2) f.sw |= C3;
  if (n & 1) f.sw |= C1;
}

/** Trigonometric argument out of range (|x| >= 2^63): C2 = 1 and ST(0) unchanged. */
export function trigOutOfRange(f: Fpu, x: F80): boolean {
  const c = classify(x);
  const out = (c === 'normal' || c === 'denormal') && x.exp - BIAS >= 63;
  if (out) f.sw |= C2; else f.sw &= ~C2;
  return out;
}

export function trig(f: Fpu, x: F80, fn: 'sin' | 'cos' | 'tan'): Result {
  const a = toDouble(x);
  if (!Number.isFinite(a)) return invalid(f);
  const r = fn === 'sin' ? Math.sin(a) : fn === 'cos' ? Math.cos(a) : Math.tan(a);
  return approx(f, r, a === 0);
}

export function f2xm1(f: Fpu, x: F80): Result {
  const a = toDouble(x);
  if (a === -Infinity) return -1;
  return approx(f, Math.expm1(a * Math.LN2), a === 0 || a === 1 || a === -1);
}

/** FYL2X: y * log2(x); FYL2XP1: y * log2(1 + x). */
export function fyl2x(f: Fpu, x: F80, y: F80, plusOne: boolean): Result {
  const a = toDouble(x), b = toDouble(y);
  if (plusOne ? a < -1 : a < 0) return invalid(f);
  const l = plusOne ? Math.log1p(a) / Math.LN2 : Math.log2(a);
  if (l === -Infinity && b !== 0 && Number.isFinite(b) && !plusOne) {
    if (!signal(f, ZE)) return SKIP;
    return b > 0 ? -Infinity : Infinity;
  }
  const r = b * l;
  return approx(f, r, a === 1 || b === 0);
}

export function fpatan(f: Fpu, x: F80, y: F80): Result {
  return approx(f, Math.atan2(toDouble(y), toDouble(x)), false);
}

/** FXAM's class codes in C3 C2 C0, the sign in C1. */
export function fxamCodes(f: Fpu): void {
  f.sw &= ~(C0 | C1 | C2 | C3);
  if (f.isEmpty(0)) {
    f.sw |= C3 | C0;
    const v = f.get80(0);
    if (v.sign) f.sw |= C1;
    return;
  }
  const v = f.get80(0);
  if (v.sign) f.sw |= C1;
  const c = classify(v);
  f.sw |= c === 'nan' ? C0 : c === 'normal' ? C2 : c === 'inf' ? C2 | C0 : c === 'zero' ? C3 : c === 'denormal' ? C3 | C2 : 0;
}
