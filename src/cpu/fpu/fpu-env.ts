// FNSTENV/FLDENV and FNSAVE/FRSTOR: the 14-byte (16-bit operand size) and
// 28-byte (32-bit) environment in its protected-mode and real-mode (also
// V86) layouts, followed for FSAVE/FRSTOR by the eight registers in stack
// order, 10 bytes each.

import type { Cpu } from '../cpu.js';
import { rd16, rd32, wlin } from '../mem-access.js';
import { lwr16, lwr32 } from '../ops/operands.js';
import { VM } from '../flags.js';
import { readBytes, writeBytes } from './f80.js';

const realFormat = (cpu: Cpu): boolean => !(cpu.cr0 & 1) || (cpu.flags & VM) !== 0;

export function envSize(o32: boolean): number {
  return o32 ? 28 : 14;
}

/** The environment's words in memory order (each stored as 16 bits or 32 bits). */
function envWords(cpu: Cpu, o32: boolean): number[] {
  const f = cpu.fpu;
  const head = [f.cw, f.statusWord(), f.tagWord()];
  if (!realFormat(cpu)) {
    if (o32) return [...head, f.fip, (f.fop << 16) | f.fcs, f.fdp, f.fds];
    return [...head, f.fip & 0xffff, f.fcs, f.fdp & 0xffff, f.fds];
  }
  // Real mode: 20-bit (16-bit form) or 32-bit linear instruction and operand pointers.
  const ip = (f.fcs * 16 + f.fip) >>> 0, dp = (f.fds * 16 + f.fdp) >>> 0;
  if (o32) return [...head, ip & 0xffff, ((ip >>> 16) << 12) | f.fop, dp & 0xffff, (dp >>> 16) << 12];
  return [...head, ip & 0xffff, (((ip >>> 16) & 0xf) << 12) | f.fop, dp & 0xffff, ((dp >>> 16) & 0xf) << 12];
}

/** FNSTENV / the first part of FNSAVE. Afterwards all exceptions are masked (FNSTENV only). */
export function storeEnv(cpu: Cpu, seg: number, off: number, o32: boolean, regs: boolean): void {
  const size = envSize(o32) + (regs ? 80 : 0);
  const lin = wlin(cpu, seg, off, size);
  const words = envWords(cpu, o32);
  for (let k = 0; k < 7; k++) {
    if (o32) lwr32(cpu, (lin + 4 * k) | 0, words[k]);
    else lwr16(cpu, (lin + 2 * k) | 0, words[k]);
  }
  if (!regs) return;
  const bytes = new Uint8Array(10);
  const base = lin + envSize(o32);
  for (let st = 0; st < 8; st++) {
    writeBytes(cpu.fpu.get80(st), bytes, 0);
    for (let b = 0; b < 10; b += 2) lwr16(cpu, (base + st * 10 + b) | 0, bytes[b] | (bytes[b + 1] << 8));
  }
}

/** FLDENV / the first part of FRSTOR. */
export function loadEnv(cpu: Cpu, seg: number, off: number, o32: boolean, regs: boolean): void {
  const f = cpu.fpu;
  const w: number[] = [];
  for (let k = 0; k < 7; k++) w.push(o32 ? rd32(cpu, seg, off + 4 * k) >>> 0 : rd16(cpu, seg, off + 2 * k));
  // Read everything before changing anything, so a fault leaves the FPU as it was.
  const images: Uint8Array[] = [];
  if (regs) {
    const base = off + envSize(o32);
    for (let st = 0; st < 8; st++) {
      const b = new Uint8Array(10);
      for (let k = 0; k < 10; k += 2) {
        const v = rd16(cpu, seg, base + st * 10 + k);
        b[k] = v & 0xff; b[k + 1] = v >> 8;
      }
      images.push(b);
    }
  }
  f.cw = w[0] & 0xffff;
  f.setStatusWord(w[1] & 0xffff);
  if (!realFormat(cpu)) {
    f.fip = o32 ? w[3] : w[3] & 0xffff;
    f.fcs = w[4] & 0xffff;
    f.fop = o32 ? (w[4] >>> 16) & 0x7ff : 0;
    f.fdp = o32 ? w[5] : w[5] & 0xffff;
    f.fds = w[6] & 0xffff;
  } else {
    const hiBits = o32 ? 0xffff : 0xf;
    f.fip = (w[3] & 0xffff) | (((w[4] >>> 12) & hiBits) << 16);
    f.fop = w[4] & 0x7ff;
    f.fcs = 0;
    f.fdp = (w[5] & 0xffff) | (((w[6] >>> 12) & hiBits) << 16);
    f.fds = 0;
  }
  for (let st = 0; st < images.length; st++) f.set80(st, readBytes(images[st], 0));
  f.setTagWord(w[2] & 0xffff);
  f.updateSummary();
}
