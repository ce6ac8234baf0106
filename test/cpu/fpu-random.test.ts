// fpu-random.mb on vmrr against QEMU 7.2's output of the same image
// (fixtures/expected/fpu-random.txt, made with qemu-system-i386): 400 seeded
// random operand pairs with special values. Part 1 (8 lines a pair): FADD,
// FSUB, FMUL, FDIV m64, FSQRT, FST m32, FISTP m32, FCOM codes: every value
// bit-identical, and the exception flags too, except that vmrr also reports
// DE for a denormal operand (the SDM lists #D there; QEMU 7.2 omits it).
// Part 2 (4 lines a pair): FSIN, FCOS, FPATAN, FYL2X: values equal or within
// one ulp (both round a high-precision value; QEMU's FSIN/FCOS are glibc's,
// not always correctly rounded; 1539 of 1600 bit-identical), except two QEMU
// deviations from the SDM: FSIN/FCOS of an infinity (QEMU returns it
// unchanged; the SDM says invalid operation) and which NaN FPATAN/FYL2X
// return for two NaN operands (QEMU takes ST(0)'s; the SDM the larger
// significand). Flags are not compared in part 2 (QEMU's FSIN/FCOS set none).

import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Machine } from '../../src/machine/machine.js';
import { loadMultiboot } from '../../src/machine/loaders.js';
import { HostInputSource } from '../../src/replay/input-source.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures');
const RAM = 32 << 20;
const DE = 0x02;
const PAIRS = 400, PART1 = 8, PART2 = 4;

/** The operand table: [a, b] as 64-bit patterns. */
function operands(): [bigint, bigint][] {
  const src = readFileSync(join(FIXTURES, 'src/gen/fpu_random.inc'), 'latin1');
  return [...src.matchAll(/dq 0x([0-9A-F]{16}), 0x([0-9A-F]{16})/g)].map((m) => [BigInt('0x' + m[1]), BigInt('0x' + m[2])]);
}

const ABS = (1n << 63n) - 1n;
const isDenormal = (b: bigint): boolean => ((b >> 52n) & 0x7ffn) === 0n && (b & ((1n << 52n) - 1n)) !== 0n;
const isInf = (b: bigint): boolean => (b & ABS) === 0x7ff0000000000000n;
const isNaN64 = (b: bigint): boolean => (b & ABS) > 0x7ff0000000000000n;

function run(): string[] {
  let out = '';
  const m = new Machine({ ramBytes: RAM, clock: 'virtual', input: new HostInputSource(), serial: (b) => { out += String.fromCharCode(b); } });
  m.load(loadMultiboot(new Uint8Array(readFileSync(join(FIXTURES, 'fpu-random.mb'))), RAM, ''));
  expect(m.run(50_000_000).exitValue).toBe(1);
  return out.split('\n');
}

describe('x87 random operations against QEMU', () => {
  const ours = run(), qemu = readFileSync(join(FIXTURES, 'expected/fpu-random.txt'), 'latin1').split('\n');
  const ops = operands();

  it('same number of lines, ending in DONE all passed', () => {
    expect(ops.length).toBe(PAIRS);
    expect(ours.length).toBe(qemu.length);
    expect(ours[PAIRS * (PART1 + PART2)]).toBe('DONE all passed');
  });

  it('arithmetic, FSQRT, FST m32, FISTP m32, FCOM: values bit-identical, flags identical but for DE on denormal operands', () => {
    const bad: string[] = [];
    for (let k = 0; k < PAIRS * PART1; k++) {
      const [qv, qf] = qemu[k].split(' '), [ov, of] = ours[k].split(' ');
      const [a, b] = ops[Math.floor(k / PART1)];
      const op = k % PART1;
      const usesB = op < 4 || op === 7;
      const denormal = isDenormal(a) || (usesB && isDenormal(b));
      const flagsOk = of === qf || (denormal && parseInt(of, 16) === (parseInt(qf, 16) | DE));
      if (ov !== qv || !flagsOk) bad.push(`line ${k}: qemu ${qemu[k]} vmrr ${ours[k]}`);
    }
    expect(bad.slice(0, 10).join('\n')).toBe('');
  });

  it('FSIN, FCOS, FPATAN, FYL2X: within one ulp of QEMU but for its documented deviations', () => {
    const bad: string[] = [];
    let exact = 0;
    for (let k = 0; k < PAIRS * PART2; k++) {
      const line = PAIRS * PART1 + k;
      const qv = BigInt('0x' + qemu[line].split(' ')[0]), ov = BigInt('0x' + ours[line].split(' ')[0]);
      const [a, b] = ops[Math.floor(k / PART2)];
      const op = k % PART2;
      if (qv === ov) { exact++; continue; }
      if (op < 2 && isInf(a)) continue; // QEMU: FSIN/FCOS(inf) unchanged; SDM: invalid
      if (op >= 2 && isNaN64(a) && isNaN64(b)) continue; // QEMU: ST(0)'s NaN; SDM: larger significand
      const oneUlp = (qv >> 63n) === (ov >> 63n) && ((qv & ABS) - (ov & ABS) === 1n || (ov & ABS) - (qv & ABS) === 1n);
      if (!oneUlp) bad.push(`line ${line}: qemu ${qemu[line]} vmrr ${ours[line]}`);
    }
    expect(bad.slice(0, 10).join('\n')).toBe('');
    expect(exact).toBeGreaterThan(PAIRS * PART2 * 0.8);
  });
});
