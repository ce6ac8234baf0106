// Call gates: far CALL/JMP through a 286 or 386 call gate, with the
// privilege change and parameter copy of a CALL to a more privileged level.
// (RETF back to the outer level is in far.ts.)

import { type Cpu, CS, SS, ESP } from '../cpu.js';
import { gp, np, ts, raise, V_SS } from '../faults.js';
import { rd16, rd32 } from '../mem-access.js';
import { fetchDesc, newDesc, setAccessed, setSegCache, type Desc, A_S, A_P } from '../segments.js';
import { getSP, setSP, push16, push32, spOffset } from '../stack.js';
import { FrameWriter } from '../interrupts.js';
import { readTssStack, tssStack } from '../tasks.js';

const target = newDesc();
const ssd = newDesc();
const frame = new FrameWriter();

/** Transfer through the call gate `gate` (selected by `sel`). */
export function callGate(cpu: Cpu, sel: number, gate: Desc, call: boolean): void {
  const gdpl = (gate.attr >> 5) & 3;
  if (gdpl < cpu.cpl || gdpl < (sel & 3)) gp(cpu, sel & 0xfffc);
  if (!(gate.attr & A_P)) np(cpu, sel & 0xfffc);
  const gate32 = (gate.attr & 8) !== 0;
  // A 286 gate's offset is 16 bits: descriptor bytes 6-7 are not part of it
  // (QEMU 7.2 wrongly uses them; see fixtures/README.md).
  const offset = gate32 ? ((gate.lo & 0xffff) | (gate.hi & 0xffff0000)) >>> 0 : gate.lo & 0xffff;
  const tsel = gate.lo >>> 16;
  const terr = tsel & 0xfffc;
  if (terr === 0) gp(cpu, 0);
  if (!fetchDesc(cpu, tsel, target)) gp(cpu, terr);
  const attr = target.attr;
  const dpl = (attr >> 5) & 3;
  if (!(attr & A_S) || !(attr & 8) || dpl > cpu.cpl) gp(cpu, terr);
  const conforming = (attr & 4) !== 0;
  if (!call && !conforming && dpl !== cpu.cpl) gp(cpu, terr);
  if (!(attr & A_P)) np(cpu, terr);

  if (call && !conforming && dpl < cpu.cpl) {
    callInner(cpu, tsel, offset, dpl, gate32, gate.hi & 0x1f);
    return;
  }
  if (offset > target.limit) gp(cpu, 0);
  if (call) {
    // The gate's size, not the instruction's, sets the size of the return address.
    const sp = getSP(cpu);
    try {
      if (gate32) { push32(cpu, cpu.sreg[CS]); push32(cpu, cpu.eip); }
      else { push16(cpu, cpu.sreg[CS]); push16(cpu, cpu.eip); }
    } catch (e) { setSP(cpu, sp); throw e; }
  }
  setAccessed(cpu, target);
  setSegCache(cpu, CS, terr | cpu.cpl, target.base, target.limit, attr | 1);
  cpu.eip = offset;
}

/** CALL to a more privileged non-conforming segment: new stack from the TSS, copy `params` entries. */
function callInner(cpu: Cpu, tsel: number, offset: number, dpl: number, gate32: boolean, params: number): void {
  readTssStack(cpu, dpl, 0);
  const newSS = tssStack.ss;
  const serr = newSS & 0xfffc;
  if (serr === 0) ts(cpu, 0);
  if (!fetchDesc(cpu, newSS, ssd)) ts(cpu, serr);
  const sattr = ssd.attr;
  if ((newSS & 3) !== dpl || ((sattr >> 5) & 3) !== dpl || !(sattr & A_S) || (sattr & 8) || !(sattr & 2)) ts(cpu, serr);
  if (!(sattr & A_P)) raise(cpu, V_SS, serr);
  if (offset > target.limit) gp(cpu, 0);

  const size = gate32 ? 4 : 2;
  frame.start(cpu, newSS, ssd, tssStack.sp, 0);
  frame.push(cpu.sreg[SS], size);
  frame.push(cpu.regs[ESP], size);
  // Parameters keep their order: the one at the caller's highest address goes first.
  for (let k = params - 1; k >= 0; k--) {
    const off = spOffset(cpu, k * size);
    frame.push(gate32 ? rd32(cpu, SS, off) : rd16(cpu, SS, off), size);
  }
  frame.push(cpu.sreg[CS], size);
  frame.push(cpu.eip, size);

  setAccessed(cpu, target);
  cpu.cpl = dpl;
  cpu.updatePrivilege();
  frame.commit(ssd, dpl);
  setSegCache(cpu, CS, (tsel & 0xfffc) | dpl, target.base, target.limit, target.attr | 1);
  cpu.eip = offset;
}
