// The page walker: linear -> physical translation on a TLB miss, with the
// permission checks, accessed/dirty updates and #PF error codes of a real
// 32-bit (non-PAE) IA-32 MMU. It fills the software TLB it serves.

import {
  type Cpu, TLB_DENY_READ, TLB_DENY_WRITE, TLB_DENY_UREAD, TLB_DENY_UWRITE,
} from '../cpu/cpu.js';
import { raise, V_PF } from '../cpu/faults.js';
import { WALKED_PD, WALKED_PT } from './tlb.js';

const P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80;
const ALL_DENY = TLB_DENY_READ | TLB_DENY_WRITE | TLB_DENY_UREAD | TLB_DENY_UWRITE;

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
  let phys: number;
  let deny = 0;
  let srcPde = -1, srcPte = -1;
  if (!(cpu.cr0 & 0x80000000)) {
    phys = lin;
  } else {
    const mem = cpu.mem;
    const pdeAddr = ((cpu.cr3 & 0xfffff000) + ((lin >>> 22) << 2)) >>> 0;
    if ((tlb.marked[pdeAddr >>> 12] & WALKED_PD) === 0 && tlb.tracking) markWalked(cpu, pdeAddr, WALKED_PD);
    srcPde = pdeAddr;
    const pde = mem.read32(pdeAddr);
    if (!(pde & P)) pageFault(cpu, lin, 0, write, user);
    let flags: number;
    let dirty: boolean;
    if ((pde & PS) && (cpu.cr4 & 0x10)) {
      flags = pde;
      checkAccess(cpu, lin, flags, write, user);
      let npde = pde | A;
      if (write) npde |= D;
      if (npde !== pde) ptWrite(cpu, pdeAddr, npde);
      dirty = (npde & D) !== 0;
      phys = ((pde & 0xffc00000) | (lin & 0x3fffff)) >>> 0;
    } else {
      const pteAddr = ((pde & 0xfffff000) + (((lin >>> 12) & 0x3ff) << 2)) >>> 0;
      if ((tlb.marked[pteAddr >>> 12] & WALKED_PT) === 0 && tlb.tracking) markWalked(cpu, pteAddr, WALKED_PT);
      srcPte = pteAddr;
      const pte = mem.read32(pteAddr);
      if (!(pte & P)) pageFault(cpu, lin, 0, write, user);
      flags = pde & pte;
      checkAccess(cpu, lin, flags, write, user);
      if (!(pde & A)) ptWrite(cpu, pdeAddr, pde | A);
      let npte = pte | A;
      if (write) npte |= D;
      if (npte !== pte) ptWrite(cpu, pteAddr, npte);
      dirty = (npte & D) !== 0;
      phys = ((pte & 0xfffff000) | (lin & 0xfff)) >>> 0;
    }
    if (!(flags & US)) deny |= TLB_DENY_UREAD | TLB_DENY_UWRITE;
    if (!(flags & RW)) {
      deny |= TLB_DENY_UWRITE;
      if (cpu.cr0 & 0x10000) deny |= TLB_DENY_WRITE;
    }
    if (!dirty) deny |= TLB_DENY_WRITE | TLB_DENY_UWRITE;
  }
  const page = phys >>> 12;
  const mem = cpu.mem;
  if (!mem.isRamPage(page)) deny = ALL_DENY;
  else if (mem.readOnly[page] || !cpu.pageDirty[page] || cpu.codePages[page] !== undefined || tlb.marked[page] !== 0) {
    deny |= TLB_DENY_WRITE | TLB_DENY_UWRITE;
  }
  tlb.insert(lin, phys & 0xfffff000, deny, srcPde, srcPte);
  return phys;
}

/** The T bit: the first time a walk reads a page, writes to it must leave the fast path. */
function markWalked(cpu: Cpu, addr: number, role: number): void {
  const page = addr >>> 12;
  if (cpu.tlb.mark(page, role)) cpu.tlb.revokeWrites(page);
}

/** A/D bit update: a write to RAM like any other (dirty tracking, code invalidation). */
function ptWrite(cpu: Cpu, addr: number, v: number): void {
  cpu.notePhysWrite(addr, 4);
  cpu.mem.write32(addr, v);
}

function checkAccess(cpu: Cpu, lin: number, flags: number, write: boolean, user: boolean): void {
  if (user) {
    if (!(flags & US) || (write && !(flags & RW))) pageFault(cpu, lin, P, write, user);
  } else if (write && !(flags & RW) && (cpu.cr0 & 0x10000)) {
    pageFault(cpu, lin, P, write, user);
  }
}

function pageFault(cpu: Cpu, lin: number, present: number, write: boolean, user: boolean): never {
  cpu.cr2 = lin | 0;
  raise(cpu, V_PF, present | (write ? 2 : 0) | (user ? 4 : 0));
}
