// Far control transfers: JMP/CALL far (direct and indirect), RETF, IRET, in
// real, V86 and protected mode.

import { type Cpu, CS, SS, ESP } from '../cpu.js';
import type { Inst } from '../inst.js';
import { HandlerTable } from '../handler-table.js';
import { gp, np, ud, raise, V_SS } from '../faults.js';
import { IF, IOPL, NT, RF, VM, VIF, VIP, AC, ID, TF } from '../flags.js';
import { rd16, rd32, sysRd16 } from '../mem-access.js';
import {
  fetchDesc, newDesc, setAccessed, setSegCache, loadSegReal, invalidateSegsForCpl, refreshAllSegs,
  A_S, A_P, A_DB,
} from '../segments.js';
import { push16, push32, getSP, setSP, spOffset } from '../stack.js';
import { taskSwitch, TASK_JMP, TASK_CALL, TASK_IRET } from '../tasks.js';
import { writeFlagsChecked } from './stack-ops.js';
import { callGate } from './gates.js';

/** The far handlers (assembled with the other tables by dispatch.ts). */
export const FAR_HANDLERS = new HandlerTable('far');
const { def } = FAR_HANDLERS;

const cd = newDesc();
const sd = newDesc();

const realMode = (cpu: Cpu): boolean => !(cpu.cr0 & 1) || (cpu.flags & VM) !== 0;

/** Load CS from a code-segment descriptor already validated for the transfer, at privilege `cpl`. */
function enterCode(cpu: Cpu, sel: number, offset: number, cpl: number): void {
  if (offset > cd.limit) gp(cpu, 0);
  setAccessed(cpu, cd);
  setSegCache(cpu, CS, (sel & 0xfffc) | cpl, cd.base, cd.limit, cd.attr | 1);
  cpu.eip = offset;
}

/** Validate a direct far JMP/CALL target; returns 'code' or defers gates/TSS to their handlers. */
function farTarget(cpu: Cpu, sel: number, offset: number, call: boolean, o32: boolean): void {
  if ((sel & 0xfffc) === 0) gp(cpu, 0);
  if (!fetchDesc(cpu, sel, cd)) gp(cpu, sel & 0xfffc);
  const dpl = (cd.attr >> 5) & 3;
  const rpl = sel & 3;
  if (cd.attr & A_S) {
    if (!(cd.attr & 8)) gp(cpu, sel & 0xfffc);
    if (cd.attr & 4) { if (dpl > cpu.cpl) gp(cpu, sel & 0xfffc); } // conforming
    else if (rpl > cpu.cpl || dpl !== cpu.cpl) gp(cpu, sel & 0xfffc);
    if (!(cd.attr & A_P)) np(cpu, sel & 0xfffc);
    if (offset > cd.limit) gp(cpu, 0);
    if (!call) {
      enterCode(cpu, sel, offset, cpu.cpl);
      return;
    }
    // A fault on either push (or on setting the accessed bit) leaves ESP as it was.
    const sp = getSP(cpu);
    try {
      if (o32) { push32(cpu, cpu.sreg[CS]); push32(cpu, cpu.eip); }
      else { push16(cpu, cpu.sreg[CS]); push16(cpu, cpu.eip); }
      enterCode(cpu, sel, offset, cpu.cpl);
    } catch (e) { setSP(cpu, sp); throw e; }
    return;
  }
  const type = cd.attr & 0x1f;
  switch (type) {
    case 1: case 9: // available TSS
      if (dpl < cpu.cpl || dpl < rpl) gp(cpu, sel & 0xfffc);
      if (!(cd.attr & A_P)) np(cpu, sel & 0xfffc);
      taskSwitch(cpu, sel, call ? TASK_CALL : TASK_JMP, -1, 0);
      return;
    case 5: // task gate
      if (dpl < cpu.cpl || dpl < rpl) gp(cpu, sel & 0xfffc);
      if (!(cd.attr & A_P)) np(cpu, sel & 0xfffc);
      taskSwitch(cpu, (cd.lo >>> 16), call ? TASK_CALL : TASK_JMP, -1, 0);
      return;
    case 4: case 12: // call gate
      callGate(cpu, sel, cd, call);
      return;
    default:
      gp(cpu, sel & 0xfffc);
  }
}

function jmpFar(cpu: Cpu, sel: number, offset: number, o32: boolean): void {
  if (realMode(cpu)) {
    const t = o32 ? offset >>> 0 : offset & 0xffff;
    loadSegReal(cpu, CS, sel);
    cpu.eip = t;
    return;
  }
  farTarget(cpu, sel, offset, false, o32);
}

function callFar(cpu: Cpu, sel: number, offset: number, o32: boolean): void {
  if (realMode(cpu)) {
    const t = o32 ? offset >>> 0 : offset & 0xffff;
    const cs = cpu.sreg[CS], ret = cpu.eip;
    const sp = getSP(cpu);
    try {
      if (o32) { push32(cpu, cs); push32(cpu, ret); } else { push16(cpu, cs); push16(cpu, ret); }
    } catch (e) { setSP(cpu, sp); throw e; }
    loadSegReal(cpu, CS, sel);
    cpu.eip = t;
    return;
  }
  farTarget(cpu, sel, offset, true, o32);
}

def(0xea, (cpu, i) => jmpFar(cpu, i.imm2, i.imm, i.o32));
def(0x9a, (cpu, i) => callFar(cpu, i.imm2, i.imm, i.o32));

function farPointer(cpu: Cpu, i: Inst): [number, number] {
  if (i.mod === 3) ud(cpu);
  const off = i.ea(cpu, i);
  const offset = i.o32 ? rd32(cpu, i.seg, off) >>> 0 : rd16(cpu, i.seg, off);
  const sel = rd16(cpu, i.seg, (off + (i.o32 ? 4 : 2)) >>> 0);
  return [sel, offset];
}
def(0xff, (cpu, i) => { const [s, o] = farPointer(cpu, i); callFar(cpu, s, o, i.o32); }, undefined, 3);
def(0xff, (cpu, i) => { const [s, o] = farPointer(cpu, i); jmpFar(cpu, s, o, i.o32); }, undefined, 5);

// ---- RETF ----

/** The word or dword `d` bytes above the stack pointer (a plain function: RETF/IRET should not allocate). */
function stackAt(cpu: Cpu, o32: boolean, d: number): number {
  return o32 ? rd32(cpu, SS, spOffset(cpu, d)) >>> 0 : rd16(cpu, SS, spOffset(cpu, d));
}

/** Validate the code segment RETF or IRET returns to (left in `cd`); returns the new privilege (its RPL). */
function returnCode(cpu: Cpu, sel: number): number {
  if ((sel & 0xfffc) === 0) gp(cpu, 0);
  if (!fetchDesc(cpu, sel, cd)) gp(cpu, sel & 0xfffc);
  const rpl = sel & 3;
  const dpl = (cd.attr >> 5) & 3;
  if (!(cd.attr & A_S) || !(cd.attr & 8) || rpl < cpu.cpl) gp(cpu, sel & 0xfffc);
  if ((cd.attr & 4) ? dpl > rpl : dpl !== rpl) gp(cpu, sel & 0xfffc);
  if (!(cd.attr & A_P)) np(cpu, sel & 0xfffc);
  return rpl;
}

function retFar(cpu: Cpu, o32: boolean, extra: number): void {
  const w = o32 ? 4 : 2;
  const offset = stackAt(cpu, o32, 0);
  const sel = stackAt(cpu, o32, w) & 0xffff;
  if (realMode(cpu)) {
    loadSegReal(cpu, CS, sel);
    cpu.eip = offset;
    setSP(cpu, spOffset(cpu, 2 * w + extra));
    return;
  }
  const rpl = returnCode(cpu, sel);
  if (rpl === cpu.cpl) {
    enterCode(cpu, sel, offset, cpu.cpl);
    setSP(cpu, spOffset(cpu, 2 * w + extra));
    return;
  }
  // Return to an outer privilege level: pop SS:ESP too.
  const newSP = stackAt(cpu, o32, 2 * w + extra);
  const newSS = stackAt(cpu, o32, 3 * w + extra) & 0xffff;
  const ssAttr = loadOuterStack(cpu, newSS, rpl);
  enterCode(cpu, sel, offset, rpl);
  cpu.cpl = rpl;
  cpu.updatePrivilege();
  setSegCache(cpu, SS, newSS, sd.base, sd.limit, ssAttr);
  const spv = newSP + extra;
  if (cpu.ssB) cpu.regs[ESP] = spv; else cpu.regs16[ESP << 1] = spv;
  invalidateSegsForCpl(cpu);
}

/** Validate the stack segment to return to at privilege `rpl`; leaves it in `sd`, returns its attributes. */
function loadOuterStack(cpu: Cpu, newSS: number, rpl: number): number {
  if ((newSS & 0xfffc) === 0) gp(cpu, 0);
  if (!fetchDesc(cpu, newSS, sd)) gp(cpu, newSS & 0xfffc);
  const sdpl = (sd.attr >> 5) & 3;
  if ((newSS & 3) !== rpl || sdpl !== rpl || !(sd.attr & A_S) || (sd.attr & 8) || !(sd.attr & 2)) gp(cpu, newSS & 0xfffc);
  if (!(sd.attr & A_P)) raise(cpu, V_SS, newSS & 0xfffc);
  setAccessed(cpu, sd);
  return sd.attr | 1;
}

def(0xcb, (cpu, i) => retFar(cpu, i.o32, 0));
def(0xca, (cpu, i) => retFar(cpu, i.o32, i.imm & 0xffff));

// ---- IRET ----

def(0xcf, (cpu, i) => iret(cpu, i.o32));

function iret(cpu: Cpu, o32: boolean): void {
  const w = o32 ? 4 : 2;
  if (!(cpu.cr0 & 1)) {
    const ip = stackAt(cpu, o32, 0), cs = stackAt(cpu, o32, w) & 0xffff, fl = stackAt(cpu, o32, 2 * w);
    loadSegReal(cpu, CS, cs);
    cpu.eip = ip;
    setSP(cpu, spOffset(cpu, 3 * w));
    const keep = o32 ? VM | VIF | VIP : 0xffff0000;
    cpu.setEflags((cpu.getEflags() & keep) | (fl & ~keep & ~(VM | VIF | VIP)));
    return;
  }
  if (cpu.flags & VM) {
    // V86: IRET is IOPL-sensitive; with IOPL 3 it stays in V86 and cannot change IOPL.
    if (((cpu.flags & IOPL) >> 12) < 3) gp(cpu, 0);
    const ip = stackAt(cpu, o32, 0), cs = stackAt(cpu, o32, w) & 0xffff, fl = stackAt(cpu, o32, 2 * w);
    loadSegReal(cpu, CS, cs);
    cpu.eip = o32 ? ip : ip & 0xffff;
    setSP(cpu, spOffset(cpu, 3 * w));
    writeFlagsChecked(cpu, fl, o32);
    return;
  }
  if (cpu.flags & NT) {
    const link = sysRd16(cpu, cpu.trBase);
    taskSwitch(cpu, link, TASK_IRET, -1, 0);
    return;
  }
  const offset = stackAt(cpu, o32, 0);
  const sel = stackAt(cpu, o32, w) & 0xffff;
  const fl = stackAt(cpu, o32, 2 * w);
  if (o32 && (fl & VM) && cpu.cpl === 0) {
    iretToV86(cpu, offset, sel, fl);
    return;
  }
  const rpl = returnCode(cpu, sel);
  const oldCpl = cpu.cpl;
  if (rpl === cpu.cpl) {
    enterCode(cpu, sel, offset, cpu.cpl);
    setSP(cpu, spOffset(cpu, 3 * w));
    iretFlags(cpu, fl, o32, oldCpl);
    return;
  }
  const newSP = stackAt(cpu, o32, 3 * w);
  const newSS = stackAt(cpu, o32, 4 * w) & 0xffff;
  const ssAttr = loadOuterStack(cpu, newSS, rpl);
  enterCode(cpu, sel, offset, rpl);
  iretFlags(cpu, fl, o32, oldCpl);
  cpu.cpl = rpl;
  cpu.updatePrivilege();
  setSegCache(cpu, SS, newSS, sd.base, sd.limit, ssAttr);
  if (ssAttr & A_DB) cpu.regs[ESP] = newSP; else cpu.regs16[ESP << 1] = newSP;
  invalidateSegsForCpl(cpu);
}

/** EFLAGS from an IRET frame, with the privilege rules of the CPL the IRET ran at. */
function iretFlags(cpu: Cpu, fl: number, o32: boolean, cpl: number): void {
  let mask = 0x7fd5 | NT | TF;
  if (o32) mask |= AC | ID | RF;
  if (cpl > 0) mask &= ~IOPL;
  if (cpl > ((cpu.flags & IOPL) >> 12)) mask &= ~IF;
  if (cpl === 0 && o32) mask |= VIF | VIP;
  const old = cpu.getEflags();
  cpu.setEflags((old & ~mask) | (fl & mask));
}

/** IRET from CPL 0 to a V86 task: pops EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS. */
function iretToV86(cpu: Cpu, offset: number, cs: number, fl: number): void {
  const rdd = (d: number): number => rd32(cpu, SS, spOffset(cpu, d));
  const esp = rdd(12), ss = rdd(16) & 0xffff, es = rdd(20) & 0xffff, ds = rdd(24) & 0xffff;
  const fs = rdd(28) & 0xffff, gs = rdd(32) & 0xffff;
  cpu.setEflags(fl | VM);
  cpu.cpl = 3;
  cpu.updatePrivilege();
  refreshAllSegs(cpu);
  loadSegReal(cpu, CS, cs);
  for (const [s, v] of [[0, es], [2, ss], [3, ds], [4, fs], [5, gs]] as const) loadSegReal(cpu, s, v);
  cpu.regs[ESP] = esp;
  cpu.eip = offset & 0xffff;
}

