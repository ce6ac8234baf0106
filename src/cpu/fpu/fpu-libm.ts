// High-precision elementary functions in BigInt fixed point, for the x87
// transcendental instructions: results carry about 190 correct bits and are
// then rounded once (sf80.ts), so they are correctly rounded but for
// astronomically rare cases. Pure integer arithmetic: the same bits on
// every host and Node version (the JS Math functions promise no such thing).
//
// A fixed-point value F stands for F / 2^P. Each function returns the
// exact-enough result as sign * n * 2^q (n a BigInt), for roundPack with a
// sticky bit: none of these results is exact (callers handle the exact
// special cases first).

import { bitlen, isqrt, type Unpacked } from './sf80.js';

const P = 200;
const ONE = 1n << BigInt(P);
/** Extra bits for the constants used in argument reduction (|x| up to 2^64). */
const W = P + 80;

/** a * 2^n for any integer n (floor for negative n). */
export const shl = (a: bigint, n: number): bigint => (n >= 0 ? a << BigInt(n) : a >> BigInt(-n));

/** atan(1/n) with `bits` fractional bits. */
function atanInv(n: bigint, bits: number): bigint {
  const one = 1n << BigInt(bits + 8);
  let pow = one / n, sum = 0n, k = 0n;
  const n2 = n * n;
  while (pow !== 0n) {
    const term = pow / (2n * k + 1n);
    sum += k & 1n ? -term : term;
    pow /= n2;
    k++;
  }
  return sum >> 8n;
}

/** pi (Machin) and ln 2 (2 atanh(1/3)) with W fractional bits. */
const PI_W = 16n * atanInv(5n, W) - 4n * atanInv(239n, W);
const LN2_W = ((): bigint => {
  const one = 1n << BigInt(W + 8);
  let pow = one / 3n, sum = 0n, k = 0n;
  while (pow !== 0n) { sum += pow / (2n * k + 1n); pow /= 9n; k++; }
  return (2n * sum) >> 8n;
})();
const PI = PI_W >> BigInt(W - P);
const PIO2 = PI >> 1n;
const LN2 = LN2_W >> BigInt(W - P);

/** pi, pi/2, pi/4, 3pi/4 with P fractional bits (FPATAN's special results). */
export const PI_FIX = { pi: PI, pio2: PIO2, pio4: PI >> 2n, pi34: (3n * PI) >> 2n, P };

const mulF = (a: bigint, b: bigint): bigint => (a * b) >> BigInt(P);

/** Sum of c_k t^k for a series with term ratio t / r(k) (r(k) the integer factor). */
function series(t: bigint, ratio: (k: bigint) => bigint, alternate: boolean, first = ONE): bigint {
  let term = first, sum = first, k = 1n;
  while (term !== 0n) {
    term = mulF(term, t) / ratio(k);
    sum += alternate && (k & 1n) ? -term : term;
    k++;
  }
  return sum;
}

/** sin(x)/x, cos(x) with t = x^2 (fixed). */
const sinc = (t: bigint): bigint => series(t, (k) => 2n * k * (2n * k + 1n), true);
const cosf = (t: bigint): bigint => series(t, (k) => 2n * k * (2n * k - 1n), true);
/** atan(x)/x and atanh(x)/x with t = x^2: sum of (-+)t^k / (2k+1). */
function oddSeries(t: bigint, alternate: boolean): bigint {
  let pow = ONE, sum = ONE, k = 1n;
  while (pow !== 0n) {
    pow = mulF(pow, t);
    const term = pow / (2n * k + 1n);
    sum += alternate && (k & 1n) ? -term : term;
    k++;
  }
  return sum;
}
/** (e^t - 1)/t. */
const expm1c = (t: bigint): bigint => series(t, (k) => k + 1n, false);

/** The square of u = m * 2^q as a fixed-point value. */
const sqFix = (u: Unpacked): bigint => shl(u.m * u.m, 2 * u.q + P);

/** A result: sign * n * 2^q, inexact. */
export interface Approx { sign: number; n: bigint; q: number }

const fixed = (v: bigint): Approx => (v < 0n ? { sign: 1, n: -v, q: -P } : { sign: 0, n: v, q: -P });

/**
 * sin, cos or tan of a finite nonzero double-valued x (|x| <= 2^63), as
 * QEMU computes FSIN/FCOS/FPTAN: of the argument rounded to a double, to
 * double precision (the caller rounds to 53 bits).
 */
export function trigApprox(x: Unpacked, fn: 'sin' | 'cos' | 'tan'): Approx {
  const top = x.q + bitlen(x.m); // |x| < 2^top
  let s: bigint, c: bigint, relative = false;
  if (top <= -1) { // |x| < 1/2: no reduction; sin and tan keep relative precision for tiny x
    const t = sqFix(x);
    s = sinc(t); // sin(x) = x * s
    c = cosf(t);
    relative = true;
  } else {
    const X = shl(x.m, x.q + W);
    const PIO2_W = PI_W >> 1n;
    const k = (X + (PIO2_W >> 1n)) / PIO2_W;
    const r = shl(X - k * PIO2_W, P - W);
    const t = mulF(r, r);
    const sr = mulF(r, sinc(t)), cr = cosf(t);
    const quad = Number(k & 3n);
    s = [sr, cr, -sr, -cr][quad];
    c = [cr, -sr, -cr, sr][quad];
  }
  if (fn === 'cos') return fixed(c);
  if (relative) {
    // x * s (or x * s / c): keep x's exact significand.
    const n = fn === 'sin' ? x.m * s : (x.m * s << BigInt(P)) / c;
    return { sign: x.sign, n, q: x.q - P };
  }
  const v = fn === 'sin' ? s : (s << BigInt(P)) / c;
  const r = fixed(v);
  return { ...r, sign: r.sign ^ x.sign };
}

/** 2^x - 1 for finite nonzero |x| < 1. */
export function f2xm1Approx(x: Unpacked & { sign: number }): Approx {
  const v = x.m * LN2_W; // |x| ln 2 = v * 2^(q - W)
  const t = shl(v, x.q - W + P);
  const e = expm1c(x.sign ? -t : t);
  return { sign: x.sign, n: v * e, q: x.q - W - P };
}

/** ln(f) / ln 2 as fixed point, for f = m * 2^q in [sqrt(2)/2, sqrt(2)]. */
function log2Near1(m: bigint, q: number): bigint {
  const F = shl(m, q + P);
  const u = ((F - ONE) << BigInt(P)) / (F + ONE);
  const ln = 2n * mulF(u, oddSeries(mulF(u, u), false));
  return (ln << BigInt(P)) / LN2;
}

/** y * log2(x) for finite positive x (not a power of two) and finite nonzero y. */
export function fyl2xApprox(x: Unpacked, y: Unpacked & { sign: number }): Approx {
  const len = bitlen(x.m);
  let e = x.q + len - 1; // x = 2^e * f, f in [1, 2)
  let fq = -(len - 1);
  // f above sqrt(2): use f / 2 (m^2 > 2^(2 len - 1) compares f^2 with 2).
  if (x.m * x.m > 1n << BigInt(2 * len - 1)) { e++; fq--; }
  const total = (BigInt(e) << BigInt(P)) + log2Near1(x.m, fq);
  const sign = y.sign ^ (total < 0n ? 1 : 0);
  return { sign, n: y.m * (total < 0n ? -total : total), q: y.q - P };
}

/** y * log2(1 + x) for finite nonzero x (|x| < 0.42) and y. */
export function fyl2xp1Approx(x: Unpacked & { sign: number }, y: Unpacked & { sign: number }): Approx {
  const X = shl(x.m, x.q + P);
  const R = (ONE << BigInt(P)) / (2n * ONE + (x.sign ? -X : X)); // 1 / (2 + x)
  const u2 = mulF(mulF(sqFix(x), R), R); // (x / (2 + x))^2
  const A = 2n * mulF(R, oddSeries(u2, false)); // ln(1 + x) / x
  const K = 64;
  return { sign: x.sign ^ y.sign, n: ((y.m * x.m * A) << BigInt(K)) / LN2, q: x.q + y.q - K };
}

/**
 * atan2(y, x) for finite nonzero x and y: the angle of (x, y), in
 * (-pi, pi], with y's sign.
 */
export function atan2Approx(y: Unpacked & { sign: number }, x: Unpacked & { sign: number }): Approx {
  const ty = y.q + bitlen(y.m), tx = x.q + bitlen(x.m);
  const swap = ty > tx || (ty === tx && shl(y.m, y.q - Math.min(x.q, y.q)) > shl(x.m, x.q - Math.min(x.q, y.q)));
  const [num, den] = swap ? [x, y] : [y, x];
  const shift = num.q - den.q + P;
  if (!swap && x.sign === 0 && shift < P - 20) {
    // atan(a) = a * T(a^2) for a = y / x below 2^-20: keep a's relative precision.
    const a2 = shl(num.m * num.m * ONE * ONE / (den.m * den.m), 2 * (num.q - den.q) - P);
    const T = oddSeries(a2, true);
    const K = 70;
    return { sign: y.sign, n: ((num.m * T) << BigInt(K)) / den.m, q: num.q - den.q - P - K };
  }
  let a = shift >= 0 ? (num.m << BigInt(shift)) / den.m : 0n;
  let halvings = 0;
  while (a > ONE / 5n) { // atan(a) = 2 atan(a / (1 + sqrt(1 + a^2)))
    a = (a << BigInt(P)) / (ONE + isqrt(ONE * ONE + a * a));
    halvings++;
  }
  let r = mulF(a, oddSeries(mulF(a, a), true)) << BigInt(halvings);
  if (swap) r = PIO2 - r;
  if (x.sign) r = PI - r;
  return { sign: y.sign, n: r, q: -P };
}
