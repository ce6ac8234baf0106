// Registers and memory of a Cpu as gdb reads and writes them: registers in
// registers.ts order, little-endian; memory at linear addresses through the
// guest's current paging, read with the side-effect-free walk (no accessed
// or dirty bits, no T bit, no fault, no TLB fill).

import { type Cpu, CS, SS, DS, ES, FS, GS } from '../cpu/cpu.js';
import { peekTranslate } from '../cpu/paging.js';
import { REGISTERS, REG_CR0, REG_EFLAGS, REG_EIP, REG_SEG0, REG_ST0, REG_X87_CTRL0, isX87 } from './registers.js';

/** gdb's segment order (cs ss ds es fs gs) as the CPU's indices. */
const SEG_ORDER = [CS, SS, DS, ES, FS, GS];

const le32 = (v: number): Uint8Array => Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
const fromLe32 = (b: Uint8Array): number => (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;

/** The 32-bit value of register `n`, or undefined for the x87 registers (readRegister has them). */
export function registerValue(cpu: Cpu, n: number): number | undefined {
  if (n < 8) return cpu.regs[n] >>> 0;
  if (n === REG_EIP) return cpu.eip >>> 0;
  if (n === REG_EFLAGS) return cpu.getEflags() >>> 0;
  if (n >= REG_SEG0 && n < REG_SEG0 + 6) return cpu.sreg[SEG_ORDER[n - REG_SEG0]];
  if (n >= REG_CR0 && n < REG_CR0 + 4) return [cpu.cr0, cpu.cr2, cpu.cr3, cpu.cr4][n - REG_CR0] >>> 0;
  return undefined;
}

export function readRegister(cpu: Cpu, n: number): Uint8Array | undefined {
  if (n < 0 || n >= REGISTERS.length) return undefined;
  if (isX87(n)) return x87Register(cpu, n);
  const v = registerValue(cpu, n);
  return v === undefined ? undefined : le32(v);
}

/** st0-7 as 80-bit extended values (ST(i), relative to TOP, as gdb numbers them), then the control registers. */
function x87Register(cpu: Cpu, n: number): Uint8Array {
  if (!cpu.fpuPresent) return new Uint8Array(REGISTERS[n].bits / 8);
  const f = cpu.fpu;
  if (n < REG_X87_CTRL0) {
    const v = f.get80(n - REG_ST0);
    const out = new Uint8Array(10);
    for (let k = 0; k < 8; k++) out[k] = Number((v.mant >> BigInt(8 * k)) & 0xffn);
    const se = (v.exp & 0x7fff) | (v.sign ? 0x8000 : 0);
    out[8] = se & 0xff;
    out[9] = se >>> 8;
    return out;
  }
  return le32([f.cw, f.statusWord(), f.tagWord(), f.fcs, f.fip, f.fds, f.fdp, f.fop][n - REG_X87_CTRL0] >>> 0);
}

/** General registers, EIP and EFLAGS can be written; segment, control and x87 registers cannot (yet). */
export function writeRegister(cpu: Cpu, n: number, bytes: Uint8Array): boolean {
  if (bytes.length !== 4) return false;
  const v = fromLe32(bytes);
  if (n < 8) cpu.regs[n] = v | 0;
  else if (n === REG_EIP) cpu.eip = v;
  else if (n === REG_EFLAGS) cpu.setEflags(v);
  else return false;
  return true;
}

export { peekLinear as readLinear } from '../cpu/paging.js';


/** Write linear memory as the guest would see it changed (dirty pages, decoded code dropped). */
export function writeLinear(cpu: Cpu, addr: number, data: Uint8Array): boolean {
  for (let n = 0; n < data.length;) {
    const lin = (addr + n) >>> 0;
    const phys = peekTranslate(cpu, lin);
    if (phys < 0 || !cpu.mem.isRamPage(phys >>> 12)) return false;
    const chunk = Math.min(data.length - n, 4096 - (lin & 4095));
    cpu.notePhysWrite(phys, chunk);
    for (let k = 0; k < chunk; k++) cpu.mem.write8(phys + k, data[n + k]);
    n += chunk;
  }
  return true;
}

/** Linear address of the next instruction (CS base + EIP). */
export const pcLinear = (cpu: Cpu): number => (cpu.segBase[CS] + cpu.eip) >>> 0;
