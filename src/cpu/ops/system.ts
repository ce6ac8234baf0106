// Privileged and machine-level instructions: HLT, CLI/STI, IN/OUT/INS/OUTS
// with the I/O permission bitmap, CPUID, RDTSC, RDMSR/WRMSR, RDRAND/RDSEED,
// (the x87 is in fpu-*-ops.ts, SSE raises #UD).

import type { Cpu } from '../cpu.js';
import type { Inst } from '../inst.js';
import { HandlerTable } from '../handler-table.js';
import { ARITH, CF, IF, IOPL, VM, materialize } from '../flags.js';
import { gp, ud } from '../faults.js';
import { sysRd16, sysRd8, rd8, rd16, rd32, wr8, wr16, wr32 } from '../mem-access.js';
import { repeatable, srcIdx, dstIdx, advSrc, advDst } from './string.js';

/** The system handlers (assembled with the other tables by dispatch.ts). */
export const SYSTEM_HANDLERS = new HandlerTable('system');
const { def } = SYSTEM_HANDLERS;

const iopl = (cpu: Cpu): number => (cpu.flags & IOPL) >> 12;

/** CPL 0 required (in protected mode; V86 runs at CPL 3). */
export function requireCpl0(cpu: Cpu): void {
  if ((cpu.cr0 & 1) && (cpu.cpl !== 0 || (cpu.flags & VM))) gp(cpu, 0);
}

// HLT: counts one instruction, then the CPU idles until an interrupt.
def(0xf4, (cpu) => {
  requireCpl0(cpu);
  cpu.halted = true;
  cpu.requestExit();
});

// CLI / STI (IOPL-sensitive; STI starts a one-instruction interrupt shadow)
def(0xfa, (cpu) => {
  if ((cpu.cr0 & 1) && iopl(cpu) < cpu.cpl) gp(cpu, 0);
  cpu.flags &= ~IF;
});
def(0xfb, (cpu) => {
  if ((cpu.cr0 & 1) && iopl(cpu) < cpu.cpl) gp(cpu, 0);
  if (!(cpu.flags & IF)) {
    cpu.flags |= IF;
    cpu.shadowUntil = cpu.icount + 1;
    cpu.requestExit();
  }
});

// ---- port I/O ----

/** #GP(0) unless the current privilege or the TSS I/O bitmap allows ports [port, port+size). */
export function checkIo(cpu: Cpu, port: number, size: number): void {
  if (!(cpu.cr0 & 1)) return;
  if (!(cpu.flags & VM) && cpu.cpl <= iopl(cpu)) return;
  // Only a 32-bit TSS has a bitmap.
  if (!(cpu.trType & 8) || cpu.trLimit < 0x67) gp(cpu, 0);
  const mapBase = sysRd16(cpu, cpu.trBase + 0x66);
  const byteOff = mapBase + (port >> 3);
  if (byteOff + 1 > cpu.trLimit) gp(cpu, 0);
  const bits = sysRd8(cpu, cpu.trBase + byteOff) | (sysRd8(cpu, cpu.trBase + byteOff + 1) << 8);
  if ((bits >> (port & 7)) & ((1 << size) - 1)) gp(cpu, 0);
}

function portIn(cpu: Cpu, port: number, size: number): number {
  checkIo(cpu, port, size);
  return size === 1 ? cpu.io.in8(port) : size === 2 ? cpu.io.in16(port) : cpu.io.in32(port);
}
function portOut(cpu: Cpu, port: number, size: number, v: number): void {
  checkIo(cpu, port, size);
  if (size === 1) cpu.io.out8(port, v & 0xff);
  else if (size === 2) cpu.io.out16(port, v & 0xffff);
  else cpu.io.out32(port, v);
}
function setAcc(cpu: Cpu, size: number, v: number): void {
  if (size === 1) cpu.regs8[0] = v; else if (size === 2) cpu.regs16[0] = v; else cpu.regs[0] = v;
}
function getAcc(cpu: Cpu, size: number): number {
  return size === 1 ? cpu.regs8[0] : size === 2 ? cpu.regs16[0] : cpu.regs[0];
}

def(0xe4, (cpu, i) => setAcc(cpu, 1, portIn(cpu, i.imm & 0xff, 1)));
def(0xe5, (cpu, i) => setAcc(cpu, 2, portIn(cpu, i.imm & 0xff, 2)), (cpu, i) => setAcc(cpu, 4, portIn(cpu, i.imm & 0xff, 4)));
def(0xe6, (cpu, i) => portOut(cpu, i.imm & 0xff, 1, getAcc(cpu, 1)));
def(0xe7, (cpu, i) => portOut(cpu, i.imm & 0xff, 2, getAcc(cpu, 2)), (cpu, i) => portOut(cpu, i.imm & 0xff, 4, getAcc(cpu, 4)));
def(0xec, (cpu) => setAcc(cpu, 1, portIn(cpu, cpu.regs16[4], 1)));
def(0xed, (cpu) => setAcc(cpu, 2, portIn(cpu, cpu.regs16[4], 2)), (cpu) => setAcc(cpu, 4, portIn(cpu, cpu.regs16[4], 4)));
def(0xee, (cpu) => portOut(cpu, cpu.regs16[4], 1, getAcc(cpu, 1)));
def(0xef, (cpu) => portOut(cpu, cpu.regs16[4], 2, getAcc(cpu, 2)), (cpu) => portOut(cpu, cpu.regs16[4], 4, getAcc(cpu, 4)));

// INS / OUTS: the destination of INS is always ES; OUTS honours segment overrides.
const rdBy = [rd8, rd16, rd32];
const wrBy = [wr8, wr16, wr32];
function insOuts(size: number, lg: number, out: boolean) {
  return repeatable((cpu: Cpu, i: Inst) => {
    const port = cpu.regs16[4];
    if (out) {
      const v = rdBy[lg](cpu, i.seg, srcIdx(cpu, i));
      portOut(cpu, port, size, v);
      advSrc(cpu, i, size);
    } else {
      checkIo(cpu, port, size);
      // Check the destination is writable before the (side-effecting) port read.
      wrBy[lg](cpu, 0, dstIdx(cpu, i), 0);
      wrBy[lg](cpu, 0, dstIdx(cpu, i), portIn(cpu, port, size));
      advDst(cpu, i, size);
    }
  }, false);
}
def(0x6c, insOuts(1, 0, false));
def(0x6d, insOuts(2, 1, false), insOuts(4, 2, false));
def(0x6e, insOuts(1, 0, true));
def(0x6f, insOuts(2, 1, true), insOuts(4, 2, true));

// ---- identification, time stamp, MSRs, random numbers ----

const VENDOR = [0x756e6547, 0x49656e69, 0x6c65746e]; // "GenuineIntel"
const CPUID_SIGNATURE = 0x633;
// EDX leaf 1: FPU(0) when present, PSE(3) TSC(4) MSR(5) CX8(8) CMOV(15) (with FPU: FCMOVcc, FCOMI). No SSE, no FXSR.
const CPUID1_EDX = (1 << 3) | (1 << 4) | (1 << 5) | (1 << 8) | (1 << 15);
const CPUID1_ECX = 1 << 30; // RDRAND
const CPUID7_EBX = 1 << 18; // RDSEED

def(0x1a2, (cpu) => {
  const leaf = cpu.regs[0] >>> 0;
  const sub = cpu.regs[1];
  const r = cpu.regs;
  let a = 0, b = 0, c = 0, d = 0;
  if (leaf === 0) { a = 7; b = VENDOR[0]; d = VENDOR[1]; c = VENDOR[2]; }
  else if (leaf === 1) { a = CPUID_SIGNATURE; c = CPUID1_ECX; d = CPUID1_EDX | (cpu.fpuPresent ? 1 : 0); }
  else if (leaf === 7 && sub === 0) { b = CPUID7_EBX; }
  r[0] = a; r[3] = b; r[1] = c; r[2] = d;
});

function readTsc(cpu: Cpu): number {
  return cpu.nd.rdtsc() + cpu.tscOffset;
}
function setEdxEax(cpu: Cpu, v: number): void {
  cpu.regs[0] = v % 0x100000000;
  cpu.regs[2] = Math.floor(v / 0x100000000);
}

def(0x131, (cpu) => {
  if ((cpu.cr4 & 4) && (cpu.cr0 & 1) && cpu.cpl !== 0) gp(cpu, 0);
  setEdxEax(cpu, readTsc(cpu));
});
const MSR_TSC = 0x10;
def(0x132, (cpu) => {
  requireCpl0(cpu);
  if (cpu.regs[1] !== MSR_TSC) {
    const v = cpu.msrs.read(cpu.regs[1]) ?? gp(cpu, 0);
    cpu.regs[0] = v[0]; cpu.regs[2] = v[1];
    return;
  }
  setEdxEax(cpu, readTsc(cpu));
});
def(0x130, (cpu) => {
  requireCpl0(cpu);
  if (cpu.regs[1] !== MSR_TSC) {
    if (!cpu.msrs.write(cpu.regs[1], cpu.regs[0], cpu.regs[2])) gp(cpu, 0);
    return;
  }
  const v = (cpu.regs[2] >>> 0) * 0x100000000 + (cpu.regs[0] >>> 0);
  cpu.tscOffset = v - cpu.nd.rdtsc();
});

function rdrandOp(seed: boolean) {
  return (cpu: Cpu, i: Inst): void => {
    if (i.mod !== 3) ud(cpu);
    const v = cpu.nd.rdrand(i.o32 ? 32 : 16, seed);
    if (i.o32) cpu.regs[i.rm] = v; else cpu.regs16[i.rm << 1] = v;
    materialize(cpu);
    cpu.flags = (cpu.flags & ~ARITH) | CF;
  };
}
def(0x1c7, rdrandOp(false), undefined, 6);
def(0x1c7, rdrandOp(true), undefined, 7);

// x87 rows are served by fpu-*-ops.ts; SSE rows name 'ud' in op-rows.ts (#UD, no handler; CPUID does not announce SSE).
