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

import { IE, DE, ZE, PE, C0, C1, C2, C3, INDEFINITE, type Fpu } from './fpu.js';
import { classify, fromDouble, fromBigInt, toDouble, roundToInteger, type F80 } from './f80.js';
import { signal, SKIP } from './fpu-core.js';
import { finish, type Result } from './fpu-arith.js';
import { BIAS, EXTENDED, ctxOf, unpack, sqrt, roundPack, bitlen, inf, zero, type Ctx } from './sf80.js';

const invalid = (f: Fpu): Result => (signal(f, IE) ? INDEFINITE : SKIP);

/** A double result of a function that is exact only in trivial cases. */
function approx(f: Fpu, r: number, exactIf: boolean): Result {
  if (Number.isNaN(r)) return invalid(f);
  const c = ctxOf(f.cw, EXTENDED);
  if (!exactIf && Number.isFinite(r) && r !== 0) c.flags |= PE;
  return finish(f, c, fromDouble(r));
}

/** DE for a denormal operand; false when it is unmasked (the instruction stops). */
const denormalOk = (f: Fpu, ...v: F80[]): boolean => !v.some((x) => classify(x) === 'denormal') || signal(f, DE);

/** FSQRT, rounded under precision and rounding control. */
export function fsqrt(f: Fpu, x: F80): Result {
  const c0 = classify(x);
  if (c0 === 'zero') return x;
  if (x.sign) return invalid(f);
  if (c0 === 'inf') return x;
  if (!denormalOk(f, x)) return SKIP;
  const c = ctxOf(f.cw);
  return finish(f, c, sqrt(c, unpack(x)));
}

/** FRNDINT: round to an integer under RC (exact; PE and C1 when it changed). */
export function frndint(f: Fpu, x: F80): Result {
  const c = classify(x);
  if (c !== 'normal' && c !== 'denormal') return x;
  if (!denormalOk(f, x)) return SKIP;
  f.sw &= ~C1;
  if (x.exp - BIAS >= 63) return x; // already an integer
  const r = roundToInteger(x, (f.cw >> 10) & 3);
  if (r.inexact) {
    const t = roundToInteger(x, 3).n;
    if ((r.n < 0n ? -r.n : r.n) > (t < 0n ? -t : t)) f.sw |= C1;
    signal(f, PE);
  }
  return r.n === 0n ? zero(x.sign) : { ...fromBigInt(r.n), sign: x.sign };
}

/** FSCALE: ST(0) * 2^trunc(ST(1)), rounded to 64 bits under RC (precision control does not apply). */
export function fscale(f: Fpu, x: F80, y: F80): Result {
  const cx = classify(x), cy = classify(y);
  if (cy === 'inf') {
    if (y.sign) return cx === 'inf' ? invalid(f) : zero(x.sign);
    return cx === 'zero' ? invalid(f) : inf(x.sign);
  }
  if (!denormalOk(f, x, y)) return SKIP;
  if (cx === 'zero' || cx === 'inf') return x;
  const t = roundToInteger(y, 3).n;
  const n = Number(t > 0x10000n ? 0x10000n : t < -0x10000n ? -0x10000n : t);
  const u = unpack(x);
  const c = ctxOf(f.cw, EXTENDED);
  return finish(f, c, roundPack(c, x.sign, u.m, u.q + n));
}

/** FXTRACT: [exponent, significand]; zero gives ZE, -infinity and the zero. */
export function fxtract(f: Fpu, x: F80): [Result, Result] {
  const c = classify(x);
  if (c === 'zero') {
    if (!signal(f, ZE)) return [SKIP, SKIP];
    return [inf(1), x];
  }
  if (c === 'inf') return [inf(0), x];
  if (!denormalOk(f, x)) return [SKIP, SKIP];
  const len = bitlen(x.mant);
  const e = (x.exp === 0 ? 1 : x.exp) - BIAS - (64 - len);
  return [fromBigInt(BigInt(e)), { sign: x.sign, exp: BIAS, mant: x.mant << BigInt(64 - len) }];
}

/**
 * FPREM (truncating quotient) / FPREM1 (nearest): exact. When the exponents
 * differ by 64 or more, a partial remainder (C2 = 1) reduces ST(0) by
 * ST(1) * 2^(d - n), n = 32 + d mod 32, as the AMD manuals specify and Intel
 * parts do; otherwise the remainder is complete (C2 = 0) and C0, C3, C1
 * hold the quotient's low three bits.
 */
export function fprem(f: Fpu, x: F80, y: F80, nearest: boolean): Result {
  const cx = classify(x), cy = classify(y);
  f.sw &= ~(C0 | C1 | C2 | C3);
  if (cx === 'inf' || cy === 'zero') return invalid(f);
  if (!denormalOk(f, x, y)) return SKIP;
  if (cy === 'inf' || cx === 'zero') return x;
  const a = unpack(x), b = unpack(y);
  const d = (a.q + bitlen(a.m)) - (b.q + bitlen(b.m));
  const c = ctxOf(f.cw, EXTENDED);
  if (d >= 64) {
    const n = 32 + (d % 32);
    const shift = d - n; // divide by y * 2^shift, truncating
    const q = Math.min(a.q, b.q + shift);
    const A = a.m << BigInt(a.q - q), B = b.m << BigInt(b.q + shift - q);
    f.sw |= C2;
    return remainder(f, c, x.sign, A % B, q);
  }
  if (d < -1) { setQuotient(f, 0n); return x; }
  const q = Math.min(a.q, b.q);
  const A = a.m << BigInt(a.q - q), B = b.m << BigInt(b.q - q);
  let quo = A / B, r = A - quo * B, sign = x.sign;
  if (nearest && (2n * r > B || (2n * r === B && (quo & 1n) === 1n))) {
    quo += 1n;
    r = B - r;
    sign ^= 1;
  }
  setQuotient(f, quo);
  if (r === 0n) return zero(x.sign);
  return remainder(f, c, sign, r, q);
}

/** An exact remainder (a denormal one may raise UE); C0-C3 are the quotient's. */
function remainder(f: Fpu, c: Ctx, sign: number, m: bigint, q: number): F80 {
  if (m === 0n) return zero(sign);
  const r = roundPack(c, sign, m, q);
  if (c.flags) signal(f, c.flags);
  return r;
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
