// Stack operations on SS:(E)SP honouring the stack's B bit. Each push writes
// before it moves ESP, so a faulting push leaves ESP unchanged.

import { type Cpu, SS, ESP } from './cpu.js';
import { rd16, rd32, wr16, wr32 } from './mem-access.js';

export function getSP(cpu: Cpu): number {
  return cpu.ssB ? cpu.regs[ESP] >>> 0 : cpu.regs16[ESP * 2];
}

export function setSP(cpu: Cpu, v: number): void {
  if (cpu.ssB) cpu.regs[ESP] = v;
  else cpu.regs16[ESP * 2] = v;
}

/** Offset of the stack slot `delta` bytes from the current SP, wrapped to the stack size. */
export function spOffset(cpu: Cpu, delta: number): number {
  return cpu.ssB ? (cpu.regs[ESP] + delta) >>> 0 : (cpu.regs16[ESP * 2] + delta) & 0xffff;
}

export function push16(cpu: Cpu, v: number): void {
  const off = spOffset(cpu, -2);
  wr16(cpu, SS, off, v);
  setSP(cpu, off);
}

export function push32(cpu: Cpu, v: number): void {
  const off = spOffset(cpu, -4);
  wr32(cpu, SS, off, v);
  setSP(cpu, off);
}

export function pushV(cpu: Cpu, v: number, o32: boolean): void {
  if (o32) push32(cpu, v); else push16(cpu, v);
}

export function pop16(cpu: Cpu): number {
  const off = spOffset(cpu, 0);
  const v = rd16(cpu, SS, off);
  setSP(cpu, off + 2);
  return v;
}

export function pop32(cpu: Cpu): number {
  const off = spOffset(cpu, 0);
  const v = rd32(cpu, SS, off);
  setSP(cpu, off + 4);
  return v;
}

export function popV(cpu: Cpu, o32: boolean): number {
  return o32 ? pop32(cpu) : pop16(cpu);
}

/** Read the stack slot `delta` bytes above SP without popping. */
export function peekV(cpu: Cpu, delta: number, o32: boolean): number {
  const off = spOffset(cpu, delta);
  return o32 ? rd32(cpu, SS, off) : rd16(cpu, SS, off);
}
