// MUL IMUL DIV IDIV in all forms. After a multiply CF=OF say whether the
// high half is significant; SF/ZF/PF follow the low half (as QEMU computes
// them; the SDM leaves them undefined) and AF is cleared. DIV leaves flags.

import type { Cpu } from '../cpu.js';
import type { Inst } from '../inst.js';
import { HandlerTable } from '../handler-table.js';
import { AF, ARITH, CF, OF, PF, SF, ZF, materialize, parityOf, maskOf } from '../flags.js';
import { de } from '../faults.js';
import { readE8, readE16, readE32 } from './operands.js';

/** The muldiv handlers (assembled with the other tables by dispatch.ts). */
export const MULDIV_HANDLERS = new HandlerTable('muldiv');
const { def } = MULDIV_HANDLERS;

function mulFlags(cpu: Cpu, low: number, overflow: boolean, bits: number): void {
  materialize(cpu);
  const m = low & maskOf(bits);
  let f = cpu.flags & ~ARITH;
  if (overflow) f |= CF | OF;
  if (m === 0) f |= ZF;
  if ((m >>> (bits - 1)) & 1) f |= SF;
  f |= parityOf(m);
  cpu.flags = f & ~AF;
}

let hi32 = 0;
/** Unsigned 32x32 multiply: returns the low word, leaves the high word in hi32. */
function mulU32(a: number, b: number): number {
  a >>>= 0; b >>>= 0;
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  hi32 = (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) >>> 0;
  return ((mid << 16) | (p00 & 0xffff)) >>> 0;
}
/** Signed 32x32 multiply: low word returned, high word in hi32. */
function mulS32(a: number, b: number): number {
  const lo = mulU32(a, b);
  let h = hi32;
  if ((a | 0) < 0) h -= b >>> 0;
  if ((b | 0) < 0) h -= a >>> 0;
  hi32 = h >>> 0;
  return lo;
}

// ---- group 3: MUL / IMUL / DIV / IDIV on the accumulator ----

def(0xf6, (cpu, i) => {
  const r = cpu.regs8[0] * readE8(cpu, i);
  cpu.regs16[0] = r;
  mulFlags(cpu, r, (r & 0xff00) !== 0, 8);
}, undefined, 4);
def(0xf7, (cpu, i) => {
  const r = cpu.regs16[0] * readE16(cpu, i);
  cpu.regs16[0] = r;
  cpu.regs16[4] = r >>> 16;
  mulFlags(cpu, r, (r >>> 16) !== 0, 16);
}, (cpu, i) => {
  const lo = mulU32(cpu.regs[0], readE32(cpu, i));
  cpu.regs[0] = lo;
  cpu.regs[2] = hi32;
  mulFlags(cpu, lo, hi32 !== 0, 32);
}, 4);

def(0xf6, (cpu, i) => {
  const r = ((cpu.regs8[0] << 24) >> 24) * ((readE8(cpu, i) << 24) >> 24);
  cpu.regs16[0] = r;
  mulFlags(cpu, r, r !== ((r << 24) >> 24), 8);
}, undefined, 5);
def(0xf7, (cpu, i) => {
  const r = ((cpu.regs16[0] << 16) >> 16) * ((readE16(cpu, i) << 16) >> 16);
  cpu.regs16[0] = r;
  cpu.regs16[4] = r >> 16;
  mulFlags(cpu, r, r !== ((r << 16) >> 16), 16);
}, (cpu, i) => {
  const lo = mulS32(cpu.regs[0], readE32(cpu, i));
  cpu.regs[0] = lo;
  cpu.regs[2] = hi32;
  mulFlags(cpu, lo, hi32 !== ((lo | 0) < 0 ? 0xffffffff : 0), 32);
}, 5);

def(0xf6, (cpu, i) => {
  const d = readE8(cpu, i);
  if (d === 0) de(cpu);
  const n = cpu.regs16[0];
  const q = Math.floor(n / d);
  if (q > 0xff) de(cpu);
  cpu.regs8[0] = q;
  cpu.regs8[1] = n % d;
}, undefined, 6);
def(0xf7, (cpu, i) => {
  const d = readE16(cpu, i);
  if (d === 0) de(cpu);
  const n = (cpu.regs16[4] * 65536 + cpu.regs16[0]);
  const q = Math.floor(n / d);
  if (q > 0xffff) de(cpu);
  cpu.regs16[0] = q;
  cpu.regs16[4] = n % d;
}, (cpu, i) => {
  const d = readE32(cpu, i) >>> 0;
  if (d === 0) de(cpu);
  const hi = cpu.regs[2] >>> 0, lo = cpu.regs[0] >>> 0;
  if (hi >= d) de(cpu);
  if (hi === 0) {
    cpu.regs[0] = Math.floor(lo / d);
    cpu.regs[2] = lo % d;
    return;
  }
  const n = (BigInt(hi) << 32n) | BigInt(lo);
  const bd = BigInt(d);
  cpu.regs[0] = Number(n / bd);
  cpu.regs[2] = Number(n % bd);
}, 6);

def(0xf6, (cpu, i) => {
  const d = (readE8(cpu, i) << 24) >> 24;
  if (d === 0) de(cpu);
  const n = (cpu.regs16[0] << 16) >> 16;
  const q = Math.trunc(n / d);
  if (q > 127 || q < -128) de(cpu);
  cpu.regs8[0] = q;
  cpu.regs8[1] = n % d;
}, undefined, 7);
def(0xf7, (cpu, i) => {
  const d = (readE16(cpu, i) << 16) >> 16;
  if (d === 0) de(cpu);
  const n = ((cpu.regs16[4] << 16) | cpu.regs16[0]) | 0;
  const q = Math.trunc(n / d);
  if (q > 32767 || q < -32768) de(cpu);
  cpu.regs16[0] = q;
  cpu.regs16[4] = n % d;
}, (cpu, i) => {
  const d = readE32(cpu, i) | 0;
  if (d === 0) de(cpu);
  const n = (BigInt(cpu.regs[2]) << 32n) | BigInt(cpu.regs[0] >>> 0);
  const bd = BigInt(d);
  const q = n / bd;
  if (q > 0x7fffffffn || q < -0x80000000n) de(cpu);
  cpu.regs[0] = Number(q);
  cpu.regs[2] = Number(n % bd);
}, 7);

// ---- IMUL Gv, Ev [, imm] ----

function imul16(cpu: Cpu, a: number, b: number): number {
  const r = ((a << 16) >> 16) * ((b << 16) >> 16);
  mulFlags(cpu, r, r !== ((r << 16) >> 16), 16);
  return r;
}
function imul32(cpu: Cpu, a: number, b: number): number {
  const lo = mulS32(a, b);
  mulFlags(cpu, lo, hi32 !== ((lo | 0) < 0 ? 0xffffffff : 0), 32);
  return lo;
}
const imulImm = (cpu: Cpu, i: Inst, b: number): void => {
  if (i.o32) cpu.regs[i.reg] = imul32(cpu, readE32(cpu, i), b);
  else cpu.regs16[i.reg << 1] = imul16(cpu, readE16(cpu, i), b);
};
def(0x69, (cpu, i) => imulImm(cpu, i, i.imm));
def(0x6b, (cpu, i) => imulImm(cpu, i, i.imm));
def(0x1af, (cpu, i) => { cpu.regs16[i.reg << 1] = imul16(cpu, cpu.regs16[i.reg << 1], readE16(cpu, i)); },
  (cpu, i) => { cpu.regs[i.reg] = imul32(cpu, cpu.regs[i.reg], readE32(cpu, i)); });
