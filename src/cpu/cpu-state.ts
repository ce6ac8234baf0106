// The CPU's architectural state as a plain, versioned object (checkpoints,
// state hashes, FT resync), and loading it back. Only state is saved: the
// TLB, decoded code, compiled blocks, the fetch cache and the segment
// fast-path limits are caches, dropped or recomputed on load, so running
// after loadCpu is exactly running after reaching the state by execution.

import type { Cpu } from './cpu.js';
import { materialize } from './flags.js';
import { refreshAllSegs } from './segments.js';
import type { FpuState } from './fpu/fpu.js';

export interface DescriptorTableState {
  base: number;
  limit: number;
}

export interface SystemSegmentState {
  sel: number;
  base: number;
  limit: number;
  /** TR only: the TSS descriptor type (busy 286/386 TSS). */
  type?: number;
}

/**
 * CBOR-friendly: numbers, booleans and arrays of numbers only. Version 2 adds
 * `fpu`; it is written only when the x87 is not in its FNINIT state (and then
 * with v: 2), so the saved state and the state hash of a guest that never
 * touches the FPU are what version 1 gave, and version 1 states still load
 * (absent `fpu` = FNINIT state).
 */
export interface CpuState {
  v: 1 | 2;
  /** EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI (signed 32-bit, as cpu.regs holds them). */
  regs: number[];
  eip: number;
  /** EFLAGS with the lazy arithmetic flags worked out. */
  eflags: number;
  /** ES, CS, SS, DS, FS, GS: selectors and hidden descriptor caches. */
  sreg: number[];
  segBase: number[];
  segLimit: number[];
  segAttr: number[];
  cpl: number;
  cr0: number;
  cr2: number;
  cr3: number;
  cr4: number;
  dr: number[];
  gdtr: DescriptorTableState;
  idtr: DescriptorTableState;
  ldtr: SystemSegmentState;
  tr: SystemSegmentState;
  tscOffset: number;
  icount: number;
  halted: boolean;
  shadowUntil: number;
  shutdown: boolean;
  /** Exceptions of the last delivery chain (kept for a triple fault's report). */
  faultChain: number[];
  fpu?: FpuState;
}

/**
 * The CPU's state, values as the CPU holds them (so a load is exact). Reading
 * it changes nothing: the lazy flags are worked out on a copy.
 */
export function saveCpu(cpu: Cpu): CpuState {
  const { flags, lazy, lop, ldst, lsrc, lres, lbits } = cpu;
  // A copy, so that hashing a running machine never perturbs it (even in ways that should be invisible).
  const eflags = materialize({ flags, lazy, lop, ldst, lsrc, lres, lbits }) | 2;
  const s: CpuState = {
    v: 1,
    regs: Array.from(cpu.regs),
    eip: cpu.eip,
    eflags,
    sreg: Array.from(cpu.sreg),
    segBase: Array.from(cpu.segBase),
    segLimit: Array.from(cpu.segLimit),
    segAttr: Array.from(cpu.segAttr),
    cpl: cpu.cpl,
    cr0: cpu.cr0,
    cr2: cpu.cr2,
    cr3: cpu.cr3,
    cr4: cpu.cr4,
    dr: Array.from(cpu.dr),
    gdtr: { base: cpu.gdtBase, limit: cpu.gdtLimit },
    idtr: { base: cpu.idtBase, limit: cpu.idtLimit },
    ldtr: { sel: cpu.ldtSel, base: cpu.ldtBase, limit: cpu.ldtLimit },
    tr: { sel: cpu.trSel, base: cpu.trBase, limit: cpu.trLimit, type: cpu.trType },
    tscOffset: cpu.tscOffset,
    icount: cpu.icount,
    halted: cpu.halted,
    shadowUntil: cpu.shadowUntil,
    shutdown: cpu.shutdown,
    faultChain: cpu.faultChain.slice(),
  };
  if (!cpu.fpu.isInitial()) {
    s.v = 2;
    s.fpu = cpu.fpu.save();
  }
  return s;
}

/**
 * Put the CPU in state `s` and drop every cache derived from the old state
 * or from RAM (the caller may have replaced RAM too): TLB, decoded code and
 * compiled blocks, the fetch page, the segment fast-path limits.
 */
export function loadCpu(cpu: Cpu, s: CpuState): void {
  if (s.v !== 1 && s.v !== 2) throw new Error(`CPU state: unknown version ${String(s.v)}`);
  checkLength('regs', s.regs, 8);
  checkLength('dr', s.dr, 8);
  for (const k of ['sreg', 'segBase', 'segLimit', 'segAttr'] as const) checkLength(k, s[k], 6);
  cpu.regs.set(s.regs);
  cpu.eip = s.eip;
  cpu.prevEip = cpu.eip;
  // Directly, not setEflags: that also applies side effects meant for a guest write.
  cpu.lazy = 0;
  cpu.flags = (s.eflags & 0x3f7fd5) | 2;
  cpu.sreg.set(s.sreg);
  cpu.segBase.set(s.segBase);
  cpu.segLimit.set(s.segLimit);
  cpu.segAttr.set(s.segAttr);
  cpu.cpl = s.cpl;
  cpu.cr0 = s.cr0;
  cpu.cr2 = s.cr2;
  cpu.cr3 = s.cr3;
  cpu.cr4 = s.cr4;
  cpu.dr.set(s.dr);
  cpu.gdtBase = s.gdtr.base; cpu.gdtLimit = s.gdtr.limit;
  cpu.idtBase = s.idtr.base; cpu.idtLimit = s.idtr.limit;
  cpu.ldtSel = s.ldtr.sel; cpu.ldtBase = s.ldtr.base; cpu.ldtLimit = s.ldtr.limit;
  cpu.trSel = s.tr.sel; cpu.trBase = s.tr.base; cpu.trLimit = s.tr.limit; cpu.trType = s.tr.type ?? 11;
  cpu.tscOffset = s.tscOffset;
  cpu.icount = s.icount;
  cpu.halted = s.halted;
  cpu.shadowUntil = s.shadowUntil;
  cpu.shutdown = s.shutdown;
  cpu.faultChain = s.faultChain.slice();
  cpu.fpu.load(s.v === 2 ? s.fpu : undefined);
  cpu.fault = { vector: 0, code: -1 };
  // Loop control: the next runCpu starts afresh.
  cpu.stopAt = 0;
  cpu.exitRequested = false;
  dropCaches(cpu);
}

/** Forget everything cached from CPU state or RAM contents; execution refills it. */
export function dropCaches(cpu: Cpu): void {
  cpu.updatePrivilege();
  // csD/ssB and the fast-path limits follow CR0.PE, EFLAGS.VM and the descriptor caches.
  refreshAllSegs(cpu);
  cpu.flushTlb();
  cpu.codePages.fill(undefined);
  cpu.fetchLin = 1;
  cpu.fetchBase = 0;
  cpu.fetchSpan = 0;
  cpu.fetchInsts = [];
  cpu.fetchCode = null;
}

function checkLength(name: string, a: ArrayLike<number>, n: number): void {
  if (!a || a.length !== n) throw new Error(`CPU state: '${name}' has ${a ? a.length : 'no'} entries, not ${n}`);
}
