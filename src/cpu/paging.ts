// The page walker: linear -> physical translation for a 32-bit (non-PAE)
// IA-32 MMU, with the permission checks, accessed/dirty updates and #PF
// error codes of a real one. It lives on the CPU side because a walk raises
// #PF and fills the CPU's TLB; memory/ only stores bytes and TLB entries.
// There is one walker: `translate` (the MMU, on a TLB miss) walks with side
// effects; `peekTranslate` (disassembler, divergence reports, a debugger)
// walks the same code with none: no accessed/dirty bits, no T bit, no fault,
// no TLB fill.

import {
  type Cpu, TLB_DENY_READ, TLB_DENY_WRITE, TLB_DENY_UREAD, TLB_DENY_UWRITE,
} from './cpu.js';
import { raise, V_PF } from './faults.js';
import { WALKED_PD, WALKED_PT } from '../memory/tlb.js';

const P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80;
const ALL_DENY = TLB_DENY_READ | TLB_DENY_WRITE | TLB_DENY_UREAD | TLB_DENY_UWRITE;
const NO_PAGE = -1;

/** The parts of the CPU a side-effect-free walk reads. */
export type WalkView = Pick<Cpu, 'cr0' | 'cr3' | 'cr4' | 'mem'>;

// Results of the last walk besides the address (no allocation per walk).
let wDeny = 0, wPde = -1, wPte = -1;

/**
 * Walk the page tables for `lin`. With `effects`, a failed check raises #PF
 * and the walk marks the tables it reads (T bit) and sets accessed/dirty
 * bits; without, it returns -1 where a real access would fault and changes
 * nothing. `cpu` must be a full Cpu when `effects` is true.
 */
function walk(cpu: WalkView, lin: number, write: boolean, user: boolean, effects: boolean): number {
  wDeny = 0; wPde = -1; wPte = -1;
  if (!(cpu.cr0 & 0x80000000)) return lin;
  const mem = cpu.mem;
  const pdeAddr = ((cpu.cr3 & 0xfffff000) + ((lin >>> 22) << 2)) >>> 0;
  if (effects) markWalked(cpu as Cpu, pdeAddr, WALKED_PD);
  wPde = pdeAddr;
  const pde = mem.read32(pdeAddr);
  if (!(pde & P)) return fail(cpu, lin, 0, write, user, effects);
  let flags: number, dirty: boolean, phys: number;
  if ((pde & PS) && (cpu.cr4 & 0x10)) {
    flags = pde;
    if (!allowed(cpu, flags, write, user)) return fail(cpu, lin, P, write, user, effects);
    let npde = pde | A;
    if (write) npde |= D;
    if (effects && npde !== pde) ptWrite(cpu as Cpu, pdeAddr, npde);
    dirty = (npde & D) !== 0;
    phys = ((pde & 0xffc00000) | (lin & 0x3fffff)) >>> 0;
  } else {
    const pteAddr = ((pde & 0xfffff000) + (((lin >>> 12) & 0x3ff) << 2)) >>> 0;
    if (effects) markWalked(cpu as Cpu, pteAddr, WALKED_PT);
    wPte = pteAddr;
    const pte = mem.read32(pteAddr);
    if (!(pte & P)) return fail(cpu, lin, 0, write, user, effects);
    flags = pde & pte;
    if (!allowed(cpu, flags, write, user)) return fail(cpu, lin, P, write, user, effects);
    if (effects && !(pde & A)) ptWrite(cpu as Cpu, pdeAddr, pde | A);
    let npte = pte | A;
    if (write) npte |= D;
    if (effects && npte !== pte) ptWrite(cpu as Cpu, pteAddr, npte);
    dirty = (npte & D) !== 0;
    phys = ((pte & 0xfffff000) | (lin & 0xfff)) >>> 0;
  }
  let deny = 0;
  if (!(flags & US)) deny |= TLB_DENY_UREAD | TLB_DENY_UWRITE;
  if (!(flags & RW)) {
    deny |= TLB_DENY_UWRITE;
    if (cpu.cr0 & 0x10000) deny |= TLB_DENY_WRITE;
  }
  if (!dirty) deny |= TLB_DENY_WRITE | TLB_DENY_UWRITE;
  wDeny = deny;
  return phys;
}

/**
 * Translate `lin` for an access (write? user?), raising #PF on failure, and
 * fill the TLB entry for the page. Returns the physical address.
 */
export function translate(cpu: Cpu, lin: number, write: boolean, user: boolean): number {
  lin >>>= 0;
  const tlb = cpu.tlb;
  if (tlb.ways > 1) {
    const hit = tlb.lookupOtherWays(lin, write ? (user ? TLB_DENY_UWRITE : TLB_DENY_WRITE) : (user ? TLB_DENY_UREAD : TLB_DENY_READ));
    if (hit >= 0) return hit;
  }
  const phys = walk(cpu, lin, write, user, true);
  let deny = wDeny;
  const page = phys >>> 12;
  const mem = cpu.mem;
  if (!mem.isRamPage(page)) deny = ALL_DENY;
  else if (mem.readOnly[page] || !cpu.pageDirty[page] || cpu.codePages[page] !== undefined || tlb.marked[page] !== 0) {
    deny |= TLB_DENY_WRITE | TLB_DENY_UWRITE;
  }
  // A debugger watches this page: every access comes back here (mem-access.ts reports it).
  if (cpu.watch !== null && cpu.watch.pages[lin >>> 12] !== 0) deny = ALL_DENY;
  tlb.insert(lin, phys & 0xfffff000, deny, wPde, wPte);
  return phys;
}

/**
 * Physical address of linear `lin` for a supervisor read, or -1 where the
 * page tables map nothing. No side effects at all.
 */
export function peekTranslate(cpu: WalkView, lin: number, write = false, user = false): number {
  return walk(cpu, lin >>> 0, write, user, false);
}

/** The T bit: the first time a walk reads a page, writes to it must leave the fast path. */
function markWalked(cpu: Cpu, addr: number, role: number): void {
  const tlb = cpu.tlb;
  const page = addr >>> 12;
  if ((tlb.marked[page] & role) !== 0 || !tlb.tracking) return;
  if (tlb.mark(page, role)) tlb.revokeWrites(page);
}

/** A/D bit update: a write to RAM like any other (dirty tracking, code invalidation). */
function ptWrite(cpu: Cpu, addr: number, v: number): void {
  cpu.notePhysWrite(addr, 4);
  cpu.mem.write32(addr, v);
}

function allowed(cpu: WalkView, flags: number, write: boolean, user: boolean): boolean {
  if (user) return (flags & US) !== 0 && (!write || (flags & RW) !== 0);
  return !(write && !(flags & RW) && (cpu.cr0 & 0x10000));
}

function fail(cpu: WalkView, lin: number, present: number, write: boolean, user: boolean, effects: boolean): number {
  if (!effects) return NO_PAGE;
  (cpu as Cpu).cr2 = lin | 0;
  raise(cpu as Cpu, V_PF, present | (write ? 2 : 0) | (user ? 4 : 0));
}

/** Bytes at linear `addr`, up to the first unmapped page; undefined when the first byte is unmapped. */
export function peekLinear(cpu: Cpu, addr: number, len: number): Uint8Array | undefined {
  const out = new Uint8Array(len);
  let n = 0;
  while (n < len) {
    const lin = (addr + n) >>> 0;
    const phys = peekTranslate(cpu, lin);
    if (phys < 0) break;
    const chunk = Math.min(len - n, 4096 - (lin & 4095));
    for (let k = 0; k < chunk; k++) out[n + k] = cpu.mem.read8(phys + k);
    n += chunk;
  }
  return n === 0 ? undefined : out.subarray(0, n);
}
