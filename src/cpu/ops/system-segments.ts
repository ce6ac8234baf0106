// The 0F 00 group's table-register half: SLDT, STR, LLDT, LTR. (VERR/VERW
// share the group but live with LAR/LSL in selector-checks.ts.)

import type { Cpu } from '../cpu.js';
import type { Inst } from '../inst.js';
import { HandlerTable } from '../handler-table.js';
import { gp, np, ud } from '../faults.js';
import { VM } from '../flags.js';
import { sysWr8 } from '../mem-access.js';
import { fetchDesc, newDesc, A_S, A_P } from '../segments.js';
import { requireCpl0 } from './system.js';
import { readE16, writeE16 } from './operands.js';

/** The system-segments handlers (assembled with the other tables by dispatch.ts). */
export const SYSTEM_SEGMENTS_HANDLERS = new HandlerTable('system-segments');
const { def } = SYSTEM_SEGMENTS_HANDLERS;

/** These instructions do not exist in real mode or V86 mode. */
export function requireProtected(cpu: Cpu): void {
  if (!(cpu.cr0 & 1) || (cpu.flags & VM)) ud(cpu);
}

// A register destination with a 32-bit operand gets the zero-extended selector;
// memory always takes 16 bits.
function storeSel(cpu: Cpu, i: Inst, sel: number): void {
  if (i.mod === 3 && i.o32) cpu.regs[i.rm] = sel;
  else writeE16(cpu, i, sel);
}

def(0x100, (cpu, i) => { requireProtected(cpu); storeSel(cpu, i, cpu.ldtSel); }, undefined, 0);
def(0x100, (cpu, i) => { requireProtected(cpu); storeSel(cpu, i, cpu.trSel); }, undefined, 1);

const d = newDesc();

def(0x100, (cpu, i) => {
  requireProtected(cpu);
  requireCpl0(cpu);
  const sel = readE16(cpu, i);
  if ((sel & 0xfffc) === 0) {
    // A null selector leaves LDTR unusable; any later LDT reference faults.
    cpu.ldtSel = sel;
    cpu.ldtBase = 0;
    cpu.ldtLimit = 0;
    return;
  }
  if (sel & 4) gp(cpu, sel & 0xfffc);
  if (!fetchDesc(cpu, sel, d)) gp(cpu, sel & 0xfffc);
  if ((d.attr & (A_S | 0xf)) !== 2) gp(cpu, sel & 0xfffc);
  if (!(d.attr & A_P)) np(cpu, sel & 0xfffc);
  cpu.ldtSel = sel;
  cpu.ldtBase = d.base;
  cpu.ldtLimit = d.limit;
}, undefined, 2);

def(0x100, (cpu, i) => {
  requireProtected(cpu);
  requireCpl0(cpu);
  const sel = readE16(cpu, i);
  if ((sel & 0xfffc) === 0) gp(cpu, 0);
  if (sel & 4) gp(cpu, sel & 0xfffc);
  if (!fetchDesc(cpu, sel, d)) gp(cpu, sel & 0xfffc);
  const type = d.attr & (A_S | 0xf);
  if (type !== 1 && type !== 9) gp(cpu, sel & 0xfffc); // only an available TSS
  if (!(d.attr & A_P)) np(cpu, sel & 0xfffc);
  sysWr8(cpu, d.addr + 5, ((d.hi >>> 8) & 0xff) | 2);
  cpu.trSel = sel;
  cpu.trBase = d.base;
  cpu.trLimit = d.limit;
  cpu.trType = type | 2;
}, undefined, 3);
