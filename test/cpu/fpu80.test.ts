// The x87's 80-bit arithmetic (src/cpu/fpu/sf80.ts): precision and
// rounding control, the masked and unmasked overflow/underflow responses,
// C1, unsupported encodings and pseudo-denormals, on hand-encoded code
// (fpu-harness.ts). Values are 80-bit images read back from memory.

import { describe, it, expect } from 'vitest';
import { runCode, mem } from './fpu-harness.js';

const FNINIT = [0xdb, 0xe3], FLD1 = [0xd9, 0xe8];
const fldcw = (o: number): number[] => [0xd9, ...mem(5, o)];
const fldT = (o: number): number[] => [0xdb, ...mem(5, o)];
const fstpT = (o: number): number[] => [0xdb, ...mem(7, o)];
const fnstswM = (o: number): number[] => [0xdd, ...mem(7, o)];
const word = (v: number): number[] => [v & 0xff, (v >> 8) & 0xff];
/** The 10-byte image of (sign/exponent, significand). */
const tword = (se: number, mant: bigint): number[] => [...Array.from({ length: 8 }, (_, k) => Number((mant >> BigInt(8 * k)) & 0xffn)), ...word(se)];
const IE = 1, DE = 2, OE = 8, UE = 0x10, PE = 0x20, ES = 0x80, C1 = 0x200, C2 = 0x400;

/** ST(0) = a, ST(1) = b (m80 at DATA+16, +32), control word at DATA+0; `op`; result m80 at DATA+48, status at DATA+64. */
function op2(cw: number, a: number[], b: number[], op: number[]): { se: number; mant: bigint; sw: number } {
  const code = [...FNINIT, ...fldcw(0), ...fldT(32), ...fldT(16), ...op, ...fnstswM(64), ...fstpT(48)];
  const data = [...word(cw), ...Array(14).fill(0), ...a, ...Array(6).fill(0), ...b, ...Array(40).fill(0)];
  const run = runCode(code, { data });
  expect(run.vector).toBe(-1);
  const bytes = run.bytes(48, 10);
  const mant = bytes.slice(0, 8).reduceRight((v, x) => (v << 8n) | BigInt(x), 0n);
  return { se: bytes[8] | (bytes[9] << 8), mant, sw: run.u16(64) };
}

const ONE = tword(0x3fff, 1n << 63n), THREE = tword(0x4000, 0xc000000000000000n);
const FDIV = [0xd8, 0xf1]; // FDIV ST(0), ST(1)

describe('x87 precision and rounding control', () => {
  it('1/3 rounds to 24, 53 or 64 bits by PC, keeping the extended exponent', () => {
    expect(op2(0x007f, ONE, THREE, FDIV)).toMatchObject({ se: 0x3ffd, mant: 0xaaaaab0000000000n });
    expect(op2(0x027f, ONE, THREE, FDIV)).toMatchObject({ se: 0x3ffd, mant: 0xaaaaaaaaaaaaa800n });
    expect(op2(0x037f, ONE, THREE, FDIV)).toMatchObject({ se: 0x3ffd, mant: 0xaaaaaaaaaaaaaaabn });
  });

  it('the four rounding modes, with C1 when the result was rounded up in magnitude', () => {
    const near = op2(0x037f, ONE, THREE, FDIV), down = op2(0x077f, ONE, THREE, FDIV), up = op2(0x0b7f, ONE, THREE, FDIV), chop = op2(0x0f7f, ONE, THREE, FDIV);
    expect([near.mant, down.mant, up.mant, chop.mant]).toEqual([0xaaaaaaaaaaaaaaabn, 0xaaaaaaaaaaaaaaaan, 0xaaaaaaaaaaaaaaabn, 0xaaaaaaaaaaaaaaaan]);
    expect([near.sw & C1, down.sw & C1, up.sw & C1, chop.sw & C1]).toEqual([C1, 0, C1, 0]);
    expect(near.sw & 0x3f).toBe(PE);
  });

  it('FSQRT is correctly rounded: sqrt(2) at 64 bits', () => {
    const two = tword(0x4000, 1n << 63n);
    expect(op2(0x037f, two, ONE, [0xd9, 0xfa])).toMatchObject({ se: 0x3fff, mant: 0xb504f333f9de6484n });
  });
});

describe('x87 overflow and underflow', () => {
  const MAX = tword(0x7ffe, 0xffffffffffffffffn), TINY = tword(0x0001, 1n << 63n);
  const FMUL = [0xd8, 0xc9]; // FMUL ST(0), ST(1)

  it('masked overflow: infinity to nearest, the largest finite value toward zero', () => {
    expect(op2(0x037f, MAX, MAX, FMUL)).toMatchObject({ se: 0x7fff, mant: 1n << 63n });
    const chop = op2(0x0f7f, MAX, MAX, FMUL);
    expect(chop).toMatchObject({ se: 0x7ffe, mant: 0xffffffffffffffffn });
    expect(chop.sw & (OE | PE)).toBe(OE | PE);
  });

  it('unmasked overflow: the result with its exponent less 24576, OE and ES', () => {
    const r = op2(0x0377, MAX, MAX, FMUL);
    expect(r.se).toBe(0x7ffe + 0x7ffe - 0x3fff + 1 - 24576);
    expect(r.mant).toBe(0xfffffffffffffffen);
    expect(r.sw & (OE | ES)).toBe(OE | ES);
  });

  it('masked underflow gives a denormal with UE and PE; unmasked, the result with its exponent plus 24576', () => {
    const third = tword(0x3ffd, 0xaaaaaaaaaaaaaaabn);
    const masked = op2(0x037f, TINY, third, FMUL);
    expect(masked.se).toBe(0);
    expect(masked.sw & (UE | PE)).toBe(UE | PE);
    const unmasked = op2(0x036f, TINY, third, FMUL);
    expect(unmasked.se).toBe(1 - 2 + 24576);
    expect(unmasked.mant).toBe(0xaaaaaaaaaaaaaaabn);
    expect(unmasked.sw & (UE | ES)).toBe(UE | ES);
  });
});

describe('x87 operand encodings', () => {
  it('an unnormal, pseudo-infinity or pseudo-NaN operand is an invalid operation (the indefinite)', () => {
    for (const bad of [tword(0x4000, 0x4000000000000000n), tword(0x7fff, 0n), tword(0x7fff, 0x4000000000000001n)]) {
      const r = op2(0x037f, bad, ONE, [0xd8, 0xc1]);
      expect(r).toMatchObject({ se: 0xffff, mant: 0xc000000000000000n });
      expect(r.sw & IE).toBe(IE);
    }
  });

  it('a pseudo-denormal is read as the denormal of exponent 1 (DE): 0 x8000... + 0 = 2^-16382', () => {
    const r = op2(0x037f, tword(0, 1n << 63n), tword(0, 0n), [0xd8, 0xc1]);
    expect(r).toMatchObject({ se: 1, mant: 1n << 63n });
    expect(r.sw & DE).toBe(DE);
  });

  it('FPREM with exponents 64 or more apart reduces partially (C2 = 1), exactly', () => {
    const big = tword(0x4000 + 100, 0xc90fdaa22168c235n);
    const r = op2(0x037f, big, THREE, [0xd9, 0xf8]);
    expect(r.sw & C2).toBe(C2);
    expect(r.se).toBeLessThan(0x4000 + 100);
  });

  it('FLD1; FLD1; FSCALE gives 2 exactly', () => {
    const run = runCode([...FNINIT, ...FLD1, ...FLD1, 0xd9, 0xfd, ...fstpT(0)]);
    expect(run.bytes(0, 10)).toEqual(tword(0x4000, 1n << 63n));
  });
});
