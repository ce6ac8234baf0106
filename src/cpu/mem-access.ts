// Guest memory accesses: segment checks, then the one-compare TLB fast path,
// then the page walker. `rd*`/`wr*` take (segment, offset); `lrd*`/`lwr*` a
// linear address at the current privilege; `sys*` are supervisor accesses
// (descriptor tables, TSS) that ignore CPL.

import type { Cpu } from './cpu.js';
import { gp, ss } from './faults.js';
import { translate } from './paging.js';
import { SS } from './cpu.js';

// ---- linear, current privilege ----

export function lrd8(cpu: Cpu, lin: number): number {
  const i = ((lin >>> 12) & cpu.tlbMask) << cpu.tlbShift;
  if ((cpu.tlbTag[i] & cpu.rChk) === (lin & -4096)) return cpu.ram[cpu.tlbPhys[i] | (lin & 4095)];
  const p = translate(cpu, lin, false, cpu.cpl === 3);
  if (cpu.watch !== null) cpu.watch.access(lin, 1, false);
  return cpu.mem.read8(p);
}

export function lrd16(cpu: Cpu, lin: number): number {
  const o = lin & 4095;
  if (o !== 4095) {
    const i = ((lin >>> 12) & cpu.tlbMask) << cpu.tlbShift;
    if ((cpu.tlbTag[i] & cpu.rChk) === (lin & -4096)) {
      const p = cpu.tlbPhys[i] | o;
      return (p & 1) === 0 ? cpu.ram16[p >>> 1] : cpu.ram[p] | (cpu.ram[p + 1] << 8);
    }
    // A miss within one page: one walk (it fills the TLB), then the bytes.
    const p = translate(cpu, lin, false, cpu.cpl === 3);
    if (cpu.watch !== null) cpu.watch.access(lin, 2, false);
    return cpu.mem.read8(p) | (cpu.mem.read8(p + 1) << 8);
  }
  return lrd8(cpu, lin) | (lrd8(cpu, lin + 1) << 8);
}

export function lrd32(cpu: Cpu, lin: number): number {
  const o = lin & 4095;
  if (o <= 4092) {
    const i = ((lin >>> 12) & cpu.tlbMask) << cpu.tlbShift;
    if ((cpu.tlbTag[i] & cpu.rChk) === (lin & -4096)) {
      const p = cpu.tlbPhys[i] | o;
      if ((p & 3) === 0) return cpu.ram32[p >>> 2];
      const r = cpu.ram;
      return r[p] | (r[p + 1] << 8) | (r[p + 2] << 16) | (r[p + 3] << 24);
    }
    const p = translate(cpu, lin, false, cpu.cpl === 3);
    if (cpu.watch !== null) cpu.watch.access(lin, 4, false);
    return cpu.mem.read32(p);
  }
  return lrd16(cpu, lin) | (lrd16(cpu, lin + 2) << 16);
}

/** Physical address of `lin` for writing (checked; fills the TLB). */
function wphys(cpu: Cpu, lin: number, user: boolean, size: number): number {
  const phys = translate(cpu, lin, true, user);
  if (cpu.watch !== null) cpu.watch.access(lin, size, true);
  cpu.notePhysWrite(phys, size);
  // Refill so the next write to this page takes the fast path.
  return translate(cpu, lin, true, user);
}

export function notePhysWrite(cpu: Cpu, phys: number, size: number): void {
  cpu.notePhysWrite(phys, size);
}

export function lwr8(cpu: Cpu, lin: number, v: number): void {
  const i = ((lin >>> 12) & cpu.tlbMask) << cpu.tlbShift;
  if ((cpu.tlbTag[i] & cpu.wChk) === (lin & -4096)) {
    cpu.ram[cpu.tlbPhys[i] | (lin & 4095)] = v;
    return;
  }
  cpu.mem.write8(wphys(cpu, lin, cpu.cpl === 3, 1), v);
}

export function lwr16(cpu: Cpu, lin: number, v: number): void {
  const o = lin & 4095;
  if (o !== 4095) {
    const i = ((lin >>> 12) & cpu.tlbMask) << cpu.tlbShift;
    if ((cpu.tlbTag[i] & cpu.wChk) === (lin & -4096)) {
      const p = cpu.tlbPhys[i] | o;
      if ((p & 1) === 0) cpu.ram16[p >>> 1] = v;
      else { cpu.ram[p] = v; cpu.ram[p + 1] = v >> 8; }
      return;
    }
    const p = wphys(cpu, lin, cpu.cpl === 3, 2);
    cpu.mem.write8(p, v);
    cpu.mem.write8(p + 1, v >> 8);
    return;
  }
  writeSplit(cpu, lin, v, 2, cpu.cpl === 3);
}

export function lwr32(cpu: Cpu, lin: number, v: number): void {
  const o = lin & 4095;
  if (o <= 4092) {
    const i = ((lin >>> 12) & cpu.tlbMask) << cpu.tlbShift;
    if ((cpu.tlbTag[i] & cpu.wChk) === (lin & -4096)) {
      const p = cpu.tlbPhys[i] | o;
      if ((p & 3) === 0) cpu.ram32[p >>> 2] = v;
      else {
        const r = cpu.ram;
        r[p] = v; r[p + 1] = v >> 8; r[p + 2] = v >> 16; r[p + 3] = v >> 24;
      }
      return;
    }
    const p = wphys(cpu, lin, cpu.cpl === 3, 4);
    cpu.mem.write32(p, v);
    return;
  }
  writeSplit(cpu, lin, v, 4, cpu.cpl === 3);
}

/** A write that crosses a page: check both pages before writing anything. */
function writeSplit(cpu: Cpu, lin: number, v: number, size: number, user: boolean): void {
  const first = 4096 - (lin & 4095);
  const p1 = wphys(cpu, lin, user, first);
  const p2 = wphys(cpu, (lin + first) | 0, user, size - first);
  for (let k = 0; k < size; k++) {
    const p = k < first ? p1 + k : p2 + (k - first);
    cpu.mem.write8(p, v >>> (8 * k));
  }
}

/** Check that a write to [lin, lin+size) would succeed, without writing. */
export function probeWrite(cpu: Cpu, lin: number, size: number): void {
  const user = cpu.cpl === 3;
  translate(cpu, lin, true, user);
  const last = (lin + size - 1) | 0;
  if ((last ^ lin) & ~4095) translate(cpu, last, true, user);
}

// ---- supervisor (system) accesses ----

export function sysRd8(cpu: Cpu, lin: number): number {
  const p = translate(cpu, lin, false, false);
  if (cpu.watch !== null) cpu.watch.access(lin, 1, false);
  return cpu.mem.read8(p);
}
export function sysRd16(cpu: Cpu, lin: number): number {
  return sysRd8(cpu, lin) | (sysRd8(cpu, lin + 1) << 8);
}
export function sysRd32(cpu: Cpu, lin: number): number {
  if ((lin & 4095) <= 4092) {
    const p = translate(cpu, lin, false, false);
    if (cpu.watch !== null) cpu.watch.access(lin, 4, false);
    return cpu.mem.read32(p);
  }
  return sysRd16(cpu, lin) | (sysRd16(cpu, lin + 2) << 16);
}
export function sysWr8(cpu: Cpu, lin: number, v: number): void {
  const p = translate(cpu, lin, true, false);
  if (cpu.watch !== null) cpu.watch.access(lin, 1, true);
  cpu.notePhysWrite(p, 1);
  cpu.mem.write8(p, v);
}
export function sysWr16(cpu: Cpu, lin: number, v: number): void {
  sysWr8(cpu, lin, v);
  sysWr8(cpu, lin + 1, v >> 8);
}
export function sysWr32(cpu: Cpu, lin: number, v: number): void {
  sysWr16(cpu, lin, v);
  sysWr16(cpu, lin + 2, v >> 16);
}

// ---- segmented ----

/** Slow segment check: unusable segment, expand-down, limit. Returns the linear address. */
export function segCheck(cpu: Cpu, seg: number, off: number, size: number, write: boolean): number {
  off >>>= 0;
  const attr = cpu.segAttr[seg];
  const fail = (): never => (seg === SS ? ss(cpu, 0) : gp(cpu, 0));
  if (cpu.protectedMode && !cpu.v86) {
    if (attr & 0x10000) fail(); // unusable (null selector)
    const type = attr & 0xf;
    const code = (attr & 8) !== 0;
    if (write && (code || !(type & 2))) fail();
    if (!write && code && !(type & 2)) fail();
    if (!code && (type & 4)) {
      // expand-down: valid offsets are (limit, top]
      const top = attr & 0x4000 ? 0xffffffff : 0xffff;
      if (off <= cpu.segLimit[seg] || off + size - 1 > top) fail();
      return (cpu.segBase[seg] + off) | 0;
    }
  }
  if (off + size - 1 > cpu.segLimit[seg]) fail();
  return (cpu.segBase[seg] + off) | 0;
}

export function rd8(cpu: Cpu, seg: number, off: number): number {
  if (off > cpu.segRLim[seg]) return lrd8(cpu, segCheck(cpu, seg, off, 1, false));
  return lrd8(cpu, (cpu.segBase[seg] + off) | 0);
}
export function rd16(cpu: Cpu, seg: number, off: number): number {
  if (off + 1 > cpu.segRLim[seg]) return lrd16(cpu, segCheck(cpu, seg, off, 2, false));
  return lrd16(cpu, (cpu.segBase[seg] + off) | 0);
}
export function rd32(cpu: Cpu, seg: number, off: number): number {
  if (off + 3 > cpu.segRLim[seg]) return lrd32(cpu, segCheck(cpu, seg, off, 4, false));
  return lrd32(cpu, (cpu.segBase[seg] + off) | 0);
}
export function wr8(cpu: Cpu, seg: number, off: number, v: number): void {
  if (off > cpu.segWLim[seg]) return lwr8(cpu, segCheck(cpu, seg, off, 1, true), v);
  lwr8(cpu, (cpu.segBase[seg] + off) | 0, v);
}
export function wr16(cpu: Cpu, seg: number, off: number, v: number): void {
  if (off + 1 > cpu.segWLim[seg]) return lwr16(cpu, segCheck(cpu, seg, off, 2, true), v);
  lwr16(cpu, (cpu.segBase[seg] + off) | 0, v);
}
export function wr32(cpu: Cpu, seg: number, off: number, v: number): void {
  if (off + 3 > cpu.segWLim[seg]) return lwr32(cpu, segCheck(cpu, seg, off, 4, true), v);
  lwr32(cpu, (cpu.segBase[seg] + off) | 0, v);
}

/** Linear address of a segmented write, checked for segment and page (for read-modify-write). */
export function wlin(cpu: Cpu, seg: number, off: number, size: number): number {
  const lin = off + size - 1 > cpu.segWLim[seg] ? segCheck(cpu, seg, off, size, true) : (cpu.segBase[seg] + off) | 0;
  // The CPU checks a read-modify-write operand as a write before reading it (#PF error code W=1).
  const i = ((lin >>> 12) & cpu.tlbMask) << cpu.tlbShift;
  if ((cpu.tlbTag[i] & cpu.wChk) !== (lin & -4096) || (lin & 4095) > 4096 - size) probeWrite(cpu, lin, size);
  return lin;
}
