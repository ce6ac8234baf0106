// Selector inspection without loading: LAR, LSL, VERR, VERW, and ARPL.
// Each reports success in ZF; a failed check is not a fault.

import type { Cpu } from '../cpu.js';
import type { Inst } from '../inst.js';
import { HandlerTable } from '../handler-table.js';
import { ZF, materialize } from '../flags.js';
import { fetchDesc, newDesc, A_S } from '../segments.js';
import { readE16, rmwLin, lrd16, lwr16 } from './operands.js';
import { requireProtected } from './system-segments.js';

/** The selector-checks handlers (assembled with the other tables by dispatch.ts). */
export const SELECTOR_CHECKS_HANDLERS = new HandlerTable('selector-checks');
const { def } = SELECTOR_CHECKS_HANDLERS;

const d = newDesc();

function setZF(cpu: Cpu, on: boolean): void {
  materialize(cpu);
  cpu.flags = on ? cpu.flags | ZF : cpu.flags & ~ZF;
}

// System types LAR may read: TSSs (available/busy, 16/32), LDT, call and task gates.
const LAR_SYSTEM = new Set([1, 2, 3, 4, 5, 9, 11, 12]);
// LSL only those with a limit: TSSs and the LDT.
const LSL_SYSTEM = new Set([1, 2, 3, 9, 11]);

/**
 * Fetch `sel` into `d` and apply the visibility rules shared by LAR/LSL/VERR/VERW:
 * non-null, inside its table, and (unless conforming code) DPL >= max(CPL, RPL).
 */
function visible(cpu: Cpu, sel: number, systemOk: Set<number> | null): boolean {
  if ((sel & 0xfffc) === 0 || !fetchDesc(cpu, sel, d)) return false;
  const attr = d.attr;
  if (!(attr & A_S)) {
    if (systemOk === null || !systemOk.has(attr & 0xf)) return false;
  } else if ((attr & 0xc) === 0xc) {
    return true; // conforming code: no privilege check
  }
  const dpl = (attr >> 5) & 3;
  return dpl >= cpu.cpl && dpl >= (sel & 3);
}

// LAR Gv, Ew: access rights are descriptor bytes 5-6 (masked 0x00FFFF00; 0xFF00 for 16 bits).
def(0x102, (cpu, i) => {
  requireProtected(cpu);
  const ok = visible(cpu, readE16(cpu, i), LAR_SYSTEM);
  if (ok) cpu.regs16[i.reg << 1] = d.hi & 0xff00;
  setZF(cpu, ok);
}, (cpu, i) => {
  requireProtected(cpu);
  const ok = visible(cpu, readE16(cpu, i), LAR_SYSTEM);
  if (ok) cpu.regs[i.reg] = d.hi & 0x00ffff00;
  setZF(cpu, ok);
});

// LSL Gv, Ew: the limit in bytes (G applied); a 16-bit destination gets its low word.
def(0x103, (cpu, i) => {
  requireProtected(cpu);
  const ok = visible(cpu, readE16(cpu, i), LSL_SYSTEM);
  if (ok) cpu.regs16[i.reg << 1] = d.limit;
  setZF(cpu, ok);
}, (cpu, i) => {
  requireProtected(cpu);
  const ok = visible(cpu, readE16(cpu, i), LSL_SYSTEM);
  if (ok) cpu.regs[i.reg] = d.limit;
  setZF(cpu, ok);
});

// VERR: readable code or any data segment; VERW: writable data only.
def(0x100, (cpu, i) => {
  requireProtected(cpu);
  const ok = visible(cpu, readE16(cpu, i), null) && (!(d.attr & 8) || (d.attr & 2) !== 0);
  setZF(cpu, ok);
}, undefined, 4);
def(0x100, (cpu, i) => {
  requireProtected(cpu);
  const ok = visible(cpu, readE16(cpu, i), null) && (d.attr & 0xa) === 2;
  setZF(cpu, ok);
}, undefined, 5);

// ARPL Ew, Gw: raise the destination selector's RPL to the source's.
def(0x63, (cpu: Cpu, i: Inst) => {
  requireProtected(cpu);
  const src = cpu.regs16[i.reg << 1] & 3;
  if (i.mod === 3) {
    const v = cpu.regs16[i.rm << 1];
    if ((v & 3) < src) cpu.regs16[i.rm << 1] = (v & ~3) | src;
    setZF(cpu, (v & 3) < src);
    return;
  }
  const lin = rmwLin(cpu, i, 2);
  const v = lrd16(cpu, lin);
  if ((v & 3) < src) lwr16(cpu, lin, (v & ~3) | src);
  setZF(cpu, (v & 3) < src);
});
