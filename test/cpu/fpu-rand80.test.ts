// fpu-rand80.mb on vmrr against QEMU 7.2's output of the same image
// (fixtures/expected/fpu-rand80.txt, made by scripts/fpu-qemu-ref.sh): 34
// x87 operations x 200 seeded random records (80-bit operands with special
// values, every precision and rounding control). Each line holds up to two
// 80-bit results and the whole status word. Every difference must be one
// of QEMU's documented departures from the SDM (fixtures/README.md, x87
// items), each recognised by a predicate on the record; anything else
// fails. The per-operation tallies are checked against floors so a
// regression shows.

import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Machine } from '../../src/machine/machine.js';
import { loadMultiboot } from '../../src/machine/loaders.js';
import { HostInputSource } from '../../src/replay/input-source.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures');
const RAM = 32 << 20;

const OPS = ['fadd', 'fsub', 'fsubr', 'fmul', 'fdiv', 'fdivr', 'fsqrt', 'frndint', 'fscale', 'fxtract',
  'fprem', 'fprem1', 'fcom', 'fucom', 'fxam', 'ftst', 'fst32', 'fst64', 'fist16', 'fist32',
  'fistp64', 'fbstp', 'f2xm1', 'fyl2x', 'fyl2xp1', 'fpatan', 'fsin', 'fcos', 'fptan', 'fsincos',
  'fld64', 'fld32', 'fiadd32', 'fmul64'] as const;

interface Rec { op: string; cw: number; a: bigint; b: bigint }

function records(): Rec[] {
  const src = readFileSync(join(FIXTURES, 'src/gen/fpu_rand80.inc'), 'latin1');
  const lines = src.split('\n').map((l) => l.trim());
  const out: Rec[] = [];
  const tword = (l: string): bigint => l.slice(3).split(', ').slice(0, 10).reduceRight((v, h) => (v << 8n) | BigInt(parseInt(h, 16)), 0n);
  for (let i = 0; i < lines.length; i++) {
    const m = /^dw (\d+), 0x([0-9A-F]{4})$/.exec(lines[i]);
    if (!m) continue;
    out.push({ op: OPS[Number(m[1])], cw: parseInt(m[2], 16), a: tword(lines[i + 1]), b: tword(lines[i + 2]) });
  }
  return out;
}

type Kind = 'zero' | 'denormal' | 'normal' | 'inf' | 'nan' | 'unsupported';
function kind(v: bigint): Kind {
  const exp = Number((v >> 64n) & 0x7fffn), mant = v & ((1n << 64n) - 1n), int = (mant >> 63n) === 1n;
  if (exp === 0x7fff) return !int ? 'unsupported' : mant === 1n << 63n ? 'inf' : 'nan';
  if (exp === 0) return mant === 0n ? 'zero' : 'denormal';
  return int ? 'normal' : 'unsupported';
}
const negative = (v: bigint): boolean => (v >> 79n) === 1n;
const lo64 = (v: bigint): bigint => v & ((1n << 64n) - 1n);
const denormal64 = (b: bigint): boolean => ((b >> 52n) & 0x7ffn) === 0n && (b & ((1n << 52n) - 1n)) !== 0n;
const denormal32 = (b: bigint): boolean => ((b >> 23n) & 0xffn) === 0n && (b & 0x7fffffn) !== 0n;
const pc = (r: Rec): number => (r.cw >> 8) & 3; // 0: 24 bits, 2: 53, 1 and 3: 64
const TRIG = new Set(['fsin', 'fcos', 'fptan', 'fsincos']);
const C1 = 0x200, C0 = 0x100, C2 = 0x400, C3 = 0x4000, DE = 0x2, FLAGS = 0x3f;

/** Status word bits QEMU 7.2 does not model, which are left out of the comparison for this record. */
function ignoredBits(r: Rec): number {
  let bits = 0;
  if (r.op !== 'fprem' && r.op !== 'fxam') bits |= C1; // QEMU: C1 never reports rounding up
  if (TRIG.has(r.op)) bits |= FLAGS; // QEMU: FSIN/FCOS/FPTAN/FSINCOS raise no exception flags
  if (r.op === 'fprem1') bits |= C0 | C1 | C3; // QEMU: FPREM1 sets no quotient bits
  if (r.op === 'fsqrt' && negative(r.a)) bits |= C2; // QEMU: FSQRT of a negative sets C2
  return bits;
}

/** Whether a record falls in one of QEMU's value departures from the SDM (the name of the departure), or null. */
function departure(r: Rec): string | null {
  const ka = kind(r.a), kb = kind(r.b);
  const specialA = ka === 'nan' || ka === 'unsupported', specialB = kb === 'nan' || kb === 'unsupported';
  // QEMU rounds to precision control where the SDM says it does not apply: loads from m32/m64/m32int,
  // FRNDINT, FPREM/FPREM1, and the double results of FSIN & co.
  if (pc(r) === 0 && ['fld64', 'fmul64', 'fiadd32', 'frndint', 'fprem', 'fprem1', ...TRIG].includes(r.op)) return 'precision control applied';
  if (pc(r) === 2 && ['frndint', 'fprem', 'fprem1'].includes(r.op)) return 'precision control applied';
  if (TRIG.has(r.op) && ka === 'inf') return 'trig of infinity';
  if (TRIG.has(r.op) && specialA) return 'NaN through a double';
  if (['fyl2x', 'fyl2xp1', 'fpatan', 'fscale'].includes(r.op) && (specialA || specialB)) return 'NaN choice';
  return null;
}

/** Did vmrr set DE where QEMU does not (a denormal operand in its own format)? */
function denormalOperand(r: Rec): boolean {
  if (r.op === 'fld64' || r.op === 'fmul64') return denormal64(lo64(r.op === 'fld64' ? r.a : r.b)) || kind(r.a) === 'denormal' || kind(r.b) === 'denormal';
  if (r.op === 'fld32') return denormal32(r.a & 0xffffffffn);
  return kind(r.a) === 'denormal' || kind(r.b) === 'denormal';
}

/** Equal, or 80-bit images of doubles one double ulp apart (same sign and exponent). */
function oneDoubleUlp(x: string, y: string): boolean {
  if (x === y) return true;
  const a = BigInt('0x' + x), b = BigInt('0x' + y);
  const d = a > b ? a - b : b - a;
  return (a >> 64n) === (b >> 64n) && d === 1n << 11n;
}

function run(): string[] {
  let out = '';
  const m = new Machine({ ramBytes: RAM, clock: 'virtual', input: new HostInputSource(), serial: (b) => { out += String.fromCharCode(b); } });
  m.load(loadMultiboot(new Uint8Array(readFileSync(join(FIXTURES, 'fpu-rand80.mb'))), RAM, ''));
  expect(m.run(100_000_000).exitValue).toBe(1);
  return out.split('\n');
}

interface Tally { n: number; identical: number; statusBits: number; departures: number; libm: number }

describe('x87 on 80-bit random operands against QEMU', () => {
  const recs = records();
  const ours = run(), qemu = readFileSync(join(FIXTURES, 'expected/fpu-rand80.txt'), 'latin1').split('\n');
  const tally = new Map<string, Tally>(OPS.map((o) => [o, { n: 0, identical: 0, statusBits: 0, departures: 0, libm: 0 }]));
  const unexplained: string[] = [];
  recs.forEach((r, k) => {
    const t = tally.get(r.op) as Tally;
    t.n++;
    if (ours[k] === qemu[k]) { t.identical++; return; }
    if (departure(r) !== null) { t.departures++; return; }
    const [qo, qr0, qr1, qs] = (qemu[k] ?? '').split(' '), [oo, or0, or1, os] = (ours[k] ?? '').split(' ');
    const keep = 0xffff & ~ignoredBits(r);
    let q = parseInt(qs, 16) & keep, o = parseInt(os, 16) & keep;
    if (o !== q && (o & ~q) === DE && denormalOperand(r)) { o &= ~DE; q &= ~DE; }
    if (qo === oo && qr0 === or0 && qr1 === or1 && q === o) { t.statusBits++; return; }
    // QEMU's FSIN/FCOS/FPTAN are the host's libm (glibc), which is not always correctly rounded: one ulp.
    if (TRIG.has(r.op) && qo === oo && q === o && oneDoubleUlp(qr0, or0) && oneDoubleUlp(qr1, or1)) { t.libm++; return; }
    unexplained.push(`record ${k} ${r.op} cw=${r.cw.toString(16)} a=${r.a.toString(16)} b=${r.b.toString(16)}: qemu ${qemu[k]} vmrr ${ours[k]}`);
  });
  if (process.env.FPU_RAND80_REPORT) {
    for (const [op, t] of tally) console.log(`${op.padEnd(8)} ${t.n} identical ${t.identical} status-only ${t.statusBits} departures ${t.departures} libm-ulp ${t.libm}`);
  }

  it('runs to the end: the same number of lines as QEMU, ending in DONE all passed', () => {
    expect(recs.length).toBe(OPS.length * 200);
    expect(ours.length).toBe(qemu.length);
    expect(ours[recs.length]).toBe('DONE all passed');
  });

  it('every result and status word equals QEMU\'s but for its documented departures', () => {
    expect(unexplained.slice(0, 12).join('\n')).toBe('');
  });

  it('per operation, at least the measured number of records has results equal to QEMU\'s outside the departures', () => {
    const low: string[] = [];
    for (const [op, t] of tally) {
      if (t.identical + t.statusBits < VALUE_FLOOR[op]) low.push(`${op}: ${t.identical + t.statusBits} < ${VALUE_FLOOR[op]}`);
    }
    expect(low).toEqual([]);
  });
});

/**
 * Records (of 200 per operation) whose results are bit-identical to QEMU's
 * with the status word equal but for the bits QEMU does not model, in the
 * measured run; the rest are QEMU departures (fixtures/README.md).
 */
const VALUE_FLOOR: Record<string, number> = {
  fadd: 200, fsub: 200, fsubr: 200, fmul: 200, fdiv: 200, fdivr: 200, fsqrt: 200, frndint: 175, fscale: 200, fxtract: 200,
  fprem: 156, fprem1: 147, fcom: 200, fucom: 200, fxam: 200, ftst: 200, fst32: 200, fst64: 200, fist16: 200, fist32: 200,
  fistp64: 200, fbstp: 200, f2xm1: 200, fyl2x: 194, fyl2xp1: 186, fpatan: 190, fsin: 161, fcos: 151, fptan: 157, fsincos: 151,
  fld64: 174, fld32: 200, fiadd32: 181, fmul64: 181,
};
