// PUSH/POP (registers, immediates, memory, segment registers), PUSHA/POPA,
// PUSHF/POPF, ENTER/LEAVE.

import { type Cpu, ESP, EBP, SS } from '../cpu.js';
import type { Inst } from '../inst.js';
import { HandlerTable } from '../handler-table.js';
import { gp } from '../faults.js';
import { IF, IOPL, RF, VM, VIF, VIP, AC, ID, NT } from '../flags.js';
import { rd16, rd32, wr16, wr32 } from '../mem-access.js';
import { loadSeg } from '../segments.js';
import { push16, push32, pop16, pop32, getSP, setSP, spOffset } from '../stack.js';
import { readE16, readE32, writeE16, writeE32 } from './operands.js';

/** The stack handlers (assembled with the other tables by dispatch.ts). */
export const STACK_HANDLERS = new HandlerTable('stack');
const { def } = STACK_HANDLERS;

for (let r = 0; r < 8; r++) {
  def(0x50 + r, (cpu) => push16(cpu, cpu.regs16[r << 1]), (cpu) => push32(cpu, cpu.regs[r]));
  def(0x58 + r, (cpu) => { const v = pop16(cpu); cpu.regs16[r << 1] = v; },
    (cpu) => { const v = pop32(cpu); cpu.regs[r] = v; });
}
def(0x68, (cpu, i) => push16(cpu, i.imm), (cpu, i) => push32(cpu, i.imm));
def(0x6a, (cpu, i) => push16(cpu, i.imm), (cpu, i) => push32(cpu, i.imm));
def(0xff, (cpu, i) => push16(cpu, readE16(cpu, i)), (cpu, i) => push32(cpu, readE32(cpu, i)), 6);

// POP Ev: the address is computed with the incremented ESP; a faulting store leaves ESP as it was.
def(0x8f, (cpu, i) => {
  const sp = getSP(cpu);
  const v = rd16(cpu, SS, spOffset(cpu, 0));
  setSP(cpu, spOffset(cpu, 2));
  try { writeE16(cpu, i, v); } catch (e) { setSP(cpu, sp); throw e; }
}, (cpu, i) => {
  const sp = getSP(cpu);
  const v = rd32(cpu, SS, spOffset(cpu, 0));
  setSP(cpu, spOffset(cpu, 4));
  try { writeE32(cpu, i, v); } catch (e) { setSP(cpu, sp); throw e; }
}, 0);

// Segment registers (a 32-bit push stores the zero-extended selector).
const pushSeg = (seg: number) => [
  (cpu: Cpu): void => push16(cpu, cpu.sreg[seg]),
  (cpu: Cpu): void => push32(cpu, cpu.sreg[seg]),
] as const;
const popSeg = (seg: number) => [
  (cpu: Cpu): void => {
    const sel = rd16(cpu, SS, spOffset(cpu, 0));
    loadSeg(cpu, seg, sel);
    setSP(cpu, spOffset(cpu, 2));
    if (seg === SS) { cpu.shadowUntil = cpu.icount + 1; cpu.requestExit(); }
  },
  (cpu: Cpu): void => {
    const sel = rd16(cpu, SS, spOffset(cpu, 0));
    loadSeg(cpu, seg, sel);
    setSP(cpu, spOffset(cpu, 4));
    if (seg === SS) { cpu.shadowUntil = cpu.icount + 1; cpu.requestExit(); }
  },
] as const;
for (const [op, seg] of [[0x06, 0], [0x0e, 1], [0x16, 2], [0x1e, 3], [0x1a0, 4], [0x1a8, 5]]) {
  def(op, ...pushSeg(seg));
}
for (const [op, seg] of [[0x07, 0], [0x17, 2], [0x1f, 3], [0x1a1, 4], [0x1a9, 5]]) {
  def(op, ...popSeg(seg));
}

// PUSHA / POPA: all stores/loads complete before ESP moves.
def(0x60, (cpu) => {
  for (let r = 0; r < 8; r++) wr16(cpu, SS, spOffset(cpu, -2 * (r + 1)), cpu.regs16[r << 1]);
  setSP(cpu, spOffset(cpu, -16));
}, (cpu) => {
  for (let r = 0; r < 8; r++) wr32(cpu, SS, spOffset(cpu, -4 * (r + 1)), cpu.regs[r]);
  setSP(cpu, spOffset(cpu, -32));
});
def(0x61, (cpu) => {
  const v: number[] = [];
  for (let r = 7; r >= 0; r--) v[r] = rd16(cpu, SS, spOffset(cpu, 2 * (7 - r)));
  for (let r = 0; r < 8; r++) if (r !== ESP) cpu.regs16[r << 1] = v[r];
  setSP(cpu, spOffset(cpu, 16));
}, (cpu) => {
  const v: number[] = [];
  for (let r = 7; r >= 0; r--) v[r] = rd32(cpu, SS, spOffset(cpu, 4 * (7 - r)));
  for (let r = 0; r < 8; r++) if (r !== ESP) cpu.regs[r] = v[r];
  setSP(cpu, spOffset(cpu, 32));
});

// PUSHF / POPF with the IOPL and V86 rules. VM and RF are never pushed as set.
function iopl(cpu: Cpu): number {
  return (cpu.flags & IOPL) >> 12;
}
def(0x9c, (cpu) => {
  if ((cpu.flags & VM) && iopl(cpu) < 3) gp(cpu, 0);
  push16(cpu, cpu.getEflags());
}, (cpu) => {
  if ((cpu.flags & VM) && iopl(cpu) < 3) gp(cpu, 0);
  push32(cpu, cpu.getEflags() & ~(VM | RF));
});

/** Apply a POPF/IRET-style EFLAGS image under the current privilege rules. */
export function writeFlagsChecked(cpu: Cpu, v: number, o32: boolean): void {
  const old = cpu.getEflags();
  let mask = 0x7fd5 | NT; // arithmetic, TF, IF, DF, IOPL, NT (16-bit image)
  if (o32) mask |= AC | ID;
  if (cpu.protectedMode) {
    if (cpu.flags & VM) mask &= ~IOPL;
    else {
      if (cpu.cpl > 0) mask &= ~IOPL;
      if (cpu.cpl > iopl(cpu)) mask &= ~IF;
    }
  }
  cpu.setEflags((old & ~mask) | (v & mask) & ~(VIF | VIP | VM | RF) | (old & (VM | VIF | VIP)));
}

def(0x9d, (cpu) => {
  if ((cpu.flags & VM) && iopl(cpu) < 3) gp(cpu, 0);
  writeFlagsChecked(cpu, pop16(cpu), false);
}, (cpu) => {
  if ((cpu.flags & VM) && iopl(cpu) < 3) gp(cpu, 0);
  writeFlagsChecked(cpu, pop32(cpu), true);
});

// ENTER size, level
def(0xc8, (cpu, i) => enter(cpu, i, false), (cpu, i) => enter(cpu, i, true));
function enter(cpu: Cpu, i: Inst, o32: boolean): void {
  const size = i.imm & 0xffff;
  const level = i.imm2 & 31;
  const w = o32 ? 4 : 2;
  const big = cpu.ssB;
  const wrap = (x: number): number => (big ? x >>> 0 : x & 0xffff);
  const write = (off: number, v: number): void => (o32 ? wr32(cpu, SS, off, v) : wr16(cpu, SS, off, v));
  const read = (off: number): number => (o32 ? rd32(cpu, SS, off) : rd16(cpu, SS, off));
  let sp = wrap(getSP(cpu) - w);
  const bp = o32 ? cpu.regs[EBP] : cpu.regs16[EBP << 1];
  write(sp, bp);
  const frame = sp;
  if (level > 0) {
    let fbp = big ? cpu.regs[EBP] >>> 0 : cpu.regs16[EBP << 1];
    for (let k = 1; k < level; k++) {
      fbp = wrap(fbp - w);
      sp = wrap(sp - w);
      write(sp, read(fbp));
    }
    sp = wrap(sp - w);
    write(sp, frame);
  }
  sp = wrap(sp - size);
  // The new stack top must be writable (checked before anything changes).
  if (size > 0) write(sp, read(sp));
  if (o32) cpu.regs[EBP] = frame; else cpu.regs16[EBP << 1] = frame;
  setSP(cpu, sp);
}

// LEAVE
def(0xc9, (cpu) => {
  const sp = cpu.ssB ? cpu.regs[EBP] >>> 0 : cpu.regs16[EBP << 1];
  const v = rd16(cpu, SS, sp);
  setSP(cpu, sp + 2);
  cpu.regs16[EBP << 1] = v;
}, (cpu) => {
  const sp = cpu.ssB ? cpu.regs[EBP] >>> 0 : cpu.regs16[EBP << 1];
  const v = rd32(cpu, SS, sp);
  setSP(cpu, sp + 4);
  cpu.regs[EBP] = v;
});

