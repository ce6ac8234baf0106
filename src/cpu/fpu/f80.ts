// 80-bit extended-precision values as (sign, biased exponent, 64-bit
// significand with explicit integer bit), and their conversions to and from
// JS doubles and the memory formats. The FPU computes in doubles (fpu.ts
// explains the precision model); these conversions are exact where the
// target can hold the value and round to nearest-even where it cannot.

/** An extended value: sign 0/1, exponent 0..0x7fff, significand as a 64-bit BigInt. */
export interface F80 {
  sign: number;
  exp: number;
  mant: bigint;
}

const BIAS = 16383;
const TOP = 1n << 63n;
const M64 = (1n << 64n) - 1n;

const scratch = new DataView(new ArrayBuffer(8));

/** The x87 "real indefinite": the QNaN an invalid operation returns when IE is masked. */
export const INDEFINITE: F80 = { sign: 1, exp: 0x7fff, mant: 0xc000000000000000n };

/** Double bits as [lo, hi] 32-bit halves. */
export function doubleBits(x: number): [number, number] {
  scratch.setFloat64(0, x, true);
  return [scratch.getUint32(0, true), scratch.getUint32(4, true)];
}

export function bitsToDouble(lo: number, hi: number): number {
  scratch.setUint32(0, lo >>> 0, true);
  scratch.setUint32(4, hi >>> 0, true);
  return scratch.getFloat64(0, true);
}

export function floatBits(x: number): number {
  scratch.setFloat32(0, x, true);
  return scratch.getUint32(0, true);
}

export function bitsToFloat(b: number): number {
  scratch.setUint32(0, b >>> 0, true);
  return scratch.getFloat32(0, true);
}

/** Shift right by `n` bits, rounding to nearest, ties to even. */
function roundShift(m: bigint, n: number): bigint {
  if (n <= 0) return m << BigInt(-n);
  if (n > 70) return 0n;
  const b = BigInt(n);
  const q = m >> b;
  const rem = m & ((1n << b) - 1n);
  const half = 1n << (b - 1n);
  return rem > half || (rem === half && (q & 1n) === 1n) ? q + 1n : q;
}

/** The exact extended value of a double (every double is one). */
export function fromDouble(x: number): F80 {
  const [lo, hi] = doubleBits(x);
  const sign = hi >>> 31;
  const e = (hi >>> 20) & 0x7ff;
  if (e !== 0 && e !== 0x7ff) return { sign, exp: e - 1023 + BIAS, mant: significand(Math.abs(x), 63 - (e - 1023)) };
  const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (e === 0x7ff) return frac === 0n ? { sign, exp: 0x7fff, mant: TOP } : { sign, exp: 0x7fff, mant: TOP | (1n << 62n) | (frac << 11n) };
  if (e === 0) {
    if (frac === 0n) return { sign, exp: 0, mant: 0n };
    // A double denormal is a normal extended number.
    const len = frac.toString(2).length; // msb at len - 1
    return { sign, exp: BIAS - 1074 + len - 1, mant: frac << BigInt(64 - len) };
  }
  return { sign, exp: e - 1023 + BIAS, mant: significand(Math.abs(x), 63 - (e - 1023)) };
}

/** a * 2^k as a BigInt: the 64-bit significand of a normal double, an integer a double holds exactly. */
function significand(a: number, k: number): bigint {
  return BigInt(k > 1000 ? a * 2 ** (k - 1000) * 2 ** 1000 : a * 2 ** k);
}

/** Classes the x87 tells apart (FXAM, the tag word, operand checks). */
export type F80Class = 'zero' | 'normal' | 'denormal' | 'inf' | 'nan' | 'unsupported';

export function classify(v: F80): F80Class {
  const int = (v.mant & TOP) !== 0n;
  if (v.exp === 0x7fff) {
    if (!int) return 'unsupported'; // pseudo-infinity, pseudo-NaN
    return (v.mant & ~TOP) === 0n ? 'inf' : 'nan';
  }
  if (v.exp === 0) return v.mant === 0n ? 'zero' : 'denormal'; // incl. pseudo-denormals
  return int ? 'normal' : 'unsupported'; // unnormals
}

/** A signalling NaN (quiet bit 62 clear). */
export function isSignalling(v: F80): boolean {
  return classify(v) === 'nan' && (v.mant & (1n << 62n)) === 0n;
}

/** The nearest double (ties to even); NaNs keep sign and the top payload bits; unsupported encodings give NaN. */
export function toDouble(v: F80): number {
  const c = classify(v);
  if (c === 'zero') return v.sign ? -0 : 0;
  if (c === 'inf') return v.sign ? -Infinity : Infinity;
  if (c === 'nan' || c === 'unsupported') {
    const frac = (v.mant >> 11n) & ((1n << 51n) - 1n);
    const hi = ((v.sign << 31) | 0x7ff80000 | Number(frac >> 32n)) >>> 0;
    return bitsToDouble(Number(frac & 0xffffffffn), hi);
  }
  // value = mant * 2^k; a pseudo-denormal has exponent 1's scale.
  let k = (v.exp === 0 ? 1 : v.exp) - BIAS - 63;
  let m = v.mant;
  const msb = m.toString(2).length - 1;
  // Below the double normal range, round once at 2^-1074 instead of twice.
  if (k + msb < -1022) {
    const shift = -1074 - k;
    m = roundShift(m, shift);
    k = -1074;
  }
  const r = ldexp(Number(m), k);
  return v.sign ? -r : r;
}

/** x * 2^k without intermediate overflow or double rounding (x has at most 53 significant bits). */
export function ldexp(x: number, k: number): number {
  while (k > 1000) { x *= 2 ** 1000; k -= 1000; if (!Number.isFinite(x)) return x; }
  while (k < -1000) { x *= 2 ** -1000; k += 1000; }
  return x * 2 ** k;
}

/** The double that is exactly `v`, or null (NaNs, which keep their 80-bit bits, and values a double cannot hold). */
export function exactDouble(v: F80): number | null {
  if (v.exp === 0x7fff) return v.mant === TOP ? (v.sign ? -Infinity : Infinity) : null;
  if (v.mant === 0n) return v.exp === 0 ? (v.sign ? -0 : 0) : null;
  if (v.exp === 0 || (v.mant & TOP) === 0n) return null; // 80-bit denormals, unnormals
  const e = v.exp - BIAS;
  if (e > 1023 || e < -1075) return null;
  if (e >= -1022) {
    if ((v.mant & 0x7ffn) !== 0n) return null;
    const r = ldexp(Number(v.mant >> 11n), e - 52);
    return v.sign ? -r : r;
  }
  const d = toDouble(v); // the double denormal range
  return sameValue(v, d) ? d : null;
}

/** Is the double `x` exactly the extended value `v`? */
export function sameValue(v: F80, x: number): boolean {
  const w = fromDouble(x);
  return w.sign === v.sign && w.exp === v.exp && w.mant === v.mant;
}

/** 80-bit memory image (10 bytes, little-endian) into bytes[off..off+9]. */
export function writeBytes(v: F80, bytes: Uint8Array, off: number): void {
  let m = v.mant & M64;
  for (let k = 0; k < 8; k++) { bytes[off + k] = Number(m & 0xffn); m >>= 8n; }
  const se = (v.sign << 15) | v.exp;
  bytes[off + 8] = se & 0xff;
  bytes[off + 9] = se >>> 8;
}

export function readBytes(bytes: Uint8Array, off: number): F80 {
  let m = 0n;
  for (let k = 7; k >= 0; k--) m = (m << 8n) | BigInt(bytes[off + k]);
  const se = bytes[off + 8] | (bytes[off + 9] << 8);
  return { sign: se >>> 15, exp: se & 0x7fff, mant: m };
}

/** The extended value of an integer (exact: |n| < 2^64). */
export function fromBigInt(n: bigint): F80 {
  if (n === 0n) return { sign: 0, exp: 0, mant: 0n };
  const sign = n < 0n ? 1 : 0;
  const a = n < 0n ? -n : n;
  const len = a.toString(2).length;
  return { sign, exp: BIAS + len - 1, mant: a << BigInt(64 - len) };
}

/** Rounding control (FPU control word bits 10-11). */
export const RC_NEAREST = 0, RC_DOWN = 1, RC_UP = 2, RC_ZERO = 3;

/** Round a finite extended value to an integer under `rc`; `inexact` reports whether it changed. */
export function roundToInteger(v: F80, rc: number): { n: bigint; inexact: boolean } {
  if (v.mant === 0n) return { n: 0n, inexact: false };
  const e = (v.exp === 0 ? 1 : v.exp) - BIAS; // value = mant * 2^(e - 63)
  const shift = 63 - e;
  let q: bigint, rem: bigint, half: bigint, any: boolean;
  if (shift <= 0) {
    q = v.mant << BigInt(-shift); // an integer already (callers range-check it)
    rem = 0n; half = 1n; any = false;
  } else if (shift > 64) {
    q = 0n; rem = 1n; half = 2n; any = true; // below one half
  } else {
    const b = BigInt(shift);
    q = v.mant >> b;
    rem = v.mant & ((1n << b) - 1n);
    half = 1n << (b - 1n);
    any = rem !== 0n;
  }
  if (any) {
    const up = rc === RC_NEAREST ? rem > half || (rem === half && (q & 1n) === 1n)
      : rc === RC_UP ? v.sign === 0 : rc === RC_DOWN ? v.sign === 1 : false;
    if (up) q += 1n;
  }
  return { n: v.sign ? -q : q, inexact: any };
}

/** The integer value of an extended value known to be an integer below 2^64 in magnitude. */
export function toBigIntExact(v: F80): bigint {
  return roundToInteger(v, RC_ZERO).n;
}
