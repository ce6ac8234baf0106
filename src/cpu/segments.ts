// Segment registers: descriptor fetch and parsing, and loading a segment
// register in real, V86 and protected mode with the SDM's checks.

import { type Cpu, CS, SS } from './cpu.js';
import { gp, np, raise, V_SS } from './faults.js';
import { sysRd32, sysWr8 } from './mem-access.js';

// segAttr bits (descriptor bits 40-47 in 0-7, bits 52-55 in 12-15).
export const A_TYPE = 0xf;
export const A_S = 0x10;
export const A_DPL = 0x60;
export const A_P = 0x80;
export const A_DB = 0x4000;
export const A_G = 0x8000;
export const A_UNUSABLE = 0x10000;

/** A fetched descriptor (reused scratch; copy fields you keep). */
export interface Desc {
  lo: number;
  hi: number;
  base: number;
  limit: number;
  attr: number;
  /** Linear address of the descriptor, for setting the accessed/busy bits. */
  addr: number;
}

export function newDesc(): Desc {
  return { lo: 0, hi: 0, base: 0, limit: 0, attr: 0, addr: 0 };
}

export function parseDesc(d: Desc, lo: number, hi: number): Desc {
  d.lo = lo;
  d.hi = hi;
  d.base = ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
  let limit = (lo & 0xffff) | (hi & 0xf0000);
  if (hi & 0x800000) limit = ((limit << 12) | 0xfff) >>> 0;
  d.limit = limit;
  d.attr = ((hi >>> 8) & 0xff) | ((hi >>> 8) & 0xf000);
  return d;
}

/**
 * Fetch the descriptor for `sel` from the GDT or LDT into `d`.
 * Returns false if the selector is outside the table's limit.
 */
export function fetchDesc(cpu: Cpu, sel: number, d: Desc): boolean {
  const idx = sel & 0xfff8;
  let base: number, limit: number;
  if (sel & 4) {
    if ((cpu.ldtSel & 0xfffc) === 0) return false;
    base = cpu.ldtBase; limit = cpu.ldtLimit;
  } else {
    base = cpu.gdtBase; limit = cpu.gdtLimit;
  }
  if (idx + 7 > limit) return false;
  const addr = (base + idx) | 0;
  parseDesc(d, sysRd32(cpu, addr), sysRd32(cpu, addr + 4));
  d.addr = addr;
  return true;
}

/** Set the accessed bit of a code/data descriptor in memory. */
export function setAccessed(cpu: Cpu, d: Desc): void {
  if (!(d.hi & 0x100)) {
    d.hi |= 0x100;
    sysWr8(cpu, d.addr + 5, (d.hi >>> 8) & 0xff);
  }
}

/** Recompute the fast-path limits and mode bits after a segment cache change. */
export function refreshSeg(cpu: Cpu, seg: number): void {
  const attr = cpu.segAttr[seg];
  const lim = cpu.segLimit[seg];
  let r = lim, w = lim;
  if ((cpu.cr0 & 1) && !(cpu.flags & 0x20000)) {
    const type = attr & 0xf;
    if (attr & A_UNUSABLE) { r = -1; w = -1; }
    else if (type & 8) { w = -1; if (!(type & 2)) r = -1; }
    else { if (!(type & 2)) w = -1; if (type & 4) { r = -1; w = -1; } }
  }
  cpu.segRLim[seg] = r;
  cpu.segWLim[seg] = w;
  if (seg === CS) cpu.csD = (cpu.cr0 & 1) !== 0 && !(cpu.flags & 0x20000) && (attr & A_DB) !== 0;
  else if (seg === SS) cpu.ssB = (attr & A_DB) !== 0 && (cpu.cr0 & 1) !== 0 && !(cpu.flags & 0x20000);
}

export function setSegCache(cpu: Cpu, seg: number, sel: number, base: number, limit: number, attr: number): void {
  cpu.sreg[seg] = sel;
  cpu.segBase[seg] = base >>> 0;
  cpu.segLimit[seg] = limit >>> 0;
  cpu.segAttr[seg] = attr;
  refreshSeg(cpu, seg);
  if (seg === CS) cpu.fetchLin = 1;
}

/** Real mode and V86: base = selector * 16. */
export function loadSegReal(cpu: Cpu, seg: number, sel: number): void {
  sel &= 0xffff;
  if (cpu.flags & 0x20000) {
    setSegCache(cpu, seg, sel, sel << 4, 0xffff, seg === CS ? 0xfb : 0xf3);
  } else {
    const attr = seg === CS ? 0x9b : 0x93;
    // Real mode keeps the cached limit (unreal mode works, as on hardware).
    setSegCache(cpu, seg, sel, sel << 4, cpu.segLimit[seg], (cpu.segAttr[seg] & (A_DB | A_G) & (seg === CS ? 0 : -1)) | attr);
  }
}

const scratch = newDesc();

/** MOV/POP/LxS to a data segment register or SS, with protected-mode checks. */
export function loadSeg(cpu: Cpu, seg: number, sel: number): void {
  sel &= 0xffff;
  if (!(cpu.cr0 & 1) || (cpu.flags & 0x20000)) {
    loadSegReal(cpu, seg, sel);
    return;
  }
  const rpl = sel & 3;
  if ((sel & 0xfffc) === 0) {
    if (seg === SS) gp(cpu, 0);
    setSegCache(cpu, seg, sel, 0, 0, A_UNUSABLE);
    return;
  }
  const d = scratch;
  if (!fetchDesc(cpu, sel, d)) gp(cpu, sel & 0xfffc);
  const attr = d.attr;
  const dpl = (attr >> 5) & 3;
  const type = attr & 0xf;
  if (!(attr & A_S)) gp(cpu, sel & 0xfffc);
  if (seg === SS) {
    if (rpl !== cpu.cpl || dpl !== cpu.cpl || (type & 8) || !(type & 2)) gp(cpu, sel & 0xfffc);
    if (!(attr & A_P)) raise(cpu, V_SS, sel & 0xfffc);
  } else {
    if ((type & 0xa) === 8) gp(cpu, sel & 0xfffc); // execute-only code
    const conforming = (type & 0xc) === 0xc;
    if (!conforming && (dpl < cpu.cpl || dpl < rpl)) gp(cpu, sel & 0xfffc);
    if (!(attr & A_P)) np(cpu, sel & 0xfffc);
  }
  setAccessed(cpu, d);
  setSegCache(cpu, seg, sel, d.base, d.limit, attr | 1);
}

/** ES, DS, FS, GS: the data segment registers (no allocation in loops over them). */
export const DATA_SEGS: readonly number[] = [0, 3, 4, 5];

/** After a privilege drop, data segments the new CPL may not use become null. */
export function invalidateSegsForCpl(cpu: Cpu): void {
  for (const seg of DATA_SEGS) {
    const attr = cpu.segAttr[seg];
    if (attr & A_UNUSABLE) continue;
    const dpl = (attr >> 5) & 3;
    const conformingCode = (attr & 0xc) === 0xc && (attr & 8);
    if ((!(attr & 8) || !conformingCode) && dpl < cpu.cpl) {
      setSegCache(cpu, seg, 0, 0, 0, A_UNUSABLE);
    }
  }
}

/** Reload every cache's derived fields (after CR0.PE or EFLAGS.VM changes). */
export function refreshAllSegs(cpu: Cpu): void {
  for (let s = 0; s < 6; s++) refreshSeg(cpu, s);
  cpu.fetchLin = 1;
}
