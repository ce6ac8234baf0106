// x87 operations on ST(0) (and ST(1)) that are not plain arithmetic:
// square root, rounding, scaling, exponent extraction, partial remainders
// and the transcendental functions.
//
// FSQRT, FRNDINT, FSCALE, FXTRACT and FPREM/FPREM1 are exact (one rounding
// of the exact result, or none). The transcendentals are computed in BigInt
// fixed point (fpu-libm.ts) and rounded once: F2XM1, FYL2X, FYL2XP1 and
// FPATAN to 64 bits under RC; FSIN, FCOS, FPTAN and FSINCOS, as QEMU does,
// of the argument rounded to a double and to double precision. Integer code
// only, so replays give the same bits on every host and Node version.

import { IE, DE, ZE, PE, C0, C1, C2, C3, INDEFINITE, type Fpu } from './fpu.js';
import { classify, fromBigInt, roundToInteger, type F80 } from './f80.js';
import { signal, SKIP } from './fpu-core.js';
import { finish, type Result } from './fpu-arith.js';
import { BIAS, EXTENDED, DOUBLE, ctxOf, unpack, sqrt, round, roundPack, bitlen, inf, zero, type Ctx, type Unpacked } from './sf80.js';
import { trigApprox, f2xm1Approx, fyl2xApprox, fyl2xp1Approx, atan2Approx, PI_FIX, type Approx } from './fpu-libm.js';

const invalid = (f: Fpu): Result => (signal(f, IE) ? INDEFINITE : SKIP);

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

/** Round an approximation once to 64 bits under RC (precision control does not apply). */
function approxResult(f: Fpu, a: Approx, fmt = EXTENDED, rc?: number): F80 {
  const c = ctxOf(f.cw, fmt);
  if (rc !== undefined) c.rc = rc;
  return finish(f, c, roundPack(c, a.sign, a.n, a.q, true));
}

/** The argument as QEMU takes it for FSIN/FCOS/FPTAN: rounded to a double under RC. */
function trigArg(f: Fpu, x: F80): Unpacked & { sign: number } {
  const c = ctxOf(f.cw, DOUBLE);
  const u = unpack(x);
  const r = round(c, x.sign, u.m, u.q, false);
  return r.overflow && r.sig === 0n ? { sign: x.sign, m: 1n, q: 0x10000 } : { sign: x.sign, m: r.sig, q: r.q };
}

/** Trigonometric argument out of range (above 2^63 once rounded to a double): C2 = 1 and ST(0) unchanged. */
export function trigOutOfRange(f: Fpu, x: F80): boolean {
  const c = classify(x);
  let out = false;
  if ((c === 'normal' || c === 'denormal') && x.exp - BIAS >= 63) {
    const d = trigArg(f, x);
    const len = bitlen(d.m);
    out = d.q + len - 1 > 63 || (d.q + len - 1 === 63 && d.m !== 1n << BigInt(len - 1));
  }
  if (out) f.sw |= C2; else f.sw &= ~C2;
  return out;
}

/**
 * FSIN, FCOS, FPTAN: as QEMU does, the function of the argument rounded to
 * a double, correctly rounded to a double (fpu-libm.ts). An infinity is an
 * invalid operation (the SDM; QEMU sets C2 and leaves it).
 */
export function trig(f: Fpu, x: F80, fn: 'sin' | 'cos' | 'tan'): Result {
  const c = classify(x);
  if (c === 'inf') return invalid(f);
  if (c === 'zero') return fn === 'cos' ? ONE : x;
  if (!denormalOk(f, x)) return SKIP;
  const d = trigArg(f, x);
  if (d.m === 0n) return fn === 'cos' ? ONE : zero(x.sign);
  return approxResult(f, trigApprox(d, fn), DOUBLE, 0);
}

const ONE: F80 = { sign: 0, exp: BIAS, mant: 1n << 63n };

/** F2XM1: 2^x - 1 for |x| <= 1; a finite argument beyond that is invalid (as QEMU; the SDM leaves it undefined). */
export function f2xm1(f: Fpu, x: F80): Result {
  const c = classify(x);
  if (c === 'zero') return x;
  if (c === 'inf') return x.sign ? { sign: 1, exp: BIAS, mant: 1n << 63n } : x;
  if (x.exp > BIAS || (x.exp === BIAS && x.mant !== 1n << 63n)) return invalid(f);
  if (x.exp === BIAS) return x.sign ? { sign: 1, exp: BIAS - 1, mant: 1n << 63n } : x;
  if (!denormalOk(f, x)) return SKIP;
  return approxResult(f, f2xm1Approx({ ...unpack(x), sign: x.sign }));
}

/** Is v (finite, positive) exactly 1, and is it a power of two? */
const isPow2 = (v: F80): boolean => v.mant !== 0n && (v.mant & (v.mant - 1n)) === 0n;

/** FYL2X: y * log2(x); FYL2XP1: y * log2(1 + x) (|x| below 1 - sqrt(2)/2 ... sqrt(2) - 1, as QEMU allows). */
export function fyl2x(f: Fpu, x: F80, y: F80, plusOne: boolean): Result {
  return plusOne ? yl2xp1(f, x, y) : yl2x(f, x, y);
}

function yl2x(f: Fpu, x: F80, y: F80): Result {
  const cx = classify(x), cy = classify(y);
  if (x.sign && cx !== 'zero') return invalid(f);
  if (cx === 'zero') {
    if (cy === 'zero') return invalid(f);
    if (cy !== 'inf' && !signal(f, ZE)) return SKIP;
    return inf(y.sign ^ 1);
  }
  if (cx === 'inf') return cy === 'zero' ? invalid(f) : inf(y.sign);
  const below1 = x.exp < BIAS;
  const isOne = x.exp === BIAS && x.mant === 1n << 63n;
  if (cy === 'inf') return isOne ? invalid(f) : inf(y.sign ^ (below1 ? 1 : 0));
  if (cy === 'zero' || isOne) return zero(y.sign ^ (below1 ? 1 : 0));
  if (!denormalOk(f, x, y)) return SKIP;
  if (isPow2(x)) { // log2(x) is an integer: one rounding of y * e
    const u = unpack(x);
    const e = u.q + bitlen(u.m) - 1;
    const c = ctxOf(f.cw, EXTENDED);
    const yu = unpack(y);
    const n = BigInt(e < 0 ? -e : e);
    return finish(f, c, roundPack(c, y.sign ^ (e < 0 ? 1 : 0), yu.m * n, yu.q));
  }
  return approxResult(f, fyl2xApprox(unpack(x), { ...unpack(y), sign: y.sign }));
}

function yl2xp1(f: Fpu, x: F80, y: F80): Result {
  const cx = classify(x), cy = classify(y);
  const bound = x.sign ? 0x95f619980c4336f7n : 0xd413cccfe7799211n;
  if (x.exp > BIAS - 2 || (x.exp === BIAS - 2 && x.mant > bound)) return invalid(f);
  if (cx === 'zero' || cy === 'zero' || cy === 'inf') {
    if (cy === 'inf' && cx === 'zero') return invalid(f);
    return cy === 'inf' ? inf(x.sign ^ y.sign) : zero(x.sign ^ y.sign);
  }
  if (!denormalOk(f, x, y)) return SKIP;
  return approxResult(f, fyl2xp1Approx({ ...unpack(x), sign: x.sign }, { ...unpack(y), sign: y.sign }));
}

/** FPATAN: the angle of (x, y) = (ST(0), ST(1)), with the SDM's results for zeros and infinities. */
export function fpatan(f: Fpu, x: F80, y: F80): Result {
  const cx = classify(x), cy = classify(y);
  const k = (v: bigint): Approx => ({ sign: y.sign, n: v, q: -PI_FIX.P });
  if (cy === 'zero') return x.sign ? approxResult(f, k(PI_FIX.pi)) : y;
  if (cy === 'inf') return approxResult(f, k(cx === 'inf' ? (x.sign ? PI_FIX.pi34 : PI_FIX.pio4) : PI_FIX.pio2));
  if (cx === 'zero') return approxResult(f, k(PI_FIX.pio2));
  if (cx === 'inf') return x.sign ? approxResult(f, k(PI_FIX.pi)) : zero(y.sign);
  if (!denormalOk(f, x, y)) return SKIP;
  return approxResult(f, atan2Approx({ ...unpack(y), sign: y.sign }, { ...unpack(x), sign: x.sign }));
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
