// Operand access for handlers: ModRM register/memory operands by size.

import type { Cpu } from '../cpu.js';
import type { Inst } from '../inst.js';
import { rd8, rd16, rd32, wr8, wr16, wr32, wlin, lrd8, lrd16, lrd32, lwr8, lwr16, lwr32 } from '../mem-access.js';

/** Byte offset in the register file of 8-bit register r (AL, CL, DL, BL, AH, CH, DH, BH). */
export const R8 = new Uint8Array([0, 4, 8, 12, 1, 5, 9, 13]);

export function getReg8(cpu: Cpu, r: number): number {
  return cpu.regs8[R8[r]];
}
export function setReg8(cpu: Cpu, r: number, v: number): void {
  cpu.regs8[R8[r]] = v;
}
export function getReg16(cpu: Cpu, r: number): number {
  return cpu.regs16[r << 1];
}
export function setReg16(cpu: Cpu, r: number, v: number): void {
  cpu.regs16[r << 1] = v;
}

export function readE8(cpu: Cpu, i: Inst): number {
  return i.mod === 3 ? cpu.regs8[R8[i.rm]] : rd8(cpu, i.seg, i.ea(cpu, i));
}
export function readE16(cpu: Cpu, i: Inst): number {
  return i.mod === 3 ? cpu.regs16[i.rm << 1] : rd16(cpu, i.seg, i.ea(cpu, i));
}
export function readE32(cpu: Cpu, i: Inst): number {
  return i.mod === 3 ? cpu.regs[i.rm] : rd32(cpu, i.seg, i.ea(cpu, i));
}
export function writeE8(cpu: Cpu, i: Inst, v: number): void {
  if (i.mod === 3) cpu.regs8[R8[i.rm]] = v;
  else wr8(cpu, i.seg, i.ea(cpu, i), v);
}
export function writeE16(cpu: Cpu, i: Inst, v: number): void {
  if (i.mod === 3) cpu.regs16[i.rm << 1] = v;
  else wr16(cpu, i.seg, i.ea(cpu, i), v);
}
export function writeE32(cpu: Cpu, i: Inst, v: number): void {
  if (i.mod === 3) cpu.regs[i.rm] = v;
  else wr32(cpu, i.seg, i.ea(cpu, i), v);
}

/**
 * Read-modify-write of a memory operand: `rmwLin` checks the segment for
 * writing and returns the linear address; read with lrd*, write with lwr*.
 * The read checks read permission, the write checks write permission before
 * storing anything, so a fault leaves the machine unchanged.
 */
export function rmwLin(cpu: Cpu, i: Inst, size: number): number {
  return wlin(cpu, i.seg, i.ea(cpu, i), size);
}
export { lrd8, lrd16, lrd32, lwr8, lwr16, lwr32 };

/** Apply a binary op to the ModRM operand in place, by size. `f` returns the new value. */
export function rmw8(cpu: Cpu, i: Inst, f: (cpu: Cpu, v: number) => number): void {
  if (i.mod === 3) { const o = R8[i.rm]; cpu.regs8[o] = f(cpu, cpu.regs8[o]); return; }
  const lin = rmwLin(cpu, i, 1);
  lwr8(cpu, lin, f(cpu, lrd8(cpu, lin)));
}
export function rmw16(cpu: Cpu, i: Inst, f: (cpu: Cpu, v: number) => number): void {
  if (i.mod === 3) { cpu.regs16[i.rm << 1] = f(cpu, cpu.regs16[i.rm << 1]); return; }
  const lin = rmwLin(cpu, i, 2);
  lwr16(cpu, lin, f(cpu, lrd16(cpu, lin)));
}
export function rmw32(cpu: Cpu, i: Inst, f: (cpu: Cpu, v: number) => number): void {
  if (i.mod === 3) { cpu.regs[i.rm] = f(cpu, cpu.regs[i.rm]); return; }
  const lin = rmwLin(cpu, i, 4);
  lwr32(cpu, lin, f(cpu, lrd32(cpu, lin)));
}
