// Interrupt and exception delivery: the real-mode IVT, and protected-mode
// IDT gates with privilege changes, V86 exits and task gates.

import { type Cpu, CS, SS, ESP, ES, DS, FS, GS } from './cpu.js';
import { IF, TF, NT, RF, VM, AC } from './flags.js';
import { gp, np, ts, raise, V_SS, hasErrorCode } from './faults.js';
import { sysRd16, sysRd32, sysWr16, sysWr32 } from './mem-access.js';
import {
  fetchDesc, newDesc, setAccessed, setSegCache, loadSegReal, type Desc, DATA_SEGS, A_S, A_P, A_DB, A_UNUSABLE,
} from './segments.js';
import { push16, push32 } from './stack.js';
import { taskSwitch, readTssStack, tssStack, TASK_INT } from './tasks.js';

const cs = newDesc();
const ssd = newDesc();

/**
 * Deliver interrupt `vec`. `code` is the error code or -1; `soft` is true for
 * INT n/INT3/INTO (gate DPL checked); `ext` marks external events/exceptions
 * (the EXT bit of error codes).
 */
export function deliverInterrupt(cpu: Cpu, vec: number, code: number, soft: boolean, ext: boolean): void {
  if (!(cpu.cr0 & 1)) {
    realModeInterrupt(cpu, vec);
    return;
  }
  protectedInterrupt(cpu, vec, hasErrorCode(vec) && !soft ? code : -1, soft, ext ? 1 : 0);
}

function realModeInterrupt(cpu: Cpu, vec: number): void {
  if (vec * 4 + 3 > cpu.idtLimit) gp(cpu, 0);
  const ip = sysRd16(cpu, cpu.idtBase + vec * 4);
  const sel = sysRd16(cpu, cpu.idtBase + vec * 4 + 2);
  const flags = cpu.getEflags();
  push16(cpu, flags);
  push16(cpu, cpu.sreg[CS]);
  push16(cpu, cpu.eip);
  cpu.flags &= ~(IF | TF | AC | RF);
  loadSegReal(cpu, CS, sel);
  cpu.eip = ip;
}

/** Writes a privilege-change frame onto a stack not yet loaded into SS (shared with call gates). */
export class FrameWriter {
  cpu!: Cpu;
  base = 0;
  limit = 0;
  sp = 0;
  big = false;
  expandDown = false;
  sel = 0;
  /** #SS error code: the stack's selector, plus EXT during event delivery. */
  err = 0;
  /** Aim at the stack described by `d` (selector `sel`), starting at `sp`. */
  start(cpu: Cpu, sel: number, d: Desc, sp: number, ext: number): void {
    this.cpu = cpu;
    this.sel = sel;
    this.err = (sel & 0xfffc) + ext;
    this.base = d.base;
    this.limit = d.limit;
    this.big = (d.attr & A_DB) !== 0;
    this.expandDown = (d.attr & 4) !== 0;
    this.sp = this.big ? sp >>> 0 : sp & 0xffff;
  }
  push(v: number, size: number): void {
    const sp = this.big ? (this.sp - size) >>> 0 : (this.sp - size) & 0xffff;
    const outside = this.expandDown
      ? sp <= this.limit || sp + size - 1 > (this.big ? 0xffffffff : 0xffff)
      : sp + size - 1 > this.limit;
    if (outside) raise(this.cpu, V_SS, this.err);
    const lin = (this.base + sp) | 0;
    if (size === 4) sysWr32(this.cpu, lin, v); else sysWr16(this.cpu, lin, v);
    this.sp = sp;
  }
  /** Load the written stack into SS:(E)SP at privilege `cpl`. */
  commit(d: Desc, cpl: number): void {
    setAccessed(this.cpu, d);
    setSegCache(this.cpu, SS, (this.sel & 0xfffc) | cpl, d.base, d.limit, d.attr | 1);
    if (this.big) this.cpu.regs[ESP] = this.sp; else this.cpu.regs16[ESP * 2] = this.sp;
  }
}
const frame = new FrameWriter();

function protectedInterrupt(cpu: Cpu, vec: number, code: number, soft: boolean, ext: number): void {
  const idx = vec * 8;
  if (idx + 7 > cpu.idtLimit) gp(cpu, idx + 2 + ext);
  const lo = sysRd32(cpu, cpu.idtBase + idx);
  const hi = sysRd32(cpu, cpu.idtBase + idx + 4);
  const type = (hi >> 8) & 0x1f;
  const gdpl = (hi >> 13) & 3;
  if (type !== 5 && type !== 6 && type !== 7 && type !== 0xe && type !== 0xf) gp(cpu, idx + 2 + ext);
  if (soft && gdpl < cpu.cpl) gp(cpu, idx + 2);
  if (!(hi & 0x8000)) np(cpu, idx + 2 + ext);
  if (type === 5) {
    taskSwitch(cpu, lo >>> 16, TASK_INT, code, ext);
    return;
  }
  const gate32 = (type & 8) !== 0;
  const sel = lo >>> 16;
  // 286 gates carry a 16-bit offset; the high word of the gate is ignored.
  const offset = gate32 ? ((lo & 0xffff) | (hi & 0xffff0000)) >>> 0 : lo & 0xffff;
  if ((sel & 0xfffc) === 0) gp(cpu, ext);
  if (!fetchDesc(cpu, sel, cs)) gp(cpu, (sel & 0xfffc) + ext);
  const cdpl = (cs.attr >> 5) & 3;
  if (!(cs.attr & A_S) || !(cs.attr & 8) || cdpl > cpu.cpl) gp(cpu, (sel & 0xfffc) + ext);
  if (!(cs.attr & A_P)) np(cpu, (sel & 0xfffc) + ext);
  if (offset > cs.limit) gp(cpu, ext);
  const conforming = (cs.attr & 4) !== 0;
  const v86 = (cpu.flags & VM) !== 0;
  const oldFlags = cpu.getEflags();
  const size = gate32 ? 4 : 2;

  if (!conforming && cdpl < cpu.cpl) {
    if (v86 && cdpl !== 0) gp(cpu, (sel & 0xfffc) + ext);
    // Inner privilege: the new stack comes from the TSS.
    readTssStack(cpu, cdpl, ext);
    const newSS = tssStack.ss;
    if ((newSS & 0xfffc) === 0) ts(cpu, ext);
    if (!fetchDesc(cpu, newSS, ssd)) ts(cpu, (newSS & 0xfffc) + ext);
    const sdpl = (ssd.attr >> 5) & 3;
    if ((newSS & 3) !== cdpl || sdpl !== cdpl || !(ssd.attr & A_S) || (ssd.attr & 8) || !(ssd.attr & 2)) {
      ts(cpu, (newSS & 0xfffc) + ext);
    }
    if (!(ssd.attr & A_P)) raise(cpu, V_SS, (newSS & 0xfffc) + ext);
    frame.start(cpu, newSS, ssd, tssStack.sp, ext);
    if (v86) {
      frame.push(cpu.sreg[GS], size);
      frame.push(cpu.sreg[FS], size);
      frame.push(cpu.sreg[DS], size);
      frame.push(cpu.sreg[ES], size);
    }
    frame.push(cpu.sreg[SS], size);
    frame.push(cpu.regs[ESP], size);
    frame.push(oldFlags, size);
    frame.push(cpu.sreg[CS], size);
    frame.push(cpu.eip, size);
    if (code >= 0) frame.push(code, size);
    // Commit.
    setAccessed(cpu, cs);
    cpu.flags &= ~(TF | NT | RF | VM);
    if (!(type & 1)) cpu.flags &= ~IF;
    if (v86) {
      for (const s of DATA_SEGS) setSegCache(cpu, s, 0, 0, 0, A_UNUSABLE);
    }
    cpu.cpl = cdpl;
    cpu.updatePrivilege();
    frame.commit(ssd, cdpl);
    setSegCache(cpu, CS, (sel & 0xfffc) | cdpl, cs.base, cs.limit, cs.attr | 1);
    cpu.eip = offset;
    return;
  }
  if (v86) gp(cpu, (sel & 0xfffc) + ext);
  // Same privilege.
  checkStackRoom(cpu, (code >= 0 ? 4 : 3) * size, ext);
  const push = gate32 ? push32 : push16;
  const saveSP = cpu.regs[ESP];
  try {
    push(cpu, oldFlags);
    push(cpu, cpu.sreg[CS]);
    push(cpu, cpu.eip);
    if (code >= 0) push(cpu, code);
  } catch (e) {
    cpu.regs[ESP] = saveSP;
    throw e;
  }
  setAccessed(cpu, cs);
  cpu.flags &= ~(TF | NT | RF | VM);
  if (!(type & 1)) cpu.flags &= ~IF;
  setSegCache(cpu, CS, (sel & 0xfffc) | cpu.cpl, cs.base, cs.limit, cs.attr | 1);
  cpu.eip = offset;
}

/**
 * #SS(EXT) if the current stack cannot take `bytes` more (the pushes themselves
 * would report #SS(0)). A frame that wraps around offset 0 is left to the pushes.
 */
function checkStackRoom(cpu: Cpu, bytes: number, ext: number): void {
  const big = cpu.ssB;
  const sp = big ? cpu.regs[ESP] >>> 0 : cpu.regs16[ESP * 2];
  if (sp < bytes) return;
  const lo = sp - bytes;
  const hi = lo + bytes - 1;
  const limit = cpu.segLimit[SS];
  const ok = (cpu.segAttr[SS] & 4) ? lo > limit && hi <= (big ? 0xffffffff : 0xffff) : hi <= limit;
  if (!ok) raise(cpu, V_SS, ext);
}
