// x87 memory operands: real (32/64/80-bit), integer (16/32/64-bit) and
// packed BCD (80-bit) loads and stores, with the exceptions each raises.
// Stores check the whole destination first (wlin), so a fault writes nothing.

import type { Cpu } from '../cpu.js';
import { rd8, rd16, rd32, wlin } from '../mem-access.js';
import { lwr16, lwr32 } from '../ops/operands.js';
import { IE, DE, OE, UE, PE, C1, type Fpu, type Operand } from './fpu.js';
import {
  classify, fromDouble, fromBigInt, roundToInteger, isSignalling, bitsToDouble, bitsToFloat,
  doubleBits, floatBits, type F80,
} from './f80.js';
import { signal, quiet, SKIP } from './fpu-core.js';
import { SINGLE, DOUBLE, ctxOf, unpack, round, bitlen, type Format, type Rounded } from './sf80.js';

const TOP = 1n << 63n;

/** A NaN from a narrower format: payload at the top of the significand. */
function nanFrom(sign: number, frac: bigint, fracBits: number): F80 {
  return { sign, exp: 0x7fff, mant: TOP | (frac << BigInt(63 - fracBits)) };
}

/** After loading a NaN: a signalling one raises IE and is quieted. */
function loadedNan(f: Fpu, v: F80): F80 | typeof SKIP {
  if (!isSignalling(v)) return v;
  return signal(f, IE) ? quiet(v) : SKIP;
}

export function loadReal32(cpu: Cpu, seg: number, off: number): Operand | typeof SKIP {
  const b = rd32(cpu, seg, off) >>> 0;
  const e = (b >>> 23) & 0xff, frac = b & 0x7fffff;
  if (e === 0xff && frac !== 0) return loadedNan(cpu.fpu, nanFrom(b >>> 31, BigInt(frac), 23));
  if (e === 0 && frac !== 0 && !signal(cpu.fpu, DE)) return SKIP;
  return bitsToFloat(b);
}

export function loadReal64(cpu: Cpu, seg: number, off: number): Operand | typeof SKIP {
  const lo = rd32(cpu, seg, off) >>> 0, hi = rd32(cpu, seg, off + 4) >>> 0;
  const e = (hi >>> 20) & 0x7ff, fracHi = hi & 0xfffff;
  if (e === 0x7ff && (fracHi | lo) !== 0) return loadedNan(cpu.fpu, nanFrom(hi >>> 31, (BigInt(fracHi) << 32n) | BigInt(lo), 52));
  if (e === 0 && (fracHi | lo) !== 0 && !signal(cpu.fpu, DE)) return SKIP;
  return bitsToDouble(lo, hi);
}

export function loadReal80(cpu: Cpu, seg: number, off: number): F80 {
  const lo = BigInt(rd32(cpu, seg, off) >>> 0), hi = BigInt(rd32(cpu, seg, off + 4) >>> 0);
  const se = rd16(cpu, seg, off + 8);
  return { sign: se >>> 15, exp: se & 0x7fff, mant: (hi << 32n) | lo };
}

export function loadInt(cpu: Cpu, seg: number, off: number, bytes: 2 | 4 | 8): Operand {
  if (bytes === 2) return (rd16(cpu, seg, off) << 16) >> 16;
  if (bytes === 4) return rd32(cpu, seg, off);
  const lo = rd32(cpu, seg, off) >>> 0, hi = rd32(cpu, seg, off + 4);
  const n = hi * 0x100000000 + lo;
  if (Number.isSafeInteger(n)) return n;
  return fromBigInt((BigInt(hi) << 32n) | BigInt(lo));
}

/** FBLD: 18 BCD digits and a sign byte; invalid digits give an undefined (here: their binary) value. */
export function loadBcd(cpu: Cpu, seg: number, off: number): F80 {
  let n = 0n;
  for (let k = 8; k >= 0; k--) {
    const b = rd8(cpu, seg, off + k);
    n = n * 100n + BigInt((b >> 4) * 10 + (b & 15));
  }
  const neg = (rd8(cpu, seg, off + 9) & 0x80) !== 0;
  const v = fromBigInt(n);
  return neg ? { ...v, sign: 1 } : v;
}

function storeBytes32(cpu: Cpu, seg: number, off: number, v: number): void {
  lwr32(cpu, wlin(cpu, seg, off, 4), v);
}

function storeBytes64(cpu: Cpu, seg: number, off: number, lo: number, hi: number): void {
  const lin = wlin(cpu, seg, off, 8);
  lwr32(cpu, lin, lo);
  lwr32(cpu, (lin + 4) | 0, hi);
}

/** Write `bytes` bytes (little-endian, from a BigInt) after checking the destination. */
function storeBytes(cpu: Cpu, seg: number, off: number, bytes: number, v: bigint): void {
  const lin = wlin(cpu, seg, off, bytes);
  for (let k = 0; k + 4 <= bytes; k += 4) lwr32(cpu, (lin + k) | 0, Number((v >> BigInt(8 * k)) & 0xffffffffn));
  if (bytes & 2) lwr16(cpu, (lin + bytes - 2) | 0, Number((v >> BigInt(8 * (bytes - 2))) & 0xffffn));
}

export function storeReal80(cpu: Cpu, seg: number, off: number, v: F80): void {
  storeBytes(cpu, seg, off, 10, (BigInt((v.sign << 15) | v.exp) << 64n) | v.mant);
}

/**
 * Round `v` to a binary32/64 and store it. NaNs keep their sign and top
 * payload bits (quieted; IE for a signalling one). Overflow gives OE|PE and
 * infinity, underflow UE|PE when inexact, inexact PE; an unmasked IE, OE or
 * UE leaves memory unchanged.
 */
export function storeReal(cpu: Cpu, seg: number, off: number, vo: Operand, bytes: 4 | 8): boolean {
  const f = cpu.fpu;
  if (typeof vo === 'number' && (bytes === 8 || Math.fround(vo) === vo)) {
    // Held exactly by the destination format: no exception, nothing to round.
    f.sw &= ~C1;
    if (bytes === 4) storeBytes32(cpu, seg, off, floatBits(vo));
    else { const [lo, hi] = doubleBits(vo); storeBytes64(cpu, seg, off, lo, hi); }
    return true;
  }
  const v = typeof vo === 'number' ? fromDouble(vo) : vo;
  const c = classify(v);
  if (c === 'nan' || c === 'unsupported') {
    if ((c === 'unsupported' || isSignalling(v)) && !signal(f, IE)) return false;
    const q = c === 'unsupported' ? { sign: 1, mant: 0xc000000000000000n } : v;
    if (bytes === 4) {
      storeBytes(cpu, seg, off, 4, BigInt(((q.sign << 31) | 0x7fc00000 | Number((q.mant >> 40n) & 0x3fffffn)) >>> 0));
    } else {
      const frac = (q.mant >> 11n) & ((1n << 52n) - 1n);
      storeBytes(cpu, seg, off, 8, (BigInt(q.sign) << 63n) | (0x7ffn << 52n) | (1n << 51n) | frac);
    }
    return true;
  }
  const bits = bytes === 4 ? 32 : 64;
  if (c === 'zero' || c === 'inf') {
    f.sw &= ~C1;
    const expAll = c === 'inf' ? (bytes === 4 ? 0xffn : 0x7ffn) << (bytes === 4 ? 23n : 52n) : 0n;
    storeBytes(cpu, seg, off, bytes, (BigInt(v.sign) << BigInt(bits - 1)) | expAll);
    return true;
  }
  const fmt = bytes === 4 ? SINGLE : DOUBLE;
  const ctx = ctxOf(f.cw, fmt);
  const u = unpack(v);
  const r = round(ctx, v.sign, u.m, u.q, false);
  f.sw &= ~C1;
  if (ctx.up) f.sw |= C1;
  if (ctx.flags && !signal(f, ctx.flags) && (ctx.flags & ~f.cw & (OE | UE))) return false;
  storeBytes(cpu, seg, off, bytes, encode(r, fmt, bits));
  return true;
}

/** A rounded value in the IEEE binary32/64 layout. */
function encode(r: Rounded, fmt: Format, bits: number): bigint {
  const fracBits = BigInt(fmt.prec - 1);
  const sign = BigInt(r.sign) << BigInt(bits - 1);
  if (r.overflow && r.sig === 0n) return sign | (BigInt(2 * fmt.emax + 1) << fracBits);
  if (r.sig === 0n) return sign;
  const len = bitlen(r.sig);
  const top = r.q + len - 1;
  if (top < fmt.emin) return sign | (r.sig << BigInt(r.q - (fmt.emin - fmt.prec + 1)));
  const frac = (r.sig << BigInt(fmt.prec - len)) & ((1n << fracBits) - 1n);
  return sign | (BigInt(top + fmt.emax) << fracBits) | frac;
}

const INT_MAX: Record<number, bigint> = { 2: 0x7fffn, 4: 0x7fffffffn, 8: 0x7fffffffffffffffn };

/** FIST/FISTP: round under RC; out of range or NaN is IE, the masked response the integer indefinite. */
export function storeInt(cpu: Cpu, seg: number, off: number, vo: Operand, bytes: 2 | 4 | 8): boolean {
  const f = cpu.fpu;
  if (typeof vo === 'number' && bytes !== 8 && Number.isFinite(vo)) {
    const n = roundDouble(vo, (f.cw >> 10) & 3);
    const lim = bytes === 2 ? 0x8000 : 0x80000000;
    if (n < lim && n >= -lim) {
      f.sw &= ~C1;
      if (n !== vo) {
        if (Math.abs(n) > Math.abs(vo)) f.sw |= C1;
        signal(f, PE);
      }
      if (bytes === 2) lwr16(cpu, wlin(cpu, seg, off, 2), n);
      else storeBytes32(cpu, seg, off, n | 0);
      return true;
    }
  }
  const v = typeof vo === 'number' ? fromDouble(vo) : vo;
  const c = classify(v);
  const max = INT_MAX[bytes];
  let n: bigint | null = null;
  if (c !== 'nan' && c !== 'inf' && c !== 'unsupported') {
    const r = roundToInteger(v, (f.cw >> 10) & 3);
    if (r.n <= max && r.n >= -max - 1n) {
      n = r.n;
      if (r.inexact) {
        const up = r.n < 0n ? -r.n : r.n;
        const t = roundToInteger({ ...v, sign: 0 }, 3).n;
        if (up > t) f.sw |= C1; else f.sw &= ~C1;
        signal(f, PE);
      }
    }
  }
  if (n === null) {
    if (!signal(f, IE)) return false;
    n = -max - 1n; // integer indefinite
  }
  const mask = (1n << BigInt(8 * bytes)) - 1n;
  storeBytes(cpu, seg, off, bytes, n & mask);
  return true;
}

/** A finite double rounded to an integer under rounding control `rc` (exact). */
function roundDouble(x: number, rc: number): number {
  const fl = Math.floor(x);
  if (fl === x) return x;
  if (rc === 1) return fl;
  if (rc === 2) return fl + 1;
  if (rc === 3) return Math.trunc(x);
  const d = x - fl; // exact for |x| < 2^52
  return d > 0.5 ? fl + 1 : d < 0.5 ? fl : fl % 2 === 0 ? fl : fl + 1;
}

/** FBSTP: round to an integer under RC, 18 digits; out of range is IE (the masked response: the packed BCD indefinite). */
export function storeBcd(cpu: Cpu, seg: number, off: number, vo: Operand): boolean {
  const f = cpu.fpu;
  const v = typeof vo === 'number' ? fromDouble(vo) : vo;
  const c = classify(v);
  let out: bigint;
  const r = c === 'nan' || c === 'inf' || c === 'unsupported' ? null : roundToInteger(v, (f.cw >> 10) & 3);
  const mag = r ? (r.n < 0n ? -r.n : r.n) : 0n;
  if (r === null || mag > 999999999999999999n) {
    if (!signal(f, IE)) return false;
    out = 0xffffc000000000000000n;
  } else {
    if (r.inexact) signal(f, PE);
    out = 0n;
    let m = mag;
    for (let k = 0; k < 18; k++) {
      out |= (m % 10n) << BigInt(4 * k);
      m /= 10n;
    }
    if (v.sign) out |= 0x80n << 72n;
  }
  storeBytes(cpu, seg, off, 10, out);
  return true;
}
