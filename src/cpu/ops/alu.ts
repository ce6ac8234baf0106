// ADD OR ADC SBB AND SUB XOR CMP TEST INC DEC NEG NOT, all forms and sizes.
// Flags are left lazy (flags.ts).

import type { Cpu } from '../cpu.js';
import type { Inst, Handler } from '../inst.js';
import { HandlerTable } from '../handler-table.js';
import { ARITH, CF, L_ADC, L_ADD, L_DEC, L_INC, L_LOGIC, L_SBB, L_SUB, getCF } from '../flags.js';
import { R8, readE8, readE16, readE32, rmwLin, lrd8, lrd16, lrd32, lwr8, lwr16, lwr32 } from './operands.js';

/** The alu handlers (assembled with the other tables by dispatch.ts). */
export const ALU_HANDLERS = new HandlerTable('alu');
const { def } = ALU_HANDLERS;

const ADD = 0, OR = 1, ADC = 2, SBB = 3, AND = 4, SUB = 5, XOR = 6, CMP = 7;

/** Compute `a OP b` at `bits` width, leaving the flags lazy. Returns the (unmasked) result. */
export function alu(cpu: Cpu, op: number, a: number, b: number, bits: number): number {
  let r: number, kind: number;
  switch (op) {
    case ADD: r = a + b; kind = L_ADD; break;
    case OR: r = a | b; kind = L_LOGIC; break;
    case ADC: { const c = getCF(cpu); r = a + b + c; kind = c ? L_ADC : L_ADD; break; }
    case SBB: { const c = getCF(cpu); r = a - b - c; kind = c ? L_SBB : L_SUB; break; }
    case AND: r = a & b; kind = L_LOGIC; break;
    case XOR: r = a ^ b; kind = L_LOGIC; break;
    default: r = a - b; kind = L_SUB; break; // SUB, CMP
  }
  r |= 0;
  cpu.lop = kind;
  cpu.ldst = a;
  cpu.lsrc = b;
  cpu.lres = r;
  cpu.lbits = bits;
  cpu.lazy = ARITH;
  return r;
}

function incdec(cpu: Cpu, a: number, dec: boolean, bits: number): number {
  if (cpu.lazy & CF) cpu.flags = (cpu.flags & ~CF) | getCF(cpu);
  const r = (dec ? a - 1 : a + 1) | 0;
  cpu.lop = dec ? L_DEC : L_INC;
  cpu.ldst = a;
  cpu.lsrc = 1;
  cpu.lres = r;
  cpu.lbits = bits;
  cpu.lazy = ARITH & ~CF;
  return r;
}

// ---- binary ops: memory/register destination ----

function aluE8(op: number, src: (cpu: Cpu, i: Inst) => number): Handler {
  return (cpu, i) => {
    const b = src(cpu, i);
    if (i.mod === 3) {
      const o = R8[i.rm];
      const r = alu(cpu, op, cpu.regs8[o], b, 8);
      if (op !== CMP) cpu.regs8[o] = r;
    } else if (op === CMP) {
      alu(cpu, op, readE8(cpu, i), b, 8);
    } else {
      const lin = rmwLin(cpu, i, 1);
      lwr8(cpu, lin, alu(cpu, op, lrd8(cpu, lin), b, 8));
    }
  };
}
function aluE16(op: number, src: (cpu: Cpu, i: Inst) => number): Handler {
  return (cpu, i) => {
    const b = src(cpu, i) & 0xffff;
    if (i.mod === 3) {
      const o = i.rm << 1;
      const r = alu(cpu, op, cpu.regs16[o], b, 16);
      if (op !== CMP) cpu.regs16[o] = r;
    } else if (op === CMP) {
      alu(cpu, op, readE16(cpu, i), b, 16);
    } else {
      const lin = rmwLin(cpu, i, 2);
      lwr16(cpu, lin, alu(cpu, op, lrd16(cpu, lin), b, 16));
    }
  };
}
function aluE32(op: number, src: (cpu: Cpu, i: Inst) => number): Handler {
  return (cpu, i) => {
    const b = src(cpu, i);
    if (i.mod === 3) {
      const r = alu(cpu, op, cpu.regs[i.rm], b, 32);
      if (op !== CMP) cpu.regs[i.rm] = r;
    } else if (op === CMP) {
      alu(cpu, op, readE32(cpu, i), b, 32);
    } else {
      const lin = rmwLin(cpu, i, 4);
      lwr32(cpu, lin, alu(cpu, op, lrd32(cpu, lin), b, 32));
    }
  };
}

const srcG8 = (cpu: Cpu, i: Inst): number => cpu.regs8[R8[i.reg]];
const srcG16 = (cpu: Cpu, i: Inst): number => cpu.regs16[i.reg << 1];
const srcG32 = (cpu: Cpu, i: Inst): number => cpu.regs[i.reg];
const srcImm = (_cpu: Cpu, i: Inst): number => i.imm;
const srcImm8 = (_cpu: Cpu, i: Inst): number => i.imm & 0xff;

for (let op = 0; op < 8; op++) {
  const b = op << 3;
  def(b, aluE8(op, srcG8));
  def(b + 1, aluE16(op, srcG16), aluE32(op, srcG32));
  // G, E forms
  def(b + 2, (cpu, i) => {
    const o = R8[i.reg];
    const r = alu(cpu, op, cpu.regs8[o], readE8(cpu, i), 8);
    if (op !== CMP) cpu.regs8[o] = r;
  });
  def(b + 3, (cpu, i) => {
    const o = i.reg << 1;
    const r = alu(cpu, op, cpu.regs16[o], readE16(cpu, i), 16);
    if (op !== CMP) cpu.regs16[o] = r;
  }, (cpu, i) => {
    const r = alu(cpu, op, cpu.regs[i.reg], readE32(cpu, i), 32);
    if (op !== CMP) cpu.regs[i.reg] = r;
  });
  // accumulator, immediate
  def(b + 4, (cpu, i) => {
    const r = alu(cpu, op, cpu.regs8[0], i.imm & 0xff, 8);
    if (op !== CMP) cpu.regs8[0] = r;
  });
  def(b + 5, (cpu, i) => {
    const r = alu(cpu, op, cpu.regs16[0], i.imm & 0xffff, 16);
    if (op !== CMP) cpu.regs16[0] = r;
  }, (cpu, i) => {
    const r = alu(cpu, op, cpu.regs[0], i.imm, 32);
    if (op !== CMP) cpu.regs[0] = r;
  });
  // group 1
  def(0x80, aluE8(op, srcImm8), undefined, op);
  def(0x82, aluE8(op, srcImm8), undefined, op);
  def(0x81, aluE16(op, srcImm), aluE32(op, srcImm), op);
  def(0x83, aluE16(op, srcImm), aluE32(op, srcImm), op);
}

// ---- TEST ----
def(0x84, (cpu, i) => { alu(cpu, AND, readE8(cpu, i), cpu.regs8[R8[i.reg]], 8); });
def(0x85, (cpu, i) => { alu(cpu, AND, readE16(cpu, i), cpu.regs16[i.reg << 1], 16); },
  (cpu, i) => { alu(cpu, AND, readE32(cpu, i), cpu.regs[i.reg], 32); });
def(0xa8, (cpu, i) => { alu(cpu, AND, cpu.regs8[0], i.imm & 0xff, 8); });
def(0xa9, (cpu, i) => { alu(cpu, AND, cpu.regs16[0], i.imm & 0xffff, 16); },
  (cpu, i) => { alu(cpu, AND, cpu.regs[0], i.imm, 32); });
for (const reg of [0, 1]) {
  def(0xf6, (cpu, i) => { alu(cpu, AND, readE8(cpu, i), i.imm & 0xff, 8); }, undefined, reg);
  def(0xf7, (cpu, i) => { alu(cpu, AND, readE16(cpu, i), i.imm & 0xffff, 16); },
    (cpu, i) => { alu(cpu, AND, readE32(cpu, i), i.imm, 32); }, reg);
}

// ---- INC/DEC ----
for (let r = 0; r < 8; r++) {
  def(0x40 + r, (cpu) => { cpu.regs16[r << 1] = incdec(cpu, cpu.regs16[r << 1], false, 16); },
    (cpu) => { cpu.regs[r] = incdec(cpu, cpu.regs[r], false, 32); });
  def(0x48 + r, (cpu) => { cpu.regs16[r << 1] = incdec(cpu, cpu.regs16[r << 1], true, 16); },
    (cpu) => { cpu.regs[r] = incdec(cpu, cpu.regs[r], true, 32); });
}
for (const dec of [false, true]) {
  const reg = dec ? 1 : 0;
  def(0xfe, (cpu, i) => {
    if (i.mod === 3) { const o = R8[i.rm]; cpu.regs8[o] = incdec(cpu, cpu.regs8[o], dec, 8); return; }
    const lin = rmwLin(cpu, i, 1);
    lwr8(cpu, lin, incdec(cpu, lrd8(cpu, lin), dec, 8));
  }, undefined, reg);
  def(0xff, (cpu, i) => {
    if (i.mod === 3) { const o = i.rm << 1; cpu.regs16[o] = incdec(cpu, cpu.regs16[o], dec, 16); return; }
    const lin = rmwLin(cpu, i, 2);
    lwr16(cpu, lin, incdec(cpu, lrd16(cpu, lin), dec, 16));
  }, (cpu, i) => {
    if (i.mod === 3) { cpu.regs[i.rm] = incdec(cpu, cpu.regs[i.rm], dec, 32); return; }
    const lin = rmwLin(cpu, i, 4);
    lwr32(cpu, lin, incdec(cpu, lrd32(cpu, lin), dec, 32));
  }, reg);
}

// ---- NOT / NEG (group 3) ----
const notNeg = (neg: boolean, bits: number) => (cpu: Cpu, v: number): number =>
  neg ? alu(cpu, SUB, 0, v, bits) : ~v;
for (const neg of [false, true]) {
  const reg = neg ? 3 : 2;
  const f8 = notNeg(neg, 8), f16 = notNeg(neg, 16), f32 = notNeg(neg, 32);
  def(0xf6, (cpu, i) => {
    if (i.mod === 3) { const o = R8[i.rm]; cpu.regs8[o] = f8(cpu, cpu.regs8[o]); return; }
    const lin = rmwLin(cpu, i, 1);
    lwr8(cpu, lin, f8(cpu, lrd8(cpu, lin)));
  }, undefined, reg);
  def(0xf7, (cpu, i) => {
    if (i.mod === 3) { const o = i.rm << 1; cpu.regs16[o] = f16(cpu, cpu.regs16[o]); return; }
    const lin = rmwLin(cpu, i, 2);
    lwr16(cpu, lin, f16(cpu, lrd16(cpu, lin)));
  }, (cpu, i) => {
    if (i.mod === 3) { cpu.regs[i.rm] = f32(cpu, cpu.regs[i.rm]); return; }
    const lin = rmwLin(cpu, i, 4);
    lwr32(cpu, lin, f32(cpu, lrd32(cpu, lin)));
  }, reg);
}
