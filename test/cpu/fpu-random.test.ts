// fpu-random.mb on vmrr against QEMU 7.2's output of the same image
// (fixtures/expected/fpu-random.txt, made with qemu-system-i386): 400 seeded
// random operand pairs with special values, FADD/FSUB/FMUL/FDIV m64 and
// FSQRT, each result stored as m64 with its exception flags. Every result
// must be bit-identical. The flags must be identical too, except that vmrr
// also reports DE for a double-denormal operand, as the SDM says FLD/FADD...
// m64 do and QEMU 7.2 does not (fixtures/README.md, QEMU deviations).

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

/** The operand table: [a, b] as 64-bit patterns. */
function operands(): [bigint, bigint][] {
  const src = readFileSync(join(FIXTURES, 'src/gen/fpu_random.inc'), 'latin1');
  return [...src.matchAll(/dq 0x([0-9A-F]{16}), 0x([0-9A-F]{16})/g)].map((m) => [BigInt('0x' + m[1]), BigInt('0x' + m[2])]);
}

const isDenormal = (b: bigint): boolean => ((b >> 52n) & 0x7ffn) === 0n && (b & ((1n << 52n) - 1n)) !== 0n;

describe('x87 random arithmetic against QEMU', () => {
  it('fpu-random.mb: every result bit-identical to QEMU; flags identical but for DE on denormal operands', () => {
    let out = '';
    const m = new Machine({ ramBytes: RAM, clock: 'virtual', input: new HostInputSource(), serial: (b) => { out += String.fromCharCode(b); } });
    m.load(loadMultiboot(new Uint8Array(readFileSync(join(FIXTURES, 'fpu-random.mb'))), RAM, ''));
    expect(m.run(50_000_000).exitValue).toBe(1);
    const ours = out.split('\n'), qemu = readFileSync(join(FIXTURES, 'expected/fpu-random.txt'), 'latin1').split('\n');
    const ops = operands();
    expect(ops.length).toBe(400);
    expect(ours.length).toBe(qemu.length);
    const bad: string[] = [];
    let deOnly = 0;
    for (let k = 0; k < ops.length * 5; k++) {
      const [qv, qf] = qemu[k].split(' '), [ov, of] = ours[k].split(' ');
      const [a, b] = ops[Math.floor(k / 5)];
      const denormalOperand = isDenormal(a) || (k % 5 !== 4 && isDenormal(b));
      const flagsOk = of === qf || (denormalOperand && parseInt(of, 16) === (parseInt(qf, 16) | DE));
      if (ov !== qv || !flagsOk) bad.push(`line ${k}: qemu ${qemu[k]} vmrr ${ours[k]}`);
      else if (of !== qf) deOnly++;
    }
    expect(bad.slice(0, 10).join('\n')).toBe('');
    expect(ours[2000]).toBe('DONE all passed');
    // A figure for the docs: how many of the 2000 results differ only by DE.
    expect(deOnly).toBeGreaterThan(0);
  });
});
