// Decimal adjust: DAA DAS AAA AAS AAM AAD.

import type { Cpu } from '../cpu.js';
import { HandlerTable } from '../handler-table.js';
import { AF, CF, OF, PF, SF, ZF, materialize, parityOf } from '../flags.js';
import { de } from '../faults.js';

/** The bcd handlers (assembled with the other tables by dispatch.ts). */
export const BCD_HANDLERS = new HandlerTable('bcd');
const { def } = BCD_HANDLERS;

function setSZP(cpu: Cpu, v: number, extra: number, mask: number): void {
  v &= 0xff;
  const f = (v === 0 ? ZF : 0) | (v & 0x80 ? SF : 0) | parityOf(v);
  cpu.flags = (cpu.flags & ~(mask | SF | ZF | PF)) | f | extra;
}

def(0x27, (cpu) => {
  const f = materialize(cpu);
  const old = cpu.regs8[0], oldCF = f & CF;
  let al = old, cf = 0, af = 0;
  if ((al & 0xf) > 9 || (f & AF)) { cf = oldCF | (al > 0xf9 ? 1 : 0); al = (al + 6) & 0xff; af = AF; }
  if (old > 0x99 || oldCF) { al = (al + 0x60) & 0xff; cf = 1; }
  cpu.regs8[0] = al;
  setSZP(cpu, al, cf | af, CF | AF | OF);
});

def(0x2f, (cpu) => {
  const f = materialize(cpu);
  const old = cpu.regs8[0], oldCF = f & CF;
  let al = old, cf = 0, af = 0;
  if ((al & 0xf) > 9 || (f & AF)) { cf = oldCF | (al < 6 ? 1 : 0); al = (al - 6) & 0xff; af = AF; }
  if (old > 0x99 || oldCF) { al = (al - 0x60) & 0xff; cf = 1; }
  cpu.regs8[0] = al;
  setSZP(cpu, al, cf | af, CF | AF | OF);
});

def(0x37, (cpu) => {
  const f = materialize(cpu);
  if ((cpu.regs8[0] & 0xf) > 9 || (f & AF)) {
    cpu.regs16[0] = cpu.regs16[0] + 0x106;
    cpu.flags |= AF | CF;
  } else cpu.flags &= ~(AF | CF);
  cpu.regs8[0] &= 0xf;
});

def(0x3f, (cpu) => {
  const f = materialize(cpu);
  if ((cpu.regs8[0] & 0xf) > 9 || (f & AF)) {
    cpu.regs16[0] = cpu.regs16[0] - 6;
    cpu.regs8[1] = cpu.regs8[1] - 1;
    cpu.flags |= AF | CF;
  } else cpu.flags &= ~(AF | CF);
  cpu.regs8[0] &= 0xf;
});

def(0xd4, (cpu, i) => {
  const b = i.imm & 0xff;
  if (b === 0) de(cpu);
  materialize(cpu);
  const al = cpu.regs8[0];
  cpu.regs8[1] = Math.floor(al / b);
  cpu.regs8[0] = al % b;
  setSZP(cpu, cpu.regs8[0], 0, CF | AF | OF);
});

def(0xd5, (cpu, i) => {
  materialize(cpu);
  const al = (cpu.regs8[0] + cpu.regs8[1] * (i.imm & 0xff)) & 0xff;
  cpu.regs16[0] = al;
  setSZP(cpu, al, 0, CF | AF | OF);
});
