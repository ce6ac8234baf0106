// Specialized handlers for the hottest instruction forms. The general
// handlers (alu.ts, control.ts, move.ts) stay the reference; these replace
// them for one ModRM form each, chosen at decode time, with the operation,
// size and operand places fixed in the generated code so V8 compiles each
// to straight-line code (a closure over `op` would share one compiled body
// and keep its switch). Each must behave exactly as the general handler.

import type { Handler } from '../inst.js';
import { HandlerTable } from '../handler-table.js';
import { ARITH, ZF, SF, CF, L_SUB, L_LOGIC, testCC } from '../flags.js';
import { gp } from '../faults.js';
import { rd8, rd16, rd32, wr8, wr16, wr32 } from '../mem-access.js';
import { R8, rmwLin, lrd8, lrd16, lrd32, lwr8, lwr16, lwr32 } from './operands.js';

/** Fast-path overrides of alu/move/control rows (assembled by dispatch.ts). */
export const FAST_HANDLERS = new HandlerTable('fast');
const { defFast, defForm } = FAST_HANDLERS;

const LIBS = { R8, ARITH, rmwLin, rd8, rd16, rd32, wr8, wr16, wr32, lrd8, lrd16, lrd32, lwr8, lwr16, lwr32, gp, testCC };
const LIB_NAMES = Object.keys(LIBS);
const LIB_VALUES = Object.values(LIBS);

const SOURCES = new WeakMap<Handler, string>();

/** Compile `(cpu, i) => { body }` with the helpers above in scope. */
function gen(body: string): Handler {
  const h = compileWithLibs(`return function (cpu, i) {\n${body}\n};`) as Handler;
  SOURCES.set(h, body);
  return h;
}

/** Run generated source (a function body returning a value) with the hot-path helpers in scope. */
export function compileWithLibs(source: string, extra: Record<string, unknown> = {}): unknown {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function(...LIB_NAMES, ...Object.keys(extra), source)(...LIB_VALUES, ...Object.values(extra));
}

/** The body of a generated handler (it reads the instruction as `i`), for the block compiler to inline. */
export function handlerSource(h: Handler): string | undefined {
  return SOURCES.get(h);
}

const REG: Record<number, (x: string) => string> = {
  8: (x) => `cpu.regs8[R8[${x}]]`,
  16: (x) => `cpu.regs16[(${x}) << 1]`,
  32: (x) => `cpu.regs[${x}]`,
};
const IMM: Record<number, string> = { 8: 'i.imm & 0xff', 16: 'i.imm & 0xffff', 32: 'i.imm' };

// ADD OR - - AND SUB XOR CMP (ADC/SBB read CF and keep the general handler).
const OPS: Record<number, { expr: string; kind: number }> = {
  0: { expr: '(a + b) | 0', kind: 0 },
  1: { expr: 'a | b', kind: L_LOGIC },
  4: { expr: 'a & b', kind: L_LOGIC },
  5: { expr: '(a - b) | 0', kind: L_SUB },
  6: { expr: 'a ^ b', kind: L_LOGIC },
  7: { expr: '(a - b) | 0', kind: L_SUB },
};
const CMP = 7;

function flagsCode(op: number, bits: number): string {
  return `const r = ${OPS[op].expr};
cpu.lop = ${OPS[op].kind}; cpu.ldst = a; cpu.lsrc = b; cpu.lres = r; cpu.lbits = ${bits}; cpu.lazy = ARITH;`;
}

/** dst op= src, where dst is the ModRM r/m operand (register or memory) and src an expression. */
function aluToE(op: number, bits: number, form: 'reg' | 'mem', src: string): Handler {
  const store = op !== CMP;
  if (form === 'reg') {
    const d = REG[bits]('i.rm');
    return gen(`const a = ${d}, b = ${src};\n${flagsCode(op, bits)}${store ? `\n${d} = r;` : ''}`);
  }
  if (!store) return gen(`const a = rd${bits}(cpu, i.seg, i.ea(cpu, i)), b = ${src};\n${flagsCode(op, bits)}`);
  return gen(`const b = ${src}; const lin = rmwLin(cpu, i, ${bits >> 3}); const a = lrd${bits}(cpu, lin);
${flagsCode(op, bits)}\nlwr${bits}(cpu, lin, r);`);
}

/** G op= E. */
function aluToG(op: number, bits: number, form: 'reg' | 'mem'): Handler {
  const d = REG[bits]('i.reg');
  const src = form === 'reg' ? REG[bits]('i.rm') : `rd${bits}(cpu, i.seg, i.ea(cpu, i))`;
  return gen(`const a = ${d}, b = ${src};\n${flagsCode(op, bits)}${op !== CMP ? `\n${d} = r;` : ''}`);
}

for (const opS of Object.keys(OPS)) {
  const op = Number(opS);
  const b = op << 3;
  for (const form of ['reg', 'mem'] as const) {
    defForm(form, b, aluToE(op, 8, form, REG[8]('i.reg')), aluToE(op, 8, form, REG[8]('i.reg')));
    defForm(form, b + 1, aluToE(op, 16, form, REG[16]('i.reg')), aluToE(op, 32, form, REG[32]('i.reg')));
    defForm(form, b + 2, aluToG(op, 8, form), aluToG(op, 8, form));
    defForm(form, b + 3, aluToG(op, 16, form), aluToG(op, 32, form));
    defForm(form, 0x80, aluToE(op, 8, form, IMM[8]), aluToE(op, 8, form, IMM[8]), op);
    defForm(form, 0x81, aluToE(op, 16, form, IMM[16]), aluToE(op, 32, form, IMM[32]), op);
    defForm(form, 0x83, aluToE(op, 16, form, IMM[16]), aluToE(op, 32, form, IMM[32]), op);
  }
}

// Accumulator, immediate: AL/AX/EAX op= imm.
for (const opS of Object.keys(OPS)) {
  const op = Number(opS);
  const acc = (bits: number): Handler =>
    gen(`const a = ${REG[bits]('0')}, b = ${IMM[bits]};\n${flagsCode(op, bits)}${op !== CMP ? `\n${REG[bits]('0')} = r;` : ''}`);
  defFast((op << 3) + 4, acc(8), acc(8));
  defFast((op << 3) + 5, acc(16), acc(32));
}

// MOV E, imm (memory form), MOVZX G, E.
defForm('mem', 0xc6, gen('wr8(cpu, i.seg, i.ea(cpu, i), i.imm);'), gen('wr8(cpu, i.seg, i.ea(cpu, i), i.imm);'), 0);
defForm('mem', 0xc7, gen('wr16(cpu, i.seg, i.ea(cpu, i), i.imm);'), gen('wr32(cpu, i.seg, i.ea(cpu, i), i.imm);'), 0);
for (const form of ['reg', 'mem'] as const) {
  const src8 = form === 'reg' ? REG[8]('i.rm') : 'rd8(cpu, i.seg, i.ea(cpu, i))';
  const src16 = form === 'reg' ? REG[16]('i.rm') : 'rd16(cpu, i.seg, i.ea(cpu, i))';
  defForm(form, 0x1b6, gen(`${REG[16]('i.reg')} = ${src8};`), gen(`${REG[32]('i.reg')} = ${src8};`));
  defForm(form, 0x1b7, gen(`${REG[16]('i.reg')} = ${src16};`), gen(`${REG[32]('i.reg')} = ${src16};`));
}

// TEST E,G and MOV E,G / G,E.
for (const form of ['reg', 'mem'] as const) {
  const e = (bits: number): string => (form === 'reg' ? REG[bits]('i.rm') : `rd${bits}(cpu, i.seg, i.ea(cpu, i))`);
  const test = (bits: number): Handler =>
    gen(`const a = ${e(bits)}, b = ${REG[bits]('i.reg')};\n${flagsCode(4, bits)}`);
  defForm(form, 0x84, test(8), test(8));
  defForm(form, 0x85, test(16), test(32));
  const movToE = (bits: number): Handler =>
    form === 'reg'
      ? gen(`${REG[bits]('i.rm')} = ${REG[bits]('i.reg')};`)
      : gen(`wr${bits}(cpu, i.seg, i.ea(cpu, i), ${REG[bits]('i.reg')});`);
  defForm(form, 0x88, movToE(8), movToE(8));
  defForm(form, 0x89, movToE(16), movToE(32));
  const movToG = (bits: number): Handler => gen(`${REG[bits]('i.reg')} = ${e(bits)};`);
  defForm(form, 0x8a, movToG(8), movToG(8));
  defForm(form, 0x8b, movToG(16), movToG(32));
}

// Jcc: after a 32-bit CMP/SUB or logic op whose flags are all still lazy,
// the condition follows from the operands without materializing a flag.
const SUB_COND: readonly string[] = [
  '', '', // O, NO: general path
  '(cpu.ldst >>> 0) < (cpu.lsrc >>> 0)', // B
  '', // AE = !B (handled by the negation below)
  'cpu.lres === 0', '', // E
  '(cpu.ldst >>> 0) <= (cpu.lsrc >>> 0)', '', // BE
  'cpu.lres < 0', '', // S
  '', '', // P: general
  '(cpu.ldst | 0) < (cpu.lsrc | 0)', '', // L
  '(cpu.ldst | 0) <= (cpu.lsrc | 0)', '', // LE
];
const LOGIC_COND: readonly string[] = [
  'false', '', 'false', '', 'cpu.lres === 0', '', 'cpu.lres === 0', '',
  'cpu.lres < 0', '', '', '', 'cpu.lres < 0', '', 'cpu.lres <= 0', '',
];

function condCode(cc: number): string {
  const base = cc & ~1;
  const neg = (cc & 1) !== 0;
  const sub = SUB_COND[base], logic = LOGIC_COND[base];
  const wrap = (x: string): string => (neg ? `!(${x})` : `(${x})`);
  const lines: string[] = [];
  if (sub || logic) {
    lines.push(`if (cpu.lazy === ARITH && cpu.lbits === 32) {`);
    if (sub) lines.push(`  if (cpu.lop === ${L_SUB}) { c = ${wrap(sub)}; break cond; }`);
    if (logic) lines.push(`  if (cpu.lop === ${L_LOGIC}) { c = ${wrap(logic)}; break cond; }`);
    lines.push('}');
  }
  if (base === 4) {
    // E/NE after INC/DEC too (ZF lazy, CF not).
    lines.push(`if ((cpu.lazy & ${ZF}) && cpu.lbits === 32) { c = ${wrap('cpu.lres === 0')}; break cond; }`);
  }
  if (base === 8) lines.push(`if ((cpu.lazy & ${SF}) && cpu.lbits === 32) { c = ${wrap('cpu.lres < 0')}; break cond; }`);
  if (base === 2) lines.push(`if (!(cpu.lazy & ${CF})) { c = ${wrap(`(cpu.flags & ${CF}) !== 0`)}; break cond; }`);
  lines.push(`c = testCC(cpu, ${cc});`);
  return `let c;\ncond: {\n${lines.join('\n')}\n}`;
}

for (let cc = 0; cc < 16; cc++) {
  const body = (o32: boolean): string => `${condCode(cc)}
if (c) {
  const t = (cpu.eip + i.imm) ${o32 ? '>>> 0' : '& 0xffff'};
  if (t > cpu.segLimit[1]) gp(cpu, 0);
  cpu.eip = t;
}`;
  const h16 = gen(body(false)), h32 = gen(body(true));
  defFast(0x70 + cc, h16, h32);
  defFast(0x180 + cc, h16, h32);
}

/** For tests: the generated source of the Jcc condition. */
export function jccConditionSource(cc: number): string {
  return condCode(cc);
}

