// String instructions MOVS CMPS STOS LODS SCAS with REP/REPE/REPNE. Each
// iteration counts as one instruction (DESIGN section 3): a REP instruction
// runs iterations until done or until icount reaches stopAt, and then leaves
// EIP on itself so the next step resumes it (interrupts land in between).

import type { Cpu } from '../cpu.js';
import type { Inst, Handler } from '../inst.js';
import { HandlerTable } from '../handler-table.js';
import { DF, getZF } from '../flags.js';
import { rd8, rd16, rd32, wr8, wr16, wr32 } from '../mem-access.js';
import { alu } from './alu.js';

/** The string handlers (assembled with the other tables by dispatch.ts). */
export const STRING_HANDLERS = new HandlerTable('string');
const { def } = STRING_HANDLERS;

type Iter = (cpu: Cpu, i: Inst) => void;

/** Wrap one iteration into the REP-aware handler. `cmp` marks CMPS/SCAS (REPE/REPNE test ZF). */
export function repeatable(iter: Iter, cmp: boolean): Handler {
  return (cpu, i) => {
    if (i.rep === 0) { iter(cpu, i); return; }
    const a32 = i.a32;
    for (;;) {
      const c = a32 ? cpu.regs[1] : cpu.regs16[2];
      if (c === 0) return;
      iter(cpu, i);
      if (a32) cpu.regs[1] = c - 1; else cpu.regs16[2] = c - 1;
      if (c - 1 === 0) return;
      if (cmp) {
        const zf = getZF(cpu);
        if (i.rep === 1 ? !zf : zf) return;
      }
      if (cpu.icount + 1 >= cpu.stopAt) { cpu.eip = cpu.prevEip; return; }
      cpu.icount++;
    }
  };
}

/** Source index (ESI or SI) and destination index, and advancing them by `delta`. */
export function srcIdx(cpu: Cpu, i: Inst): number { return i.a32 ? cpu.regs[6] >>> 0 : cpu.regs16[12]; }
export function dstIdx(cpu: Cpu, i: Inst): number { return i.a32 ? cpu.regs[7] >>> 0 : cpu.regs16[14]; }
export function advSrc(cpu: Cpu, i: Inst, size: number): void {
  const d = cpu.flags & DF ? -size : size;
  if (i.a32) cpu.regs[6] += d; else cpu.regs16[12] += d;
}
export function advDst(cpu: Cpu, i: Inst, size: number): void {
  const d = cpu.flags & DF ? -size : size;
  if (i.a32) cpu.regs[7] += d; else cpu.regs16[14] += d;
}

const ES = 0;
const rdBy = [rd8, rd16, rd32];
const wrBy = [wr8, wr16, wr32];

function sizes(op8: number, f: (size: number, log: number) => Handler): void {
  def(op8, f(1, 0));
  def(op8 + 1, f(2, 1), f(4, 2));
}

sizes(0xa4, (size, lg) => repeatable((cpu, i) => {
  const v = rdBy[lg](cpu, i.seg, srcIdx(cpu, i));
  wrBy[lg](cpu, ES, dstIdx(cpu, i), v);
  advSrc(cpu, i, size);
  advDst(cpu, i, size);
}, false));

sizes(0xa6, (size, lg) => repeatable((cpu, i) => {
  const a = rdBy[lg](cpu, i.seg, srcIdx(cpu, i));
  const b = rdBy[lg](cpu, ES, dstIdx(cpu, i));
  alu(cpu, 7, a, b, size * 8);
  advSrc(cpu, i, size);
  advDst(cpu, i, size);
}, true));

sizes(0xaa, (size, lg) => repeatable((cpu, i) => {
  const v = lg === 0 ? cpu.regs8[0] : lg === 1 ? cpu.regs16[0] : cpu.regs[0];
  wrBy[lg](cpu, ES, dstIdx(cpu, i), v);
  advDst(cpu, i, size);
}, false));

sizes(0xac, (size, lg) => repeatable((cpu, i) => {
  const v = rdBy[lg](cpu, i.seg, srcIdx(cpu, i));
  if (lg === 0) cpu.regs8[0] = v; else if (lg === 1) cpu.regs16[0] = v; else cpu.regs[0] = v;
  advSrc(cpu, i, size);
}, false));

sizes(0xae, (size, lg) => repeatable((cpu, i) => {
  const a = lg === 0 ? cpu.regs8[0] : lg === 1 ? cpu.regs16[0] : cpu.regs[0];
  const b = rdBy[lg](cpu, ES, dstIdx(cpu, i));
  alu(cpu, 7, a, b, size * 8);
  advDst(cpu, i, size);
}, true));
