// The architectural state of one IA-32 vCPU, plus the caches that make it
// fast (software TLB, decoded-instruction pages). Behaviour lives in the
// neighbouring modules as plain functions over this object.

import type { PhysicalMemory } from '../memory/phys.js';
import { MsrFile } from './msr.js';
import { Tlb, TLB_DENY_READ, TLB_DENY_WRITE, TLB_DENY_UREAD, TLB_DENY_UWRITE, type TlbGeometry } from '../memory/tlb.js';
import { IF, type LazyState, materialize, ARITH } from './flags.js';
import type { Inst } from './inst.js';
import { Fpu } from './fpu/fpu.js';

/** Port I/O, handed in by the machine. */
export interface IoBus {
  in8(port: number): number;
  in16(port: number): number;
  in32(port: number): number;
  out8(port: number, v: number): void;
  out16(port: number, v: number): void;
  out32(port: number, v: number): void;
}

/** Non-deterministic instruction results; the only source the CPU has. */
export interface NdSource {
  /** Time-stamp counter value (a non-negative integer below 2^53). */
  rdtsc(): number;
  /** A random value of 16 or 32 bits for RDRAND/RDSEED. */
  rdrand(bits: number, seed: boolean): number;
}

/** Maskable interrupt controller, as the CPU sees it (the INTR line). */
export interface InterruptLine {
  /** A maskable interrupt is requested. */
  pending(): boolean;
  /** Acknowledge: returns the vector. */
  acknowledge(): number;
}

// Segment register indices (encoding order).
export const ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;
// Register indices (encoding order).
export const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;

// Deny bits kept in the low bits of a TLB tag (the TLB itself: src/memory/tlb.ts).
export { TLB_DENY_READ, TLB_DENY_WRITE, TLB_DENY_UREAD, TLB_DENY_UWRITE, TLB_INVALID } from '../memory/tlb.js';

/** A page of decoded instructions, indexed by offset in the page. */
/** Interpretations of an instruction before its region is compiled (the block compiler's default; --jit-threshold N overrides). */
export const DEFAULT_JIT_THRESHOLD = 16;

export interface CodePage {
  m16: (Inst | undefined)[] | null;
  m32: (Inst | undefined)[] | null;
  /** Non-zero for each byte of the page that belongs to a decoded instruction. */
  codeBytes: Uint8Array;
  /** Compiled regions made from this page (jit/). */
  jit: number;
}

export interface FaultInfo {
  vector: number;
  code: number; // -1 = no error code
}

/** Thrown to abandon the current instruction; the details are in cpu.fault. */
/**
 * A debugger's watchpoints (src/gdb/watch-hook.ts). While `cpu.watch` is null,
 * the default, nothing changes; while set, TLB entries for the linear pages
 * in `pages` deny every access, so accesses there take the slow path, which
 * reports them to `access` before touching memory.
 */
export interface WatchHook {
  /** Non-zero for each linear page number (lin >>> 12) holding a watched byte. */
  readonly pages: Uint8Array;
  access(lin: number, size: number, write: boolean): void;
}

/**
 * A debugger's breakpoints (src/gdb/break-hook.ts). While `cpu.breaks` is
 * null, the default, nothing changes; while set, each time the fetch cache
 * moves to a code page, `plant` may put trap instructions into its decoded
 * array at the breakpoints' offsets.
 */
export interface BreakHook {
  plant(insts: (Inst | undefined)[], linPage: number): void;
}

export class CpuFault {
  readonly isCpuFault = true;
}
export const FAULT = new CpuFault();

export class Cpu implements LazyState {
  // General registers and three views of them.
  readonly regs = new Int32Array(8);
  readonly regs16 = new Uint16Array(this.regs.buffer);
  readonly regs8 = new Uint8Array(this.regs.buffer);
  eip = 0;
  /** EIP of the instruction being executed (faults restart here). */
  prevEip = 0;

  // Flags: `flags` holds every bit; the bits in `lazy` are pending (see flags.ts).
  flags = 2;
  lazy = 0;
  lop = 0;
  ldst = 0;
  lsrc = 0;
  lres = 0;
  lbits = 32;

  // Segment registers: visible selectors and hidden descriptor caches.
  readonly sreg = new Uint16Array(6);
  readonly segBase = new Float64Array(6);
  readonly segLimit = new Float64Array(6);
  /** Descriptor access bits (type, S, DPL, P in bits 0-7; D/B, G in bits 14-15). */
  readonly segAttr = new Int32Array(6);
  /** Highest offset readable / writable without the slow path, -1 if none. */
  readonly segRLim = new Float64Array(6);
  readonly segWLim = new Float64Array(6);
  /** CS is a 32-bit code segment. */
  csD = false;
  /** SS is a 32-bit stack (ESP rather than SP). */
  ssB = false;
  cpl = 0;

  // System registers.
  cr0 = 0x60000010;
  cr2 = 0;
  cr3 = 0;
  cr4 = 0;
  readonly dr = new Int32Array(8);
  gdtBase = 0;
  gdtLimit = 0xffff;
  idtBase = 0;
  idtLimit = 0x3ff;
  ldtSel = 0;
  ldtBase = 0;
  ldtLimit = 0;
  trSel = 0;
  trBase = 0;
  trLimit = 0xffff;
  trType = 11;
  /** TSC offset set through WRMSR 0x10 (added to the source's counter). */
  tscOffset = 0;
  /** The other MSRs (msr.ts). */
  readonly msrs = new MsrFile();
  /** The x87 (src/cpu/fpu/fpu.ts). */
  readonly fpu = new Fpu();
  /** False: no FPU (CPUID says so; x87 opcodes raise #NM when CR0.EM or TS is set, else #UD). */
  fpuPresent = true;

  // Execution control.
  /**
   * The block compiler (src/cpu/jit/): an instruction interpreted this many
   * times gets its region compiled; 0 turns the JIT off (interpreter only,
   * the reference engine). `vmrr --no-jit` sets 0, `--jit-threshold N` sets N.
   */
  blockThreshold = DEFAULT_JIT_THRESHOLD;
  /** JIT counters: regions and blocks compiled, code pages with compiled code dropped, instructions retired in compiled code. */
  readonly jitStats = { regions: 0, blocks: 0, invalidations: 0, compiledInsns: 0 };
  icount = 0;
  /** The inner loop runs while icount < stopAt; anything needing attention lowers it. */
  stopAt = 0;
  halted = false;
  /** icount at which an interrupt shadow (STI, MOV SS) ends. */
  shadowUntil = -1;
  fault: FaultInfo = { vector: 0, code: -1 };
  /** Vectors of the exceptions being delivered, for double/triple fault and reports. */
  faultChain: number[] = [];
  /** Set when a triple fault has shut the CPU down. */
  shutdown = false;
  /** runCpu returns after this instruction (requestReturn); cleared when runCpu starts. */
  exitRequested = false;

  // Memory and its caches.
  readonly mem: PhysicalMemory;
  readonly ram: Uint8Array;
  readonly ram16: Uint16Array;
  readonly ram32: Int32Array;
  readonly tlb: Tlb;
  /** The TLB's arrays and way-0 index parts, as fields for the memory fast path. */
  readonly tlbMask: number;
  readonly tlbShift: number;
  readonly tlbTag: Int32Array;
  readonly tlbPhys: Int32Array;
  /** Tag mask for read and write checks at the current privilege. */
  rChk = 0xfffff000 | TLB_DENY_READ;
  wChk = 0xfffff000 | TLB_DENY_WRITE;
  /** Physical pages written since the last checkpoint (a write must see 1 to use the fast path). */
  readonly pageDirty: Uint8Array;
  /** Decoded instructions per physical page of RAM. */
  readonly codePages: (CodePage | undefined)[];
  /** Linear page (low 12 bits zero) that `fetchPage` caches, or 1 for none. */
  fetchLin = 1;
  /** EIP of the first byte of the fetch page (negative when the page starts below the CS base), and how many bytes from there are in the page and the CS limit. */
  fetchBase = 0;
  fetchSpan = 0;
  fetchInsts: (Inst | undefined)[] = [];
  /** The decoded-code record of the fetch page (null when it is not RAM). */
  fetchCode: CodePage | null = null;

  /** Debugger watchpoints (null: none; see WatchHook). */
  watch: WatchHook | null = null;
  /** Debugger breakpoints (null: none; see BreakHook). */
  breaks: BreakHook | null = null;

  io: IoBus;
  nd: NdSource;
  intr: InterruptLine;

  constructor(mem: PhysicalMemory, io: IoBus, nd: NdSource, intr: InterruptLine, tlb: TlbGeometry & { tracking?: boolean } = { entries: 4096, ways: 1 }) {
    this.mem = mem;
    this.ram = mem.ram;
    this.ram16 = mem.ram16;
    this.ram32 = mem.ram32;
    this.io = io;
    this.nd = nd;
    this.intr = intr;
    this.tlb = new Tlb(tlb, mem.pages, tlb.tracking ?? true);
    this.tlbMask = this.tlb.setMask;
    this.tlbShift = this.tlb.wayShift;
    this.tlbTag = this.tlb.tag;
    this.tlbPhys = this.tlb.phys;
    this.pageDirty = new Uint8Array(mem.pages);
    this.codePages = new Array(mem.pages).fill(undefined);
  }

  /** Lower the inner loop's bound so the run loop looks at the CPU after this instruction. */
  requestExit(): void {
    this.stopAt = 0;
  }

  /** Make runCpu return to its caller after this instruction (a device, a buffer exit, the guest's exit). */
  requestReturn(): void {
    this.exitRequested = true;
    this.stopAt = 0;
  }

  getEflags(): number {
    return materialize(this) | 2;
  }

  /** Replace EFLAGS wholesale (callers apply privilege rules first). */
  setEflags(v: number): void {
    const oldIF = this.flags & IF;
    this.lazy = 0;
    this.flags = (v & 0x3f7fd5) | 2;
    if (!oldIF && (this.flags & IF)) this.requestExit();
  }

  /** Set only the arithmetic flags from v. */
  setArithFlags(v: number): void {
    materialize(this);
    this.flags = (this.flags & ~ARITH) | (v & ARITH);
  }

  get protectedMode(): boolean {
    return (this.cr0 & 1) !== 0;
  }

  get v86(): boolean {
    return (this.flags & 0x20000) !== 0;
  }

  get paging(): boolean {
    return (this.cr0 & 0x80000000) !== 0;
  }

  /** Update the TLB check masks after a CPL change. */
  updatePrivilege(): void {
    const user = this.cpl === 3;
    this.rChk = (0xfffff000 | (user ? TLB_DENY_UREAD : TLB_DENY_READ)) | 0;
    this.wChk = (0xfffff000 | (user ? TLB_DENY_UWRITE : TLB_DENY_WRITE)) | 0;
  }

  flushTlb(): void {
    this.tlb.flushAll();
    this.fetchLin = 1;
  }

  flushTlbPage(lin: number): void {
    this.tlb.flushPage(lin);
    this.fetchLin = 1;
  }

  /** Forget write permission for every TLB entry mapping physical page `page`. */
  revokeWrites(page: number): void {
    this.tlb.revokeWrites(page);
  }

  /** Drop decoded code of a physical page (it was written). */
  invalidateCode(page: number): void {
    const cp = this.codePages[page];
    if (cp !== undefined && cp.jit !== 0) this.jitStats.invalidations++;
    this.codePages[page] = undefined;
    this.fetchLin = 1;
  }

  /**
   * Bookkeeping for a write of `size` bytes at physical `addr` (within one
   * page) outside the fast path: the page is dirty, and decoded code is
   * dropped only if the write touches a byte of a decoded instruction, so
   * data next to code does not throw the code away.
   */
  notePhysWrite(addr: number, size: number): void {
    const page = addr >>> 12;
    if (page >= this.mem.pages) return;
    this.pageDirty[page] = 1;
    // Fast-path writes need pageDirty set, so every CPU write to a page passes here first.
    this.mem.touched[page] = 1;
    // The T bit: a write to a page a walk read drops the translations built from the entries it changed.
    if (this.tlb.marked[page] !== 0 && this.tlb.invalidateWrite(addr, size) > 0) this.fetchLin = 1;
    const cp = this.codePages[page];
    if (cp === undefined) return;
    const o = addr & 4095;
    const last = Math.min(4095, o + size - 1);
    for (let l = o; l <= last; l++) {
      if (cp.codeBytes[l] !== 0) {
        this.invalidateCode(page);
        return;
      }
    }
  }

  /** Mark all pages clean (a checkpoint); writes take the slow path once per page again. */
  clearDirty(): void {
    this.pageDirty.fill(0);
    this.tlb.revokeAllWrites();
  }

}
