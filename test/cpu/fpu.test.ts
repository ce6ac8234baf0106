// The x87 (src/cpu/fpu/, src/cpu/ops/fpu-*-ops.ts): hand-encoded
// instructions on a small flat machine (fpu-harness.ts), results read back
// from memory, the status word and the exception that ended the code.

import { describe, it, expect } from 'vitest';
import { runCode, mem, f64Bytes, DATA } from './fpu-harness.js';
import { saveCpu, loadCpu } from '../../src/cpu/cpu-state.js';
import type { Machine } from '../../src/machine/machine.js';

const FNINIT = [0xdb, 0xe3], FLD1 = [0xd9, 0xe8], FLDZ = [0xd9, 0xee], FLDPI = [0xd9, 0xeb];
const FNSTSW_AX = [0xdf, 0xe0], FWAIT = [0x9b];
const fldM64 = (o: number): number[] => [0xdd, ...mem(0, o)];
const fstpM64 = (o: number): number[] => [0xdd, ...mem(3, o)];
const fnstswM = (o: number): number[] => [0xdd, ...mem(7, o)];
const fldcw = (o: number): number[] => [0xd9, ...mem(5, o)];
const word = (v: number): number[] => [v & 0xff, (v >> 8) & 0xff];

const IE = 1, ZE = 4, PE = 0x20, SF = 0x40, ES = 0x80, C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000;

/** a OP b for DC /op with doubles at DATA+0 and DATA+8, result at DATA+16, status word at DATA+24. */
function binop(op: number, a: number, b: number): { r: number; sw: number } {
  const run = runCode([...FNINIT, ...fldM64(0), 0xdc, ...mem(op, 8), ...fstpM64(16), ...fnstswM(24)], { data: [...f64Bytes(a), ...f64Bytes(b)] });
  return { r: run.f64(16), sw: run.u16(24) };
}

describe('x87 presence and control', () => {
  it('the FPU probe: FNINIT; FNSTSW AX gives 0, FNSTCW gives 0x037F, and nothing faults', () => {
    const run = runCode([0x66, 0xb8, 0x5a, 0x5a, ...FNINIT, ...FNSTSW_AX, 0xd9, ...mem(7, 0)]);
    expect(run.vector).toBe(-1);
    expect(run.m.cpu.regs[0] & 0xffff).toBe(0);
    expect(run.u16(0)).toBe(0x037f);
  });

  it('CPUID leaf 1 announces the FPU (EDX bit 0) and CMOV', () => {
    const run = runCode([0xb8, 1, 0, 0, 0, 0x0f, 0xa2]);
    expect(run.m.cpu.regs[2] & 1).toBe(1);
    expect(run.m.cpu.regs[2] & (1 << 15)).not.toBe(0);
  });

  it('a machine built without an FPU (logs from before the x87): CPUID bit 0 clear, x87 opcodes #UD, or #NM with EM/TS', () => {
    expect(runCode([0xb8, 1, 0, 0, 0, 0x0f, 0xa2], { fpu: false }).m.cpu.regs[2] & 1).toBe(0);
    expect(runCode(FNINIT, { fpu: false }).vector).toBe(6);
    expect(runCode([0xdd, ...mem(6, 0)], { fpu: false }).vector).toBe(6);
    expect(runCode(FNINIT, { fpu: false, cr0: 4 }).vector).toBe(7);
    expect(runCode(FWAIT, { fpu: false }).vector).toBe(-1);
  });

  it('CR0.EM=1: an x87 instruction raises #NM; FWAIT does not', () => {
    expect(runCode(FLD1, { cr0: 4 }).vector).toBe(7);
    expect(runCode(FWAIT, { cr0: 4 }).vector).toBe(-1);
  });

  it('CR0.TS=1: #NM for x87 instructions, for FWAIT only with MP', () => {
    expect(runCode(FNINIT, { cr0: 8 }).vector).toBe(7);
    expect(runCode(FWAIT, { cr0: 8 }).vector).toBe(-1);
    expect(runCode(FWAIT, { cr0: 8 | 2 }).vector).toBe(7);
  });

  it('FLDCW / FNSTCW round trip; FNCLEX clears the exception flags', () => {
    const run = runCode([...FNINIT, ...fldcw(0), 0xd9, ...mem(7, 2), ...FLDZ, ...FLDZ, 0xde, 0xf9, ...fnstswM(4), 0xdb, 0xe2, ...fnstswM(6)], { data: word(0x0f7f) });
    expect(run.u16(2)).toBe(0x0f7f);
    expect(run.u16(4) & IE).toBe(IE); // 0/0
    expect(run.u16(6) & 0xff).toBe(0);
  });
});

describe('x87 arithmetic', () => {
  it('FADD/FSUB/FMUL/FDIV m64 give the double results; exact ones set no PE', () => {
    expect(binop(0, 1.5, 2.25)).toEqual({ r: 3.75, sw: 0 });
    expect(binop(4, 5, 8).r).toBe(-3);
    expect(binop(5, 5, 8).r).toBe(3); // FSUBR
    expect(binop(1, 3, 7).r).toBe(21);
    expect(binop(6, 10, 4).r).toBe(2.5);
    expect(binop(7, 10, 4).r).toBe(0.4); // FDIVR
    const third = binop(6, 1, 3);
    expect(third.r).toBe(1 / 3);
    expect(third.sw & PE).toBe(PE);
  });

  it('masked divide by zero gives infinity and ZE; 0/0 gives the indefinite and IE', () => {
    const z = binop(6, -1, 0);
    expect(z.r).toBe(-Infinity);
    expect(z.sw & ZE).toBe(ZE);
    const n = binop(6, 0, 0);
    expect(Number.isNaN(n.r)).toBe(true);
    expect(n.sw & IE).toBe(IE);
  });

  it('register forms: FADDP, FSUBRP ST(1) and FDIV ST(i),ST(0) pick the right operands', () => {
    // ST0 = 8, ST1 = 2: FSUBP ST(1) (DE E9) gives ST1 - ST0 = -6; FSUBRP (DE E1) gives 6.
    const load = [...FNINIT, ...fldM64(0), ...fldM64(8)];
    const data = [...f64Bytes(2), ...f64Bytes(8)];
    expect(runCode([...load, 0xde, 0xe9, ...fstpM64(16)], { data }).f64(16)).toBe(-6);
    expect(runCode([...load, 0xde, 0xe1, ...fstpM64(16)], { data }).f64(16)).toBe(6);
    expect(runCode([...load, 0xdc, 0xf9, 0xdd, 0xd8, ...fstpM64(16)], { data }).f64(16)).toBe(0.25); // FDIV ST1,ST0 = 2/8
    expect(runCode([...load, 0xde, 0xc1, ...fstpM64(16)], { data }).f64(16)).toBe(10);
  });

  it('FSQRT, FABS, FCHS, FRNDINT, FSCALE, FXTRACT, FPREM', () => {
    const one = (ops: number[], x: number, y = 0): number =>
      runCode([...FNINIT, ...fldM64(8), ...fldM64(0), ...ops, ...fstpM64(16)], { data: [...f64Bytes(x), ...f64Bytes(y)] }).f64(16);
    expect(one([0xd9, 0xfa], 2)).toBe(Math.SQRT2);
    expect(one([0xd9, 0xe1], -3)).toBe(3);
    expect(one([0xd9, 0xe0], 3)).toBe(-3);
    expect(one([0xd9, 0xfc], 2.5)).toBe(2);
    expect(one([0xd9, 0xfc], 3.5)).toBe(4);
    expect(one([0xd9, 0xfd], 3, 4)).toBe(48);
    expect(one([0xd9, 0xf4], 24)).toBe(1.5); // significand
    expect(one([0xd9, 0xf4, 0xdd, 0xd8], 24)).toBe(4); // exponent
    expect(one([0xd9, 0xf8], 17, 5)).toBe(2);
    expect(one([0xd9, 0xf5], 17, 5)).toBe(2);
    expect(one([0xd9, 0xf5], 18, 5)).toBe(-2); // FPREM1 rounds the quotient to nearest
  });

  it('FPREM reports the quotient low bits in C0 C3 C1', () => {
    // 23 / 3: quotient 7 = 0b111
    const run = runCode([...FNINIT, ...fldM64(8), ...fldM64(0), 0xd9, 0xf8, ...fnstswM(16)], { data: [...f64Bytes(23), ...f64Bytes(3)] });
    expect(run.u16(16) & (C0 | C1 | C2 | C3)).toBe(C0 | C1 | C3);
  });

  it('transcendentals: FSIN, FCOS, FPTAN, FPATAN, F2XM1, FYL2X, FLDPI', () => {
    const one = (ops: number[], x: number, y = 0): number =>
      runCode([...FNINIT, ...fldM64(8), ...fldM64(0), ...ops, ...fstpM64(16)], { data: [...f64Bytes(x), ...f64Bytes(y)] }).f64(16);
    expect(one([0xd9, 0xfe], Math.PI / 6)).toBeCloseTo(0.5, 15);
    expect(one([0xd9, 0xff], 0)).toBe(1);
    expect(one([0xd9, 0xf2, 0xdd, 0xd8], Math.PI / 4)).toBeCloseTo(1, 15); // tan under the pushed 1.0
    expect(one([0xd9, 0xf2], 0.3)).toBe(1);
    expect(one([0xd9, 0xf3], 1, 1)).toBe(Math.PI / 4); // atan(ST1/ST0)
    expect(one([0xd9, 0xf0], 1)).toBe(1);
    expect(one([0xd9, 0xf1], 8, 3)).toBe(9); // 3 * log2(8)
    expect(runCode([...FNINIT, ...FLDPI, ...fstpM64(0)]).f64(0)).toBe(Math.PI);
  });
});

describe('x87 loads, stores and conversions', () => {
  it('FISTP m16/m32 round under RC; out of range stores the integer indefinite with IE', () => {
    const fist = (rc: number, x: number): number => {
      const run = runCode([...FNINIT, ...fldcw(8), ...fldM64(0), 0xdb, ...mem(3, 16)], { data: [...f64Bytes(x), ...word(0x037f | (rc << 10))] });
      return run.u32(16) | 0;
    };
    expect([0, 1, 2, 3].map((rc) => fist(rc, 2.5))).toEqual([2, 2, 3, 2]);
    expect([0, 1, 2, 3].map((rc) => fist(rc, -2.5))).toEqual([-2, -3, -2, -2]);
    expect(fist(0, 3.5)).toBe(4);
    expect(fist(0, 3e9) >>> 0).toBe(0x80000000);
    expect(fist(0, 1e125) >>> 0).toBe(0x80000000); // far beyond 2^64: out of range, not 0
    const run = runCode([...FNINIT, ...fldM64(0), 0xdf, ...mem(3, 16), ...fnstswM(20)], { data: f64Bytes(40000) });
    expect(run.u16(16)).toBe(0x8000);
    expect(run.u16(20) & IE).toBe(IE);
  });

  it('FILD/FISTP m64 keep all 64 bits (beyond a double)', () => {
    const v = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0x7e];
    const run = runCode([...FNINIT, 0xdf, ...mem(5, 0), 0xdf, ...mem(7, 8)], { data: v });
    expect(run.bytes(8, 8)).toEqual(v);
  });

  it('FLD/FSTP m80 and FBLD/FBSTP round trip exactly', () => {
    const ext = [0x35, 0xc2, 0x68, 0x21, 0xa2, 0xda, 0x0f, 0xc9, 0x00, 0x40]; // pi, 64-bit significand
    const run = runCode([...FNINIT, 0xdb, ...mem(5, 0), 0xdb, ...mem(7, 16)], { data: ext });
    expect(run.bytes(16, 10)).toEqual(ext);
    const bcd = [0x89, 0x67, 0x45, 0x23, 0x01, 0x89, 0x67, 0x45, 0x23, 0x80]; // -234567890123456789
    const b = runCode([...FNINIT, 0xdf, ...mem(4, 0), 0xdf, ...mem(6, 16), 0xdf, ...mem(4, 16), 0xdf, ...mem(7, 32)], { data: bcd });
    expect(b.bytes(16, 10)).toEqual(bcd);
    const n = BigInt.asIntN(64, b.bytes(32, 8).reduce((acc, x, k) => acc | (BigInt(x) << BigInt(8 * k)), 0n));
    expect(n).toBe(-234567890123456789n);
  });

  it('FST m32 rounds to single precision and sets PE', () => {
    const run = runCode([...FNINIT, ...fldM64(0), 0xd9, ...mem(2, 8), ...fnstswM(12)], { data: f64Bytes(0.1) });
    expect(new DataView(new Uint8Array(run.bytes(8, 4)).buffer).getFloat32(0, true)).toBe(Math.fround(0.1));
    expect(run.u16(12) & PE).toBe(PE);
  });
});

describe('x87 compares and classification', () => {
  const cmp = (a: number, b: number): number =>
    runCode([...FNINIT, ...fldM64(8), ...fldM64(0), 0xd8, 0xd1, ...fnstswM(16)], { data: [...f64Bytes(a), ...f64Bytes(b)] }).u16(16) & (C0 | C2 | C3);

  it('FCOM sets C3 C2 C0 for greater, less, equal, unordered', () => {
    expect(cmp(2, 1)).toBe(0);
    expect(cmp(1, 2)).toBe(C0);
    expect(cmp(2, 2)).toBe(C3);
    expect(cmp(NaN, 2)).toBe(C0 | C2 | C3);
  });

  it('FCOMIP sets ZF PF CF and pops', () => {
    const run = runCode([...FNINIT, ...fldM64(8), ...fldM64(0), 0xdf, 0xf1, ...FNSTSW_AX], { data: [...f64Bytes(1), ...f64Bytes(2)] });
    const fl = run.m.cpu.getEflags();
    expect(fl & 0x45).toBe(1); // CF only: 1 < 2
    expect(((run.m.cpu.regs[0] & 0xffff) >> 11) & 7).toBe(7); // one register left
  });

  it('FXAM classifies empty, zero, normal, infinity and NaN', () => {
    const xam = (pre: number[], data: number[] = []): number =>
      runCode([...FNINIT, ...pre, 0xd9, 0xe5, ...fnstswM(16)], { data }).u16(16) & (C0 | C1 | C2 | C3);
    expect(xam([])).toBe(C3 | C0);
    expect(xam(FLDZ)).toBe(C3);
    expect(xam(fldM64(0), f64Bytes(-1))).toBe(C2 | C1);
    expect(xam(fldM64(0), f64Bytes(Infinity))).toBe(C2 | C0);
    expect(xam(fldM64(0), f64Bytes(NaN))).toBe(C0);
  });
});

describe('x87 stack faults and exceptions', () => {
  it('a ninth push overflows: IE, SF, C1 and the indefinite in ST(0)', () => {
    const run = runCode([...FNINIT, ...Array(9).fill(FLD1).flat(), ...fnstswM(0), ...fstpM64(8)]);
    expect(run.u16(0) & (IE | SF | C1)).toBe(IE | SF | C1);
    expect(run.bytes(8, 8)).toEqual([0, 0, 0, 0, 0, 0, 0xf8, 0xff]);
  });

  it('reading an empty register underflows: IE, SF, C1=0', () => {
    const run = runCode([...FNINIT, 0xd9, 0xc1, ...fnstswM(0)]);
    expect(run.u16(0) & (IE | SF | C1)).toBe(IE | SF);
  });

  it('an unmasked exception is pending (ES, B) and the next waiting instruction raises #MF with CR0.NE', () => {
    const code = [...FNINIT, ...fldcw(0), ...FLD1, ...FLDZ, 0xde, 0xf9, ...fnstswM(8), ...FWAIT, 0xc6, 0x05, ...le32(DATA + 12), 0x55];
    const ne = runCode(code, { cr0: 0x20, data: word(0x037b) });
    expect(ne.u16(8) & (ZE | ES | 0x8000)).toBe(ZE | ES | 0x8000);
    expect(ne.vector).toBe(16);
    expect(ne.bytes(12, 1)).toEqual([0]);
    // The destination was left alone: ST(0) still holds the divisor 0, ST(1) the 1.
    expect(ne.m.cpu.fpu.get(0)).toBe(0);
  });

  it('with CR0.NE=0 a pending unmasked exception raises FERR#: IRQ 13 through the PIC, once, until port 0xF0 is written', () => {
    // PIC: master base 0x10, slave base 0x18 (IRQ 13 = vector 0x1D), only IRQ 13 (and the cascade) unmasked.
    const pic = [0xb0, 0x11, 0xe6, 0x20, 0xe6, 0xa0, 0xb0, 0x10, 0xe6, 0x21, 0xb0, 0x18, 0xe6, 0xa1, 0xb0, 0x04, 0xe6, 0x21,
      0xb0, 0x02, 0xe6, 0xa1, 0xb0, 0x01, 0xe6, 0x21, 0xe6, 0xa1, 0xb0, 0xfb, 0xe6, 0x21, 0xb0, 0xdf, 0xe6, 0xa1];
    const zeroDivide = [...FNINIT, ...fldcw(0), ...FLD1, ...FLDZ, 0xde, 0xf9];
    const marker = [0xc6, 0x05, ...le32(DATA + 12), 0x55];
    const irq = runCode([...pic, 0xfb, ...zeroDivide, ...FWAIT, ...marker], { data: word(0x037b) });
    expect(irq.vector).toBe(0x1d);
    expect(irq.bytes(12, 1)).toEqual([0]);
    expect(irq.m.cpu.fpu.ferr).toBe(true);
    // IF=0: the request waits at the PIC; a second FWAIT does not raise it again; OUT 0xF0 releases it.
    const held = runCode([...pic, ...zeroDivide, ...FWAIT, ...FWAIT, ...marker], { data: word(0x037b) });
    expect(held.vector).toBe(-1);
    expect(held.bytes(12, 1)).toEqual([0x55]);
    expect(held.m.pic.pending()).toBe(true);
    const levels: boolean[] = [];
    const spy = (m: Machine): void => { m.cpu.fpu.ferrLine = (l) => levels.push(l); };
    const released = runCode([...pic, ...zeroDivide, ...FWAIT, ...FWAIT, 0xe6, 0xf0], { data: word(0x037b), before: spy });
    expect(released.m.cpu.fpu.ferr).toBe(false);
    expect(levels).toEqual([true, false]);
    levels.length = 0;
    runCode([...pic, ...zeroDivide, ...FWAIT, 0xe6, 0xf0, ...FWAIT], { data: word(0x037b), before: spy });
    expect(levels).toEqual([true, false, true]); // re-armed by the write
    // The latch is FPU state: saved with it, and a state without it loads as released.
    expect(saveCpu(held.m.cpu).fpu?.ferr).toBe(true);
  });

  it('FNSAVE stores the state and reinitialises; FRSTOR brings it back exactly', () => {
    const code = [...FNINIT, ...FLDPI, ...FLD1, ...fldM64(0), 0xdd, ...mem(6, 16), ...FNSTSW_AX, 0xdd, ...mem(4, 16),
      0xdd, ...mem(6, 200)];
    const run = runCode(code, { data: f64Bytes(-0.75) });
    expect(run.m.cpu.regs[0] & 0xffff).toBe(0); // after FNSAVE
    const first = run.bytes(16, 108), second = run.bytes(200, 108);
    expect(second).toEqual(first);
    expect(first.slice(0, 2)).toEqual([0x7f, 0x03]);
    expect(first[8] | (first[9] << 8)).toBe(0x03ff); // physical 5-7 valid, 0-4 empty
    expect(first.slice(28 + 20, 38 + 20)).toEqual([0x35, 0xc2, 0x68, 0x21, 0xa2, 0xda, 0x0f, 0xc9, 0x00, 0x40]); // ST(2) = pi, exact
  });
});

describe('x87 precision model edges', () => {
  it('FSTP m64 of an 80-bit value rounds to nearest and sets PE; exact doubles set nothing', () => {
    const run = runCode([...FNINIT, ...FLDPI, ...fstpM64(0), ...fnstswM(8), ...FLD1, ...fstpM64(16), ...fnstswM(24)]);
    expect(run.f64(0)).toBe(Math.PI);
    expect(run.u16(8) & (PE | C1)).toBe(PE);
    expect(run.u16(24) & PE).toBe(PE); // sticky from the first store
  });

  it('a result beyond the double range overflows (OE, infinity): the documented limit of the model', () => {
    const r = binop(1, 1e308, 10);
    expect(r.r).toBe(Infinity);
    expect(r.sw & 0x08).toBe(0x08);
  });

  it('FCOM with an empty operand: underflow, unordered codes', () => {
    const run = runCode([...FNINIT, ...FLD1, 0xd8, 0xd1, ...fnstswM(0)]);
    expect(run.u16(0) & (IE | SF | C0 | C2 | C3)).toBe(IE | SF | C0 | C2 | C3);
  });

  it('an 80-bit denormal operand raises DE', () => {
    const den = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const run = runCode([...FNINIT, ...FLD1, 0xdb, ...mem(5, 0), 0xde, 0xc1, ...fnstswM(16)], { data: den });
    expect(run.u16(16) & 2).toBe(2);
  });
});

describe('x87 state in checkpoints', () => {
  it('the saved state tells +0 from -0 in a register', () => {
    const pos = saveCpu(runCode([...FNINIT, ...FLDZ, 0xd9, 0xe1]).m.cpu), neg = saveCpu(runCode([...FNINIT, ...FLDZ, 0xd9, 0xe0]).m.cpu);
    expect(pos.fpu?.val).not.toEqual(neg.fpu?.val);
  });

  it('saveCpu/loadCpu carry the FPU; a state without it loads as FNINIT', () => {
    const run = runCode([...FNINIT, ...FLDPI, ...fldM64(0)], { data: f64Bytes(1e300) });
    const s = saveCpu(run.m.cpu);
    expect(s.v).toBe(2);
    const other = runCode([]);
    loadCpu(other.m.cpu, JSON.parse(JSON.stringify(s)));
    expect(other.m.cpu.fpu.get(0)).toBe(1e300);
    expect(other.m.cpu.fpu.get80(1)).toEqual({ sign: 0, exp: 0x4000, mant: 0xc90fdaa22168c235n });
    expect(other.m.cpu.fpu.statusWord()).toBe(run.m.cpu.fpu.statusWord());
    const { fpu: _fpu, ...v1 } = s;
    loadCpu(other.m.cpu, { ...v1, v: 1 });
    expect(other.m.cpu.fpu.isInitial()).toBe(true);
    expect(saveCpu(other.m.cpu).v).toBe(1);
  });
});

function le32(v: number): number[] {
  return [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24];
}

describe('x87 environment layouts in real mode', () => {
  it('FSTENV 16- and 32-bit real-mode formats hold linear instruction and operand pointers; FLDENV reads them back', async () => {
    const { storeEnv, loadEnv } = await import('../../src/cpu/fpu/fpu-env.js');
    const run = runCode([]);
    const m = run.m;
    m.reset(); // real mode, DS base 0
    const f = m.cpu.fpu;
    f.init();
    Object.assign(f, { fip: 0x1234, fcs: 0x1000, fop: 0x5d9, fdp: 0x0010, fds: 0x2345 });
    const ram = m.mem.ram;
    const w16 = (a: number): number => ram[a] | (ram[a + 1] << 8);
    const w32 = (a: number): number => (ram[a] | (ram[a + 1] << 8) | (ram[a + 2] << 16) | (ram[a + 3] << 24)) >>> 0;
    storeEnv(m.cpu, 3, 0x100, false, false);
    // ip = 0x1000*16 + 0x1234 = 0x11234, dp = 0x23450 + 0x10 = 0x23460
    expect([w16(0x100), w16(0x104), w16(0x106), w16(0x108), w16(0x10a), w16(0x10c)]).toEqual([0x037f, 0xffff, 0x1234, 0x15d9, 0x3460, 0x2000]);
    storeEnv(m.cpu, 3, 0x200, true, false);
    expect([w32(0x20c), w32(0x210), w32(0x214), w32(0x218)]).toEqual([0x1234, 0x15d9, 0x3460, 0x2000]);
    f.init();
    loadEnv(m.cpu, 3, 0x200, true, false);
    expect([f.fip, f.fop, f.fdp]).toEqual([0x11234, 0x5d9, 0x23460]);
    expect(f.cw).toBe(0x037f);
  });
});
