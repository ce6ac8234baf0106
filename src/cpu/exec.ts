// The run loop. The inner loop fetches a decoded instruction from the
// current code page's cache and calls its handler; it has no try/catch and
// no per-instruction checks beyond icount < stopAt and the CS limit. Faults,
// interrupts, single-step and HLT are handled by the outer loop.

import { type Cpu, CS, FAULT, type CodePage } from './cpu.js';
import { decode, setCodeFetch } from './decoder.js';
import { jitCompile } from './jit/index.js';
import { IF, TF } from './flags.js';
import { gp, V_DB, V_DF, V_PF, EXCEPTION_NAMES } from './faults.js';
import { deliverInterrupt } from './interrupts.js';
import { lrd8 } from './mem-access.js';
import { translate } from './paging.js';

setCodeFetch(lrd8);

/** Point the fetch cache at the page holding linear address `lin`. */
function refreshFetch(cpu: Cpu, lin: number): void {
  const i = ((lin >>> 12) & cpu.tlbMask) << cpu.tlbShift;
  let phys: number;
  if ((cpu.tlbTag[i] & cpu.rChk) === (lin & -4096)) phys = cpu.tlbPhys[i];
  else phys = translate(cpu, lin, false, cpu.cpl === 3);
  const page = phys >>> 12;
  cpu.fetchLin = lin & -4096;
  // EIP range served by this page: one unsigned compare in the inner loop covers both the page and the CS limit.
  // A page that starts below the CS base (real mode with a base not a multiple of 4 KiB,
  // e.g. 07C0:0000) has a negative base: EIPs from 0 are then still served from the cache
  // instead of refreshing it at every instruction (fetchSpan was 0 there).
  let base = (cpu.fetchLin - cpu.segBase[CS]) >>> 0;
  if (base > 0xfffff000) base -= 4294967296;
  cpu.fetchBase = base;
  cpu.fetchSpan = Math.max(0, Math.min(4096, cpu.segLimit[CS] - base + 1));
  if (!cpu.mem.isRamPage(page)) {
    cpu.fetchInsts = new Array(4096);
    cpu.fetchCode = null;
    if (cpu.breaks !== null) cpu.breaks.plant(cpu.fetchInsts, cpu.fetchLin >>> 12);
    return;
  }
  let cp: CodePage | undefined = cpu.codePages[page];
  if (cp === undefined) {
    cp = { m16: null, m32: null, codeBytes: new Uint8Array(4096), jit: 0 };
    cpu.codePages[page] = cp;
    cpu.revokeWrites(page);
  }
  let insts = cpu.csD ? cp.m32 : cp.m16;
  if (insts === null) {
    insts = new Array(4096);
    if (cpu.csD) cp.m32 = insts; else cp.m16 = insts;
  }
  cpu.fetchInsts = insts;
  cpu.fetchCode = cp;
  if (cpu.breaks !== null) cpu.breaks.plant(insts, cpu.fetchLin >>> 12);
}

function runInner(cpu: Cpu): void {
  const segBase = cpu.segBase;
  const segLimit = cpu.segLimit;
  while (cpu.icount < cpu.stopAt) {
    const eip = cpu.eip;
    // Set before the fetch: a fault while fetching reports this instruction's EIP.
    cpu.prevEip = eip;
    let off = (eip - cpu.fetchBase) >>> 0;
    if (off >= cpu.fetchSpan || cpu.fetchLin === 1) {
      if (eip > segLimit[CS]) gp(cpu, 0);
      const lin = (segBase[CS] + eip) | 0;
      refreshFetch(cpu, lin);
      off = lin & 4095;
    }
    let inst = cpu.fetchInsts[off];
    if (inst === undefined) {
      const insts = cpu.fetchInsts;
      const lin = (cpu.fetchLin + off) | 0;
      inst = decode(cpu, lin);
      // Decoding can touch page tables (and so invalidate this page); cache only if still current.
      if (off + inst.len <= 4096 && insts === cpu.fetchInsts && cpu.fetchCode !== null) {
        insts[off] = inst;
        const codeBytes = cpu.fetchCode.codeBytes;
        codeBytes.fill(1, off, off + inst.len);
      }
    } else if (inst.blk !== null) {
      // The JIT's one hook: a compiled region runs what fits before stopAt and returns the count.
      const n = inst.blk(cpu);
      if (n !== 0) {
        cpu.jitStats.compiledInsns += n;
        continue;
      }
    } else if (++inst.hits === cpu.blockThreshold && cpu.fetchCode !== null) {
      jitCompile(cpu, cpu.fetchCode, cpu.fetchInsts, off);
    }
    cpu.eip = eip + inst.len;
    inst.fn(cpu, inst);
    cpu.icount++;
  }
}

const CONTRIBUTORY = new Set([0, 10, 11, 12, 13]);

/** Deliver an exception raised by the current instruction (EIP already rewound). */
function deliverFault(cpu: Cpu): void {
  let vec = cpu.fault.vector;
  let code = cpu.fault.code;
  cpu.faultChain = [vec];
  for (;;) {
    try {
      deliverInterrupt(cpu, vec, code, false, true);
      return;
    } catch (e) {
      if (e !== FAULT) throw e;
      const v2 = cpu.fault.vector;
      cpu.faultChain.push(v2);
      if (vec === V_DF) {
        cpu.shutdown = true;
        return;
      }
      const first = CONTRIBUTORY.has(vec) ? 1 : vec === V_PF ? 2 : 0;
      const second = CONTRIBUTORY.has(v2) ? 1 : v2 === V_PF ? 2 : 0;
      if ((first === 1 && second === 1) || (first === 2 && second !== 0)) {
        vec = V_DF;
        code = 0;
      } else {
        vec = v2;
        code = cpu.fault.code;
      }
    }
  }
}

/** Describe the triple fault's exception chain, e.g. "#GP(0x8) -> #GP -> #DF". */
export function faultChainText(cpu: Cpu): string {
  return cpu.faultChain.map((v) => EXCEPTION_NAMES[v] ?? `#${v}`).join(' -> ');
}

/**
 * Run until icount reaches `target`, the CPU halts with nothing to wake it,
 * or it shuts down (triple fault). Returns when any of these holds.
 */
export function runCpu(cpu: Cpu, target: number): void {
  // A request to return applies to the call it was made in.
  cpu.exitRequested = false;
  while (cpu.icount < target && !cpu.shutdown && !cpu.exitRequested) {
    const intrOk = (cpu.flags & IF) !== 0 && cpu.icount !== cpu.shadowUntil;
    if (intrOk && cpu.intr.pending()) {
      cpu.halted = false;
      const vec = cpu.intr.acknowledge();
      try {
        deliverInterrupt(cpu, vec, -1, false, true);
      } catch (e) {
        if (e !== FAULT) throw e;
        cpu.prevEip = cpu.eip;
        deliverFault(cpu);
        continue;
      }
    } else if (cpu.halted) {
      return;
    }
    const stepping = (cpu.flags & TF) !== 0;
    cpu.stopAt = stepping || cpu.icount === cpu.shadowUntil ? cpu.icount + 1 : target;
    try {
      runInner(cpu);
      if (stepping && cpu.icount > 0 && !cpu.halted) {
        cpu.dr[6] |= 0x4000;
        deliverInterrupt(cpu, V_DB, -1, false, true);
      }
    } catch (e) {
      if (e !== FAULT) throw e;
      cpu.eip = cpu.prevEip;
      deliverFault(cpu);
    }
  }
}

/** Execute exactly one instruction (or one REP iteration), taking a pending interrupt first. */
export function stepCpu(cpu: Cpu): void {
  runCpu(cpu, cpu.icount + 1);
}
