// Exact extended-precision arithmetic in software (BigInt): the one
// rounding step every x87 result goes through, and the four basic
// operations and the square root on finite values. A value here is
// sign * m * 2^q with m a non-negative BigInt and, when `sticky`, a little
// more (a nonzero part below m's last bit), so an operation computes enough
// exact bits and rounds once, as the x87 does.
//
// Rounding follows the control word: precision (24, 53 or 64 significant
// bits; the exponent range stays the extended one, as on the x87), the four
// rounding modes, tininess detected before rounding, masked overflow to
// infinity or the largest finite value by mode, masked underflow to a
// denormal, and for an unmasked overflow/underflow the result with its
// exponent adjusted by 24576 (the SDM's response for a register
// destination). The narrower memory formats use the same code with their
// own exponent range (fpu-mem.ts).

import type { F80 } from './f80.js';

export const BIAS = 16383;
const IE = 0x1, OE = 0x8, UE = 0x10, PE = 0x20;
export { IE };

/** The exponent range and precision of a destination format. */
export interface Format {
  /** Significant bits. */
  prec: number;
  /** Unbiased exponent of the smallest normal and of the largest finite value. */
  emin: number;
  emax: number;
}

export const EXTENDED: Format = { prec: 64, emin: 1 - BIAS, emax: BIAS };
const PC_FORMATS: Format[] = [
  { prec: 24, emin: 1 - BIAS, emax: BIAS },
  EXTENDED, // PC = 1 is reserved; the x87 (and QEMU) use extended precision
  { prec: 53, emin: 1 - BIAS, emax: BIAS },
  EXTENDED,
];
export const SINGLE: Format = { prec: 24, emin: -126, emax: 127 };
export const DOUBLE: Format = { prec: 53, emin: -1022, emax: 1023 };

/** Rounding state for one operation: inputs from the control word, outputs the flags and C1. */
export interface Ctx {
  fmt: Format;
  rc: number;
  /** Overflow/underflow masked (the masked responses apply). */
  maskOE: boolean;
  maskUE: boolean;
  /** Exception flags raised (status word bits). */
  flags: number;
  /** The result was rounded up in magnitude (C1). */
  up: boolean;
}

/** A context from the control word; `fmt` overrides precision control (FSCALE, conversions). */
export function ctxOf(cw: number, fmt?: Format): Ctx {
  return {
    fmt: fmt ?? PC_FORMATS[(cw >> 8) & 3], rc: (cw >> 10) & 3,
    maskOE: (cw & OE) !== 0, maskUE: (cw & UE) !== 0, flags: 0, up: false,
  };
}

/** Powers of two 2^0 .. 2^511 (BigInt shifts allocate; the tables do not). */
const POW2: bigint[] = Array.from({ length: 512 }, (_, k) => 1n << BigInt(k));
const SHIFT: bigint[] = Array.from({ length: 512 }, (_, k) => BigInt(k));
export const pow2 = (k: number): bigint => (k < 512 ? POW2[k] : 1n << BigInt(k));
const big = (k: number): bigint => (k < 512 ? SHIFT[k] : BigInt(k));

const scratch = new DataView(new ArrayBuffer(8));

/** Number of significant bits of m (0 for 0). */
export function bitlen(m: bigint): number {
  if (m < 0x100000000n) return 32 - Math.clz32(Number(m));
  scratch.setFloat64(0, Number(m)); // rounded: the exponent can be one too high
  const e = ((scratch.getUint16(0) >> 4) & 0x7ff) - 1023;
  if (e >= 1024) return bitlenSlow(m);
  return m < POW2[e] ? e : e + 1;
}

function bitlenSlow(m: bigint): number {
  let n = 0, x = m;
  while (x >= 0x10000000000000000n) { x >>= 64n; n += 64; }
  return n + bitlen(x);
}

export const zero = (sign: number): F80 => ({ sign, exp: 0, mant: 0n });
export const inf = (sign: number): F80 => ({ sign, exp: 0x7fff, mant: 1n << 63n });

/** A rounded finite value: sign * sig * 2^q (sig below 2^prec), or an overflow. */
export interface Rounded {
  sign: number;
  sig: bigint;
  q: number;
  /** Masked overflow: sig/q hold infinity (sig 0) or the largest finite value. */
  overflow: boolean;
  /** Unmasked overflow/underflow: the exponent adjustment applied (-24576 / +24576), else 0. */
  bias: number;
}

/** Should the kept part go up by one? `cmp` compares the dropped part with one half (-1, 0, 1). */
function roundsUp(rc: number, sign: number, odd: boolean, cmp: number): boolean {
  if (rc === 0) return cmp > 0 || (cmp === 0 && odd);
  if (rc === 1) return sign === 1;
  if (rc === 2) return sign === 0;
  return false;
}

/** Round sign * (m + sticky) * 2^q to the context's format (m > 0, or sticky). */
export function round(c: Ctx, sign: number, m: bigint, q: number, sticky: boolean): Rounded {
  const { prec, emin, emax } = c.fmt;
  let E = q + bitlen(m) - 1;
  let bias = 0;
  if (E < emin && !c.maskUE) { bias = 24576; q += bias; E += bias; }
  const Q = Math.max(E, emin) - (prec - 1);
  const shift = Q - q;
  let kept: bigint, cmp: number, inexact: boolean;
  if (shift <= 0) {
    kept = shift === 0 ? m : m << big(-shift);
    inexact = sticky;
    cmp = -1;
  } else {
    const b = big(shift);
    kept = m >> b;
    const rem = m - (kept << b), half = pow2(shift - 1);
    inexact = sticky || rem !== 0n;
    cmp = rem > half ? 1 : rem < half ? -1 : sticky ? 1 : 0;
  }
  let q2 = Q;
  const up = inexact && roundsUp(c.rc, sign, (kept & 1n) === 1n, cmp);
  if (up) {
    kept += 1n;
    if (kept === POW2[prec]) { kept = POW2[prec - 1]; q2++; }
  }
  if (inexact) c.flags |= PE;
  c.up = up;
  if (bias) c.flags |= UE;
  else if (E < emin && inexact) c.flags |= UE;
  // A normal result has prec bits; a denormal one fewer (or none).
  const top = E >= emin ? q2 + prec - 1 : kept === 0n ? emin - 1 : q2 + bitlen(kept) - 1;
  if (kept !== 0n && top > emax) {
    if (!c.maskOE) {
      c.flags |= OE;
      return { sign, sig: kept, q: q2 - 24576, overflow: false, bias: -24576 };
    }
    c.flags |= OE | PE;
    const toInf = c.rc === 0 || (c.rc === 1 && sign === 1) || (c.rc === 2 && sign === 0);
    c.up = toInf;
    const max = POW2[prec] - 1n;
    return { sign, sig: toInf ? 0n : max, q: emax - prec + 1, overflow: true, bias: 0 };
  }
  return { sign, sig: kept, q: q2, overflow: false, bias };
}

/** A rounded value as an 80-bit register value. */
export function pack80(r: Rounded): F80 {
  if (r.overflow && r.sig === 0n) return inf(r.sign);
  if (r.sig === 0n) return zero(r.sign);
  const len = bitlen(r.sig);
  const top = r.q + len - 1;
  if (top >= 1 - BIAS) return { sign: r.sign, exp: top + BIAS, mant: len === 64 ? r.sig : r.sig << big(64 - len) };
  return { sign: r.sign, exp: 0, mant: r.sig << big(r.q - (1 - BIAS - 63)) };
}

/** Round and pack to 80 bits. */
export function roundPack(c: Ctx, sign: number, m: bigint, q: number, sticky = false): F80 {
  if (m === 0n && !sticky) return zero(sign);
  return pack80(round(c, sign, m, q, sticky));
}

/** A finite extended value as sign, m, q (m = 0 for a zero). */
export interface Unpacked { sign: number; m: bigint; q: number }

export function unpack(v: F80): Unpacked {
  return { sign: v.sign, m: v.mant, q: (v.exp === 0 ? 1 : v.exp) - BIAS - 63 };
}

/** Exact sum of two finite nonzero-or-zero values, rounded. `rc` decides the sign of an exact zero. */
export function add(c: Ctx, a: Unpacked, b: Unpacked): F80 {
  if (a.m === 0n && b.m === 0n) return zero(a.sign === b.sign ? a.sign : c.rc === 1 ? 1 : 0);
  if (a.m === 0n) return roundPack(c, b.sign, b.m, b.q);
  if (b.m === 0n) return roundPack(c, a.sign, a.m, a.q);
  const ta = a.q + (a.m >= POW2[63] ? 64 : bitlen(a.m)), tb = b.q + (b.m >= POW2[63] ? 64 : bitlen(b.m));
  // Far apart: the smaller one only moves the larger by less than an ulp (a sticky part).
  if (ta - tb > 72 || tb - ta > 72) {
    const [big, small] = ta > tb ? [a, b] : [b, a];
    const m = big.m << 3n, q = big.q - 3;
    return small.sign === big.sign ? roundPack(c, big.sign, m, q, true) : roundPack(c, big.sign, m - 1n, q, true);
  }
  const q = Math.min(a.q, b.q);
  const A = a.q === q ? a.m : a.m << big(a.q - q), B = b.q === q ? b.m : b.m << big(b.q - q);
  const s = (a.sign ? -A : A) + (b.sign ? -B : B);
  if (s === 0n) return zero(c.rc === 1 ? 1 : 0);
  return s < 0n ? roundPack(c, 1, -s, q) : roundPack(c, 0, s, q);
}

export function mul(c: Ctx, a: Unpacked, b: Unpacked): F80 {
  const sign = a.sign ^ b.sign;
  if (a.m === 0n || b.m === 0n) return zero(sign);
  return roundPack(c, sign, a.m * b.m, a.q + b.q);
}

/** a / b, b nonzero. */
export function div(c: Ctx, a: Unpacked, b: Unpacked): F80 {
  const sign = a.sign ^ b.sign;
  if (a.m === 0n) return zero(sign);
  const k = Math.max(0, 68 + bitlen(b.m) - bitlen(a.m));
  const n = a.m << BigInt(k);
  const quo = n / b.m;
  return roundPack(c, sign, quo, a.q - k - b.q, quo * b.m !== n);
}

/** Integer square root (floor): Newton's iteration from a double estimate. */
export function isqrt(n: bigint): bigint {
  if (n < 0x10000000000000n) return BigInt(Math.floor(Math.sqrt(Number(n))));
  let s = bitlen(n) - 52;
  s += s & 1;
  let x = BigInt(Math.floor(Math.sqrt(Number(n >> BigInt(s))))) << BigInt(s >> 1);
  x = (x + n / x) >> 1n; // now at or above the root
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** sqrt(a), a finite and not negative (a zero keeps its sign). */
export function sqrt(c: Ctx, a: Unpacked): F80 {
  if (a.m === 0n) return zero(a.sign);
  let s = Math.max(0, 140 - bitlen(a.m));
  if ((a.q - s) & 1) s++;
  const n = a.m << BigInt(s);
  const r = isqrt(n);
  return roundPack(c, 0, r, (a.q - s) / 2, r * r !== n);
}
