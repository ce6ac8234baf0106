// Descriptor-table and control-register instructions: LGDT/LIDT/SGDT/SIDT,
// MOV to/from CRn and DRn, LMSW/SMSW, CLTS, INVLPG.

import type { Cpu } from '../cpu.js';
import type { Inst } from '../inst.js';
import { HandlerTable } from '../handler-table.js';
import { gp, ud } from '../faults.js';
import { rd16, rd32, wr16, wr32 } from '../mem-access.js';
import { refreshAllSegs } from '../segments.js';
import { requireCpl0 } from './system.js';
import { readE16, writeE16 } from './operands.js';

/** The descriptors handlers (assembled with the other tables by dispatch.ts). */
export const DESCRIPTORS_HANDLERS = new HandlerTable('descriptors');
const { def } = DESCRIPTORS_HANDLERS;

// SGDT/SIDT store limit and base (the base's high byte is stored as-is with a 32-bit operand; 16-bit stores 24 bits, like 386+ CPUs storing 0 in the top byte... QEMU stores the full base masked to 24 bits).
function storeTable(cpu: Cpu, i: Inst, base: number, limit: number): void {
  if (i.mod === 3) ud(cpu);
  const off = i.ea(cpu, i);
  wr16(cpu, i.seg, off, limit);
  wr32(cpu, i.seg, (off + 2) >>> 0, i.o32 ? base : base & 0xffffff);
}
function loadTable(cpu: Cpu, i: Inst): [number, number] {
  if (i.mod === 3) ud(cpu);
  requireCpl0(cpu);
  const off = i.ea(cpu, i);
  const limit = rd16(cpu, i.seg, off);
  let base = rd32(cpu, i.seg, (off + 2) >>> 0);
  if (!i.o32) base &= 0xffffff;
  return [base >>> 0, limit];
}

def(0x101, (cpu, i) => storeTable(cpu, i, cpu.gdtBase, cpu.gdtLimit), undefined, 0);
def(0x101, (cpu, i) => storeTable(cpu, i, cpu.idtBase, cpu.idtLimit), undefined, 1);
def(0x101, (cpu, i) => { [cpu.gdtBase, cpu.gdtLimit] = loadTable(cpu, i); }, undefined, 2);
def(0x101, (cpu, i) => { [cpu.idtBase, cpu.idtLimit] = loadTable(cpu, i); }, undefined, 3);
// SMSW: a register destination with 32-bit operand size gets all of CR0.
def(0x101, (cpu, i) => {
  if (i.mod === 3 && i.o32) cpu.regs[i.rm] = cpu.cr0;
  else writeE16(cpu, i, cpu.cr0 & 0xffff);
}, undefined, 4);
// LMSW: loads PE MP EM TS; cannot clear PE.
def(0x101, (cpu, i) => {
  requireCpl0(cpu);
  const v = readE16(cpu, i) & 0xf;
  setCr0(cpu, (cpu.cr0 & ~0xe) | v | (cpu.cr0 & 1));
}, undefined, 6);
def(0x101, (cpu, i) => {
  if (i.mod === 3) ud(cpu);
  requireCpl0(cpu);
  cpu.flushTlbPage((cpu.segBase[i.seg] + i.ea(cpu, i)) | 0);
}, undefined, 7);

def(0x106, (cpu) => { requireCpl0(cpu); cpu.cr0 &= ~8; });
// INVD, WBINVD (486): vmrr has no caches to flush or drop; privileged like CLTS. SeaBIOS runs WBINVD on its way to boot.
def(0x108, (cpu) => { requireCpl0(cpu); });
def(0x109, (cpu) => { requireCpl0(cpu); });

export function setCr0(cpu: Cpu, v: number): void {
  // PG without PE is invalid; NW without CD is invalid.
  if ((v & 0x80000000) && !(v & 1)) gp(cpu, 0);
  if ((v & 0x20000000) && !(v & 0x40000000)) gp(cpu, 0);
  const old = cpu.cr0;
  cpu.cr0 = (v | 0x10) | 0;
  if ((old ^ cpu.cr0) & 0x80010001) {
    cpu.flushTlb();
    if ((old ^ cpu.cr0) & 1) refreshAllSegs(cpu);
  }
}

// MOV r32, CRn / MOV CRn, r32 (ModRM mod is ignored: always a register)
def(0x120, (cpu, i) => {
  requireCpl0(cpu);
  let v: number;
  switch (i.reg) {
    case 0: v = cpu.cr0; break;
    case 2: v = cpu.cr2; break;
    case 3: v = cpu.cr3; break;
    case 4: v = cpu.cr4; break;
    default: return ud(cpu);
  }
  cpu.regs[i.rm] = v;
});
def(0x122, (cpu, i) => {
  requireCpl0(cpu);
  const v = cpu.regs[i.rm];
  switch (i.reg) {
    case 0: setCr0(cpu, v); break;
    case 2: cpu.cr2 = v; break;
    case 3: cpu.cr3 = v; cpu.flushTlb(); break;
    case 4:
      // Supported: VME(0)? no. PVI no. TSD(2) DE(3) PSE(4) PGE(7).
      if (v & ~(0x04 | 0x08 | 0x10 | 0x80)) gp(cpu, 0);
      cpu.cr4 = v;
      cpu.flushTlb();
      break;
    default: ud(cpu);
  }
});
// MOV r32, DRn / MOV DRn, r32 (DR4/DR5 alias DR6/DR7 unless CR4.DE)
const drIndex = (cpu: Cpu, r: number): number => {
  if (r === 4 || r === 5) {
    if (cpu.cr4 & 8) ud(cpu);
    return r + 2;
  }
  return r;
};
def(0x121, (cpu, i) => { requireCpl0(cpu); cpu.regs[i.rm] = cpu.dr[drIndex(cpu, i.reg)]; });
def(0x123, (cpu, i) => { requireCpl0(cpu); cpu.dr[drIndex(cpu, i.reg)] = cpu.regs[i.rm]; });
