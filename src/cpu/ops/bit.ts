// BT BTS BTR BTC (register and immediate bit offsets), BSF, BSR.

import type { Cpu } from '../cpu.js';
import type { Inst, Handler } from '../inst.js';
import { HandlerTable } from '../handler-table.js';
import { CF, ZF, materialize } from '../flags.js';
import { rd16, rd32, wlin, lrd16, lrd32, lwr16, lwr32 } from '../mem-access.js';

/** The bit handlers (assembled with the other tables by dispatch.ts). */
export const BIT_HANDLERS = new HandlerTable('bit');
const { def } = BIT_HANDLERS;

// kind: 0 BT, 1 BTS, 2 BTR, 3 BTC
function apply(kind: number, v: number, bit: number): number {
  switch (kind) {
    case 1: return v | (1 << bit);
    case 2: return v & ~(1 << bit);
    case 3: return v ^ (1 << bit);
    default: return v;
  }
}

function setCF(cpu: Cpu, v: number, bit: number): void {
  materialize(cpu);
  cpu.flags = (cpu.flags & ~CF) | ((v >>> bit) & 1);
}

/** `immediate`: the offset is imm & (size-1); otherwise a register offset that can address beyond the operand. */
function btOp(kind: number, o32: boolean, immediate: boolean): Handler {
  const bits = o32 ? 32 : 16;
  return (cpu: Cpu, i: Inst) => {
    const raw = immediate ? i.imm : o32 ? cpu.regs[i.reg] : (cpu.regs16[i.reg << 1] << 16) >> 16;
    if (i.mod === 3 || immediate) {
      const bit = raw & (bits - 1);
      if (i.mod === 3) {
        const v = o32 ? cpu.regs[i.rm] : cpu.regs16[i.rm << 1];
        setCF(cpu, v, bit);
        if (kind) { if (o32) cpu.regs[i.rm] = apply(kind, v, bit); else cpu.regs16[i.rm << 1] = apply(kind, v, bit); }
        return;
      }
      memOp(cpu, i, kind, o32, i.ea(cpu, i), bit);
      return;
    }
    const base = i.ea(cpu, i);
    const unit = o32 ? (raw >> 5) * 4 : (raw >> 4) * 2;
    const off = i.a32 ? (base + unit) >>> 0 : (base + unit) & 0xffff;
    memOp(cpu, i, kind, o32, off, raw & (bits - 1));
  };
}

function memOp(cpu: Cpu, i: Inst, kind: number, o32: boolean, off: number, bit: number): void {
  if (kind === 0) {
    setCF(cpu, o32 ? rd32(cpu, i.seg, off) : rd16(cpu, i.seg, off), bit);
    return;
  }
  const lin = wlin(cpu, i.seg, off, o32 ? 4 : 2);
  const v = o32 ? lrd32(cpu, lin) : lrd16(cpu, lin);
  if (o32) lwr32(cpu, lin, apply(kind, v, bit)); else lwr16(cpu, lin, apply(kind, v, bit));
  setCF(cpu, v, bit);
}

const REGOPS = [0x1a3, 0x1ab, 0x1b3, 0x1bb];
for (let kind = 0; kind < 4; kind++) {
  def(REGOPS[kind], btOp(kind, false, false), btOp(kind, true, false));
  def(0x1ba, btOp(kind, false, true), btOp(kind, true, true), 4 + kind);
}

function bsx(reverse: boolean, o32: boolean): Handler {
  return (cpu, i) => {
    const v = o32 ? (i.mod === 3 ? cpu.regs[i.rm] : rd32(cpu, i.seg, i.ea(cpu, i)))
      : (i.mod === 3 ? cpu.regs16[i.rm << 1] : rd16(cpu, i.seg, i.ea(cpu, i)));
    materialize(cpu);
    if (v === 0) { cpu.flags |= ZF; return; }
    cpu.flags &= ~ZF;
    const idx = reverse ? 31 - Math.clz32(v) : 31 - Math.clz32(v & -v);
    if (o32) cpu.regs[i.reg] = idx; else cpu.regs16[i.reg << 1] = idx;
  };
}
def(0x1bc, bsx(false, false), bsx(false, true));
def(0x1bd, bsx(true, false), bsx(true, true));
