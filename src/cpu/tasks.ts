// Hardware task switches (TSS-based), through task gates, JMP/CALL to a TSS
// descriptor, and IRET with NT set; and the inner-level stack pointers a TSS
// holds for privilege raises. Follows the Intel SDM vol. 3, section 7.3.

import { type Cpu, CS, SS } from './cpu.js';
import { NT, VM } from './flags.js';
import { gp, np, ts, raise, V_SS, V_DB } from './faults.js';
import { sysRd16, sysRd32, sysWr8, sysWr16, sysWr32 } from './mem-access.js';
import {
  fetchDesc, newDesc, setAccessed, setSegCache, loadSegReal, DATA_SEGS, A_S, A_P, A_UNUSABLE,
} from './segments.js';
import { push16, push32 } from './stack.js';

/** Why the switch happens: decides busy bits, NT and the back link. */
export const TASK_JMP = 0, TASK_CALL = 1, TASK_IRET = 2, TASK_INT = 3;

/** SS:ESP for a privilege level, read from the current TSS (reused result). */
export const tssStack = { ss: 0, sp: 0 };

/** Fill `tssStack` with the stack for privilege `dpl`; #TS(TR) if the TSS is too short. */
export function readTssStack(cpu: Cpu, dpl: number, ext: number): void {
  if (cpu.trType & 8) {
    const o = 4 + 8 * dpl;
    // The whole 8-byte ESPn/SSn slot must be inside the TSS (as QEMU and Bochs check).
    if (o + 7 > cpu.trLimit) ts(cpu, (cpu.trSel & 0xfffc) + ext);
    tssStack.sp = sysRd32(cpu, cpu.trBase + o) >>> 0;
    tssStack.ss = sysRd16(cpu, cpu.trBase + o + 4);
  } else {
    const o = 2 + 4 * dpl;
    if (o + 3 > cpu.trLimit) ts(cpu, (cpu.trSel & 0xfffc) + ext);
    tssStack.sp = sysRd16(cpu, cpu.trBase + o);
    tssStack.ss = sysRd16(cpu, cpu.trBase + o + 2);
  }
}

const nd = newDesc(); // the incoming TSS
const od = newDesc(); // the outgoing TSS
const sd = newDesc(); // segment descriptors of the incoming task

// The incoming task's state, read in full before anything is changed so that
// a fault while reading it leaves the outgoing task intact.
const img = {
  eip: 0, eflags: 0, cr3: 0, ldt: 0, trap: 0,
  regs: new Int32Array(8),
  segs: new Uint16Array(6),
};

function readImage(cpu: Cpu, b: number, is32: boolean): void {
  if (is32) {
    img.cr3 = sysRd32(cpu, b + 0x1c);
    img.eip = sysRd32(cpu, b + 0x20) >>> 0;
    img.eflags = sysRd32(cpu, b + 0x24);
    for (let r = 0; r < 8; r++) img.regs[r] = sysRd32(cpu, b + 0x28 + 4 * r);
    for (let s = 0; s < 6; s++) img.segs[s] = sysRd16(cpu, b + 0x48 + 4 * s);
    img.ldt = sysRd16(cpu, b + 0x60);
    img.trap = sysRd16(cpu, b + 0x64) & 1;
  } else {
    img.cr3 = 0;
    img.eip = sysRd16(cpu, b + 0x0e);
    img.eflags = sysRd16(cpu, b + 0x10);
    // A 16-bit TSS has no upper register halves; they read as ones (as on the 386, QEMU and Bochs).
    for (let r = 0; r < 8; r++) img.regs[r] = sysRd16(cpu, b + 0x12 + 2 * r) | 0xffff0000;
    for (let s = 0; s < 4; s++) img.segs[s] = sysRd16(cpu, b + 0x22 + 2 * s);
    img.segs[4] = 0;
    img.segs[5] = 0;
    img.ldt = sysRd16(cpu, b + 0x2a);
    img.trap = 0;
  }
}

function saveState(cpu: Cpu, b: number, is32: boolean, flags: number): void {
  if (is32) {
    sysWr32(cpu, b + 0x20, cpu.eip);
    sysWr32(cpu, b + 0x24, flags);
    for (let r = 0; r < 8; r++) sysWr32(cpu, b + 0x28 + 4 * r, cpu.regs[r]);
    for (let s = 0; s < 6; s++) sysWr16(cpu, b + 0x48 + 4 * s, cpu.sreg[s]);
  } else {
    sysWr16(cpu, b + 0x0e, cpu.eip);
    sysWr16(cpu, b + 0x10, flags);
    for (let r = 0; r < 8; r++) sysWr16(cpu, b + 0x12 + 2 * r, cpu.regs[r]);
    for (let s = 0; s < 4; s++) sysWr16(cpu, b + 0x22 + 2 * s, cpu.sreg[s]);
  }
}

function setBusy(cpu: Cpu, d: typeof nd, busy: boolean): void {
  const access = (d.hi >>> 8) & 0xff;
  sysWr8(cpu, d.addr + 5, busy ? access | 2 : access & ~2);
}

/**
 * Switch to the task named by `sel` (a TSS descriptor or a task gate's target).
 * `code` is an error code to push on the new task's stack (-1 for none); `ext`
 * is the EXT bit for error codes (1 when an external event caused the switch).
 * Callers have already applied the DPL checks of the gate or TSS descriptor.
 */
export function taskSwitch(cpu: Cpu, sel: number, reason: number, code: number, ext: number): void {
  const iret = reason === TASK_IRET;
  const err = (sel & 0xfffc) + ext;
  // IRET's back link is a TSS field, so a bad one is an invalid-TSS fault.
  if ((sel & 4) || !fetchDesc(cpu, sel, nd)) (iret ? ts : gp)(cpu, err);
  const type = nd.attr & (A_S | 0xf);
  if (iret ? type !== 3 && type !== 11 : type !== 1 && type !== 9) (iret ? ts : gp)(cpu, err);
  if (!(nd.attr & A_P)) np(cpu, err);
  const new32 = (type & 8) !== 0;
  if (nd.limit < (new32 ? 0x67 : 0x2b)) ts(cpu, err);
  const old32 = (cpu.trType & 8) !== 0;
  if (cpu.trLimit < (old32 ? 0x67 : 0x2b)) ts(cpu, (cpu.trSel & 0xfffc) + ext);

  readImage(cpu, nd.base, new32);

  // Memory updates: the outgoing state, the back link, the busy bits. A page
  // fault here leaves the registers untouched, so the instruction restarts.
  let flags = cpu.getEflags();
  if (iret) flags &= ~NT;
  saveState(cpu, cpu.trBase, old32, flags);
  if (reason === TASK_CALL || reason === TASK_INT) {
    sysWr16(cpu, nd.base, cpu.trSel);
    img.eflags |= NT;
  }
  if ((reason === TASK_JMP || iret) && fetchDesc(cpu, cpu.trSel, od)) setBusy(cpu, od, false);
  if (!iret) setBusy(cpu, nd, true);

  // Commit: from here on the switch has happened, and faults belong to the new task.
  cpu.trSel = sel;
  cpu.trBase = nd.base;
  cpu.trLimit = nd.limit;
  cpu.trType = type | 2;
  cpu.cr0 |= 8; // TS: the FPU state belongs to the previous task
  cpu.dr[7] &= ~0x155; // local breakpoint enables are per task
  if (new32 && (cpu.cr0 & 0x80000000)) {
    cpu.cr3 = img.cr3;
    cpu.flushTlb();
  }
  cpu.setEflags(img.eflags); // a 16-bit TSS clears the upper half
  cpu.regs.set(img.regs);
  cpu.eip = img.eip;
  cpu.prevEip = img.eip;
  loadTaskSegments(cpu, ext);
  if (code >= 0) {
    if (new32) push32(cpu, code); else push16(cpu, code);
  }
  if (cpu.eip > cpu.segLimit[CS]) gp(cpu, 0);
  if (img.trap) {
    cpu.dr[6] |= 0x8000; // BT: the debug trap bit of the new TSS
    raise(cpu, V_DB);
  }
}

/** LDTR and the six segment registers of the incoming task, with the #TS/#NP/#SS checks. */
function loadTaskSegments(cpu: Cpu, ext: number): void {
  const v86 = (cpu.flags & VM) !== 0;
  // The selectors are in place before any check, so a fault reports the new task's state.
  for (let s = 0; s < 6; s++) {
    if (v86) loadSegReal(cpu, s, img.segs[s]);
    else setSegCache(cpu, s, img.segs[s], 0, 0, A_UNUSABLE);
  }
  cpu.cpl = v86 ? 3 : img.segs[CS] & 3;
  cpu.updatePrivilege();
  loadLdt(cpu, img.ldt, ext);
  if (v86) return;
  loadCS(cpu, img.segs[CS], ext);
  loadSS(cpu, img.segs[SS], ext);
  for (const s of DATA_SEGS) loadData(cpu, s, img.segs[s], ext);
}

function loadLdt(cpu: Cpu, sel: number, ext: number): void {
  cpu.ldtSel = sel;
  cpu.ldtBase = 0;
  cpu.ldtLimit = 0;
  if ((sel & 0xfffc) === 0) return;
  const err = (sel & 0xfffc) + ext;
  if ((sel & 4) || !fetchDesc(cpu, sel, sd)) ts(cpu, err);
  if ((sd.attr & (A_S | 0xf)) !== 2 || !(sd.attr & A_P)) ts(cpu, err);
  cpu.ldtBase = sd.base;
  cpu.ldtLimit = sd.limit;
}

function loadCS(cpu: Cpu, sel: number, ext: number): void {
  const err = (sel & 0xfffc) + ext;
  if ((sel & 0xfffc) === 0 || !fetchDesc(cpu, sel, sd)) ts(cpu, err);
  const attr = sd.attr;
  const dpl = (attr >> 5) & 3;
  if (!(attr & A_S) || !(attr & 8)) ts(cpu, err);
  if ((attr & 4) ? dpl > cpu.cpl : dpl !== cpu.cpl) ts(cpu, err);
  if (!(attr & A_P)) np(cpu, err);
  setAccessed(cpu, sd);
  setSegCache(cpu, CS, sel, sd.base, sd.limit, sd.attr | 1);
}

function loadSS(cpu: Cpu, sel: number, ext: number): void {
  const err = (sel & 0xfffc) + ext;
  if ((sel & 0xfffc) === 0 || !fetchDesc(cpu, sel, sd)) ts(cpu, err);
  const attr = sd.attr;
  if (!(attr & A_S) || (attr & 8) || !(attr & 2)) ts(cpu, err);
  if ((sel & 3) !== cpu.cpl || ((attr >> 5) & 3) !== cpu.cpl) ts(cpu, err);
  if (!(attr & A_P)) raise(cpu, V_SS, err);
  setAccessed(cpu, sd);
  setSegCache(cpu, SS, sel, sd.base, sd.limit, sd.attr | 1);
}

function loadData(cpu: Cpu, seg: number, sel: number, ext: number): void {
  if ((sel & 0xfffc) === 0) return; // stays unusable
  const err = (sel & 0xfffc) + ext;
  if (!fetchDesc(cpu, sel, sd)) ts(cpu, err);
  const attr = sd.attr;
  if (!(attr & A_S) || (attr & 0xa) === 8) ts(cpu, err); // system, or execute-only code
  const dpl = (attr >> 5) & 3;
  if ((attr & 0xc) !== 0xc && (dpl < cpu.cpl || dpl < (sel & 3))) ts(cpu, err);
  if (!(attr & A_P)) np(cpu, err);
  setAccessed(cpu, sd);
  setSegCache(cpu, seg, sel, sd.base, sd.limit, sd.attr | 1);
}
