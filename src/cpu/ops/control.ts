// Near control transfers: Jcc, JMP, CALL, RET, LOOPcc, JCXZ; software
// interrupts INT n/INT3/INTO and BOUND.

import { type Cpu, CS } from '../cpu.js';
import type { Inst } from '../inst.js';
import { HandlerTable } from '../handler-table.js';
import { testCC, getOF } from '../flags.js';
import { gp, raise, ud, V_BR } from '../faults.js';
import { rd16, rd32 } from '../mem-access.js';
import { readE16, readE32 } from './operands.js';
import { push16, push32, pop16, pop32, getSP, setSP } from '../stack.js';
import { deliverInterrupt } from '../interrupts.js';

/** The control handlers (assembled with the other tables by dispatch.ts). */
export const CONTROL_HANDLERS = new HandlerTable('control');
const { def } = CONTROL_HANDLERS;

/** Set EIP to a near target, checking the CS limit before anything else changes. */
export function jumpNear(cpu: Cpu, target: number, o32: boolean): void {
  const t = o32 ? target >>> 0 : target & 0xffff;
  if (t > cpu.segLimit[CS]) gp(cpu, 0);
  cpu.eip = t;
}

// Jcc rel8 / rel16/32
for (let cc = 0; cc < 16; cc++) {
  const jcc = (cpu: Cpu, i: Inst): void => {
    if (testCC(cpu, cc)) jumpNear(cpu, cpu.eip + i.imm, i.o32);
  };
  def(0x70 + cc, jcc);
  def(0x180 + cc, jcc);
}
const jmpRel = (cpu: Cpu, i: Inst): void => jumpNear(cpu, cpu.eip + i.imm, i.o32);
def(0xeb, jmpRel);
def(0xe9, jmpRel);

def(0xe8, (cpu, i) => {
  const t = i.o32 ? (cpu.eip + i.imm) >>> 0 : (cpu.eip + i.imm) & 0xffff;
  if (t > cpu.segLimit[CS]) gp(cpu, 0);
  if (i.o32) push32(cpu, cpu.eip); else push16(cpu, cpu.eip);
  cpu.eip = t;
});

// RET, RET imm16
def(0xc3, (cpu) => {
  const t = pop16(cpu);
  if (t > cpu.segLimit[CS]) { setSP(cpu, getSP(cpu) - 2); gp(cpu, 0); }
  cpu.eip = t;
}, (cpu) => {
  const t = pop32(cpu) >>> 0;
  if (t > cpu.segLimit[CS]) { setSP(cpu, getSP(cpu) - 4); gp(cpu, 0); }
  cpu.eip = t;
});
def(0xc2, (cpu, i) => {
  const t = pop16(cpu);
  if (t > cpu.segLimit[CS]) { setSP(cpu, getSP(cpu) - 2); gp(cpu, 0); }
  cpu.eip = t;
  setSP(cpu, getSP(cpu) + i.imm);
}, (cpu, i) => {
  const t = pop32(cpu) >>> 0;
  if (t > cpu.segLimit[CS]) { setSP(cpu, getSP(cpu) - 4); gp(cpu, 0); }
  cpu.eip = t;
  setSP(cpu, getSP(cpu) + i.imm);
});

// JMP/CALL near indirect (group 5)
def(0xff, (cpu, i) => jumpNear(cpu, readE16(cpu, i), false), (cpu, i) => jumpNear(cpu, readE32(cpu, i), true), 4);
def(0xff, (cpu, i) => {
  const t = readE16(cpu, i);
  if (t > cpu.segLimit[CS]) gp(cpu, 0);
  push16(cpu, cpu.eip);
  cpu.eip = t;
}, (cpu, i) => {
  const t = readE32(cpu, i) >>> 0;
  if (t > cpu.segLimit[CS]) gp(cpu, 0);
  push32(cpu, cpu.eip);
  cpu.eip = t;
}, 2);

// LOOPNE, LOOPE, LOOP, JCXZ: the count register follows the address size.
function loopOp(kind: number) {
  return (cpu: Cpu, i: Inst): void => {
    let c: number;
    if (kind === 3) c = i.a32 ? cpu.regs[1] : cpu.regs16[2];
    else if (i.a32) c = cpu.regs[1] = cpu.regs[1] - 1;
    else c = cpu.regs16[2] = cpu.regs16[2] - 1;
    let take: boolean;
    switch (kind) {
      case 0: take = c !== 0 && !testCC(cpu, 4); break;
      case 1: take = c !== 0 && testCC(cpu, 4); break;
      case 2: take = c !== 0; break;
      default: take = c === 0; break;
    }
    if (take) jumpNear(cpu, cpu.eip + i.imm, i.o32);
  };
}
def(0xe0, loopOp(0));
def(0xe1, loopOp(1));
def(0xe2, loopOp(2));
def(0xe3, loopOp(3));

// Software interrupts: EIP already points past the instruction (trap semantics).
def(0xcc, (cpu) => deliverInterrupt(cpu, 3, -1, true, false));
def(0xcd, (cpu, i) => {
  if ((cpu.flags & 0x20000) && ((cpu.flags >> 12) & 3) < 3) gp(cpu, 0);
  deliverInterrupt(cpu, i.imm & 0xff, -1, true, false);
});
def(0xce, (cpu) => { if (getOF(cpu)) deliverInterrupt(cpu, 4, -1, true, false); });
def(0xf1, (cpu) => deliverInterrupt(cpu, 1, -1, false, false));

// BOUND
def(0x62, (cpu, i) => {
  if (i.mod === 3) ud(cpu);
  const off = i.ea(cpu, i);
  if (i.o32) {
    const lo = rd32(cpu, i.seg, off), hi = rd32(cpu, i.seg, (off + 4) >>> 0), v = cpu.regs[i.reg];
    if (v < lo || v > hi) raise(cpu, V_BR);
  } else {
    const s = (x: number): number => (x << 16) >> 16;
    const lo = s(rd16(cpu, i.seg, off)), hi = s(rd16(cpu, i.seg, (off + 2) & 0xffff)), v = s(cpu.regs16[i.reg << 1]);
    if (v < lo || v > hi) raise(cpu, V_BR);
  }
});
