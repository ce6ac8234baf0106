// ROL ROR RCL RCR SHL SHR SAL SAR (group 2), SHLD, SHRD. Flags are computed
// eagerly; a masked count of zero leaves flags untouched.

import type { Cpu } from '../cpu.js';
import type { Inst, Handler } from '../inst.js';
import { HandlerTable } from '../handler-table.js';
import { AF, CF, OF, PF, SF, ZF, getCF, materialize, parityOf, maskOf } from '../flags.js';
import { R8, rmwLin, lrd8, lrd16, lrd32, lwr8, lwr16, lwr32 } from './operands.js';

/** The shift handlers (assembled with the other tables by dispatch.ts). */
export const SHIFT_HANDLERS = new HandlerTable('shift');
const { def } = SHIFT_HANDLERS;

function szp(r: number, bits: number): number {
  const m = r & maskOf(bits);
  return (m === 0 ? ZF : 0) | ((m >>> (bits - 1)) & 1 ? SF : 0) | parityOf(m);
}

function setFlags(cpu: Cpu, mask: number, v: number): void {
  materialize(cpu);
  cpu.flags = (cpu.flags & ~mask) | v;
}

/** One group-2 operation on v (already masked to `bits`), count already & 31 and non-zero. */
export function shiftOp(cpu: Cpu, op: number, v: number, count: number, bits: number): number {
  const msb = bits - 1;
  const mask = maskOf(bits);
  let r: number, cf: number, of: number;
  switch (op) {
    case 0: { // ROL
      const c = count % bits;
      r = c === 0 ? v : ((v << c) | (v >>> (bits - c))) & mask;
      cf = r & 1;
      of = ((r >>> msb) & 1) ^ cf;
      setFlags(cpu, CF | OF, cf | (of ? OF : 0));
      return r;
    }
    case 1: { // ROR
      const c = count % bits;
      r = c === 0 ? v : ((v >>> c) | (v << (bits - c))) & mask;
      cf = (r >>> msb) & 1;
      of = cf ^ ((r >>> (msb - 1)) & 1);
      setFlags(cpu, CF | OF, cf | (of ? OF : 0));
      return r;
    }
    case 2: case 3: { // RCL, RCR through a (bits+1)-bit rotate
      const c = bits === 32 ? count : count % (bits + 1);
      if (c === 0) return v;
      const cin = getCF(cpu);
      let x = v >>> 0, carry = cin;
      for (let k = 0; k < c; k++) {
        if (op === 2) {
          const out = (x >>> msb) & 1;
          x = ((x << 1) | carry) & mask;
          carry = out;
        } else {
          const out = x & 1;
          x = ((x >>> 1) | (carry << msb)) & mask;
          carry = out;
        }
      }
      r = x;
      of = op === 2 ? ((r >>> msb) & 1) ^ carry : ((r >>> msb) & 1) ^ ((r >>> (msb - 1)) & 1);
      setFlags(cpu, CF | OF, carry | (of ? OF : 0));
      return r;
    }
    case 4: case 6: // SHL/SAL
      r = (v << count) & mask;
      cf = count <= bits ? (v >>> (bits - count)) & 1 : 0;
      of = ((r >>> msb) & 1) ^ cf;
      break;
    case 5: // SHR
      r = count < 32 ? (v >>> count) & mask : 0;
      cf = (v >>> (count - 1)) & 1;
      if (count > bits) cf = 0;
      of = (v >>> msb) & 1;
      break;
    default: { // SAR
      const sv = bits === 32 ? v | 0 : (v << (32 - bits)) >> (32 - bits);
      r = (sv >> (count > 31 ? 31 : count)) & mask;
      cf = (sv >> (count - 1 > 31 ? 31 : count - 1)) & 1;
      of = 0;
      break;
    }
  }
  setFlags(cpu, CF | OF | SF | ZF | PF | AF, cf | (of ? OF : 0) | szp(r, bits));
  return r;
}

type CountFn = (cpu: Cpu, i: Inst) => number;

function grp2(op: number, bits: number, countOf: CountFn): Handler {
  return (cpu, i) => {
    const count = countOf(cpu, i) & 31;
    if (i.mod === 3) {
      if (count === 0) return;
      if (bits === 8) { const o = R8[i.rm]; cpu.regs8[o] = shiftOp(cpu, op, cpu.regs8[o], count, 8); }
      else if (bits === 16) { const o = i.rm << 1; cpu.regs16[o] = shiftOp(cpu, op, cpu.regs16[o], count, 16); }
      else cpu.regs[i.rm] = shiftOp(cpu, op, cpu.regs[i.rm] >>> 0, count, 32);
      return;
    }
    const lin = rmwLin(cpu, i, bits >> 3);
    if (bits === 8) { const v = lrd8(cpu, lin); if (count) lwr8(cpu, lin, shiftOp(cpu, op, v, count, 8)); }
    else if (bits === 16) { const v = lrd16(cpu, lin); if (count) lwr16(cpu, lin, shiftOp(cpu, op, v, count, 16)); }
    else { const v = lrd32(cpu, lin) >>> 0; if (count) lwr32(cpu, lin, shiftOp(cpu, op, v, count, 32)); }
  };
}

const byImm: CountFn = (_c, i) => i.imm;
const byOne: CountFn = () => 1;
const byCL: CountFn = (c) => c.regs8[4];

for (let op = 0; op < 8; op++) {
  def(0xc0, grp2(op, 8, byImm), undefined, op);
  def(0xc1, grp2(op, 16, byImm), grp2(op, 32, byImm), op);
  def(0xd0, grp2(op, 8, byOne), undefined, op);
  def(0xd1, grp2(op, 16, byOne), grp2(op, 32, byOne), op);
  def(0xd2, grp2(op, 8, byCL), undefined, op);
  def(0xd3, grp2(op, 16, byCL), grp2(op, 32, byCL), op);
}

// ---- SHLD / SHRD ----

function doubleShift(cpu: Cpu, left: boolean, d: number, s: number, count: number, bits: number): number {
  let r: number, cf: number;
  if (bits === 32) {
    d >>>= 0; s >>>= 0;
    if (left) { r = ((d << count) | (s >>> (32 - count))) >>> 0; cf = (d >>> (32 - count)) & 1; }
    else { r = ((d >>> count) | (s << (32 - count))) >>> 0; cf = (d >>> (count - 1)) & 1; }
  } else {
    // 16-bit: shift the 32-bit concatenation (counts above 16 are architecturally undefined).
    if (left) {
      const x = ((d << 16) | s) >>> 0;
      const y = count > 16 ? ((s << 16) | d) >>> 0 : x;
      const c = count > 16 ? count - 16 : count;
      r = ((y << c) | (count > 16 ? d >>> (16 - c) : 0)) >>> 16 & 0xffff;
      cf = ((count > 16 ? s : d) >>> (16 - c)) & 1;
    } else {
      const x = ((s << 16) | d) >>> 0;
      r = count > 16 ? ((((d << 16) | s) >>> (count - 16)) & 0xffff) : (x >>> count) & 0xffff;
      cf = count > 16 ? (s >>> (count - 17)) & 1 : (d >>> (count - 1)) & 1;
    }
  }
  const msb = bits - 1;
  const of = ((r >>> msb) & 1) ^ ((d >>> msb) & 1);
  setFlags(cpu, CF | OF | SF | ZF | PF | AF, cf | (of ? OF : 0) | szp(r, bits));
  return r;
}

function shxd(left: boolean, bits: number, countOf: CountFn): Handler {
  return (cpu, i) => {
    const count = countOf(cpu, i) & 31;
    const s = bits === 32 ? cpu.regs[i.reg] : cpu.regs16[i.reg << 1];
    if (i.mod === 3) {
      if (count === 0) return;
      if (bits === 32) cpu.regs[i.rm] = doubleShift(cpu, left, cpu.regs[i.rm], s, count, 32);
      else cpu.regs16[i.rm << 1] = doubleShift(cpu, left, cpu.regs16[i.rm << 1], s, count, 16);
      return;
    }
    const lin = rmwLin(cpu, i, bits >> 3);
    if (bits === 32) { const v = lrd32(cpu, lin); if (count) lwr32(cpu, lin, doubleShift(cpu, left, v, s, count, 32)); }
    else { const v = lrd16(cpu, lin); if (count) lwr16(cpu, lin, doubleShift(cpu, left, v, s, count, 16)); }
  };
}

def(0x1a4, shxd(true, 16, byImm), shxd(true, 32, byImm));
def(0x1a5, shxd(true, 16, byCL), shxd(true, 32, byCL));
def(0x1ac, shxd(false, 16, byImm), shxd(false, 32, byImm));
def(0x1ad, shxd(false, 16, byCL), shxd(false, 32, byCL));
