// Inline code for the common data instructions, written from the same
// operations as their handlers (alu.ts, move.ts, shift.ts, muldiv.ts,
// stack-ops.ts): ALU ops, TEST, INC/DEC, NOT/NEG, MOV/MOVZX/MOVSX/LEA,
// XCHG, CBW/CWD, PUSH/POP, SETcc/CMOVcc (register forms), shifts by an
// immediate, IMUL. `emitData` returns null for anything else; the compiler
// then calls the instruction's handler with the registers written back.

import { ARITH, CF, OF } from '../flags.js';
import { type Ctx, carry, cond, flushFlags, imm, setIncDec, setLazy, vbits } from './ctx.js';
import { L_ADC, L_ADD, L_DEC, L_INC, L_LOGIC, L_SBB, L_SUB, SZP, kindOf } from './lazy.js';
import { eaExpr, memRead, memRmw, memWrite, regGet, regSet } from './operands.js';

const ADC = 2, SBB = 3, CMP = 7;
const LOGIC = new Set([1, 4, 6]);
const SIGN = (b: number): number => 32 - b;

/** `const r = a OP b` and its lazy flags (ALU op 0-7 = ADD OR ADC SBB AND SUB XOR CMP). */
function aluBody(c: Ctx, op: number, bits: number): string {
  if (op === ADC || op === SBB) {
    const x = carry(c);
    const add = op === ADC;
    const r = `const cy = ${x.e}; const r = (a ${add ? '+' : '-'} b ${add ? '+' : '-'} cy) | 0;`;
    if ((c.live & ARITH) === 0) return `${x.pre} ${r}`;
    c.fk = -1;
    const kc = kindOf(add ? L_ADC : L_SBB, bits), k0 = kindOf(add ? L_ADD : L_SUB, bits);
    return `${x.pre} ${r} Lk = cy ? ${kc} : ${k0}; Ld = a; Ls = b; Lr = r;`;
  }
  const expr = op === 0 ? '(a + b) | 0' : op === 1 ? 'a | b' : op === 4 ? 'a & b' : op === 6 ? 'a ^ b' : '(a - b) | 0';
  const kind = op === 0 ? L_ADD : LOGIC.has(op) ? L_LOGIC : L_SUB;
  return `const r = ${expr}; ${setLazy(c, kind, bits, 'a', 'b', 'r')}`;
}

/** E op= src (src an expression over registers or a constant). */
function aluE(c: Ctx, op: number, bits: number, src: string, test = false): string {
  const i = c.i;
  const store = op !== CMP && !test;
  if (i.mod === 3) {
    const body = `const a = ${regGet(c, bits, i.rm)}, b = ${src}; ${aluBody(c, op, bits)}`;
    return `{ ${body} ${store ? regSet(c, bits, i.rm, 'r') : ''} }`;
  }
  if (!store) {
    return `{ const b = ${src}; ${memRead(c, bits, i.seg, eaExpr(c, i), 'a')} ${aluBody(c, op, bits)} }`;
  }
  return `{ const b = ${src}; ${memRmw(c, bits, i.seg, eaExpr(c, i), aluBody(c, op, bits))} }`;
}

/** Read the ModRM operand into `dst`. */
function readE(c: Ctx, bits: number, dst: string): string {
  const i = c.i;
  if (i.mod === 3) return `const ${dst} = ${regGet(c, bits, i.rm)};`;
  return memRead(c, bits, i.seg, eaExpr(c, i), dst);
}

function writeE(c: Ctx, bits: number, v: string): string {
  const i = c.i;
  if (i.mod === 3) return regSet(c, bits, i.rm, v);
  return memWrite(c, bits, i.seg, eaExpr(c, i), v);
}

/** A register or memory operand updated in place: `body` turns `a` into `r`. */
function rmwE(c: Ctx, bits: number, body: (c: Ctx) => string): string {
  const i = c.i;
  if (i.mod === 3) return `{ const a = ${regGet(c, bits, i.rm)}; ${body(c)} ${regSet(c, bits, i.rm, 'r')} }`;
  return memRmw(c, bits, i.seg, eaExpr(c, i), body(c));
}

export function stackOff(c: Ctx, delta: number): string {
  c.regs.add(4);
  if (c.ssB) return delta === 0 ? '(r4 >>> 0)' : `((r4 + ${delta}) >>> 0)`;
  return delta === 0 ? '(r4 & 0xffff)' : `(((r4 & 0xffff) + ${delta}) & 0xffff)`;
}
export function setSP(c: Ctx, v: string): string {
  return c.ssB ? `r4 = (${v}) | 0;` : `r4 = (r4 & -65536) | ((${v}) & 0xffff);`;
}

/** PUSH v at `bits` (the write first, then ESP: a faulting push leaves ESP unchanged). */
export function push(c: Ctx, bits: number, v: string): string {
  return `{ const so = ${stackOff(c, -bits / 8)}; ${memWrite(c, bits, 2, 'so', v)} ${setSP(c, 'so')} }`;
}

/** POP into `dst` (declared here): read, then move ESP. */
export function pop(c: Ctx, bits: number, dst: string): string {
  return `const so = ${stackOff(c, 0)}; ${memRead(c, bits, 2, 'so', dst)} ${setSP(c, `so + ${bits / 8}`)}`;
}

function shiftImm(c: Ctx, bits: number, count: number): string | null {
  const op = c.i.reg, msb = bits - 1;
  if (count === 0) return null;
  const mask = bits === 32 ? -1 : (1 << bits) - 1;
  let body: string;
  const szp = (cf: string, of: string): string =>
    (c.live & ARITH) === 0 ? '' : ((c.fk = kindOf(SZP, bits)), `Lk = ${c.fk}; Ld = (${cf}) | ((${of}) << 11); Lr = r;`);
  if (op === 4 || op === 6) {
    const cf = count <= bits ? `((a >>> ${bits - count}) & 1)` : '0';
    body = `const r = (a << ${count}) & ${mask}; ${szp(cf, `((r >>> ${msb}) & 1) ^ ${cf}`)}`;
  } else if (op === 5) {
    const cf = count > bits ? '0' : `((a >>> ${count - 1}) & 1)`;
    body = `const r = (a >>> ${count}) & ${mask}; ${szp(cf, `(a >>> ${msb}) & 1`)}`;
  } else if (op === 7) {
    const sv = bits === 32 ? '(a | 0)' : `((a << ${SIGN(bits)}) >> ${SIGN(bits)})`;
    body = `const sv = ${sv}; const r = (sv >> ${Math.min(count, 31)}) & ${mask}; ${szp(`(sv >> ${Math.min(count - 1, 31)}) & 1`, '0')}`;
  } else if ((op === 0 || op === 1) && bits === 32) {
    const rot = op === 0 ? `(a << ${count}) | (a >>> ${32 - count})` : `(a >>> ${count}) | (a << ${32 - count})`;
    const cf = op === 0 ? '(r & 1)' : '((r >>> 31) & 1)';
    const of = op === 0 ? '(((r >>> 31) & 1) ^ cf)' : '(cf ^ ((r >>> 30) & 1))';
    const fl = (c.live & (CF | OF)) === 0 ? ''
      : `${flushFlags(c)} materialize(cpu); { const cf = ${cf}; cpu.flags = (cpu.flags & ${~(CF | OF)}) | cf | (${of} << 11); }`;
    body = `const r = (${rot}) | 0; ${fl}`;
  } else return null;
  return rmwE(c, bits, () => body);
}

function imul(c: Ctx, bits: number, bExpr: string | null): string {
  const i = c.i;
  const flags = (lo: string, ov: string): string =>
    (c.live & ARITH) === 0 ? '' : ((c.fk = kindOf(SZP, bits)), `Lk = ${c.fk}; Ld = (${ov}) ? ${CF | OF} : 0; Lr = ${lo};`);
  const src = readE(c, bits, 'e');
  const [a, b] = bExpr === null ? [regGet(c, bits, i.reg), 'e'] : ['e', bExpr];
  if (bits === 32) {
    return `{ ${src} const a = ${a} | 0, b = ${b} | 0; const lo = Math.imul(a, b); ${flags('lo', 'a * b !== lo')} ${regSet(c, 32, i.reg, 'lo')} }`;
  }
  return `{ ${src} const r = ((${a} << 16) >> 16) * ((${b} << 16) >> 16); ${flags('r', 'r !== ((r << 16) >> 16)')} ${regSet(c, 16, i.reg, 'r')} }`;
}

/** Inline code for instruction c.i, or null. */
export function emitData(c: Ctx): string | null {
  const i = c.i, op = i.op;
  const v = vbits(i);
  if (op < 0x40 && (op & 7) < 6) {
    const alu = op >> 3, f = op & 7;
    const bits = f & 1 ? v : 8;
    if (f < 2) return aluE(c, alu, bits, regGet(c, bits, i.reg));
    if (f < 4) {
      const store = alu !== CMP ? regSet(c, bits, i.reg, 'r') : '';
      return `{ ${readE(c, bits, 'b')} const a = ${regGet(c, bits, i.reg)}; ${aluBody(c, alu, bits)} ${store} }`;
    }
    const store = alu !== CMP ? regSet(c, bits, 0, 'r') : '';
    return `{ const a = ${regGet(c, bits, 0)}, b = ${imm(i.imm, bits)}; ${aluBody(c, alu, bits)} ${store} }`;
  }
  switch (op) {
    case 0x80: case 0x82: return aluE(c, i.reg, 8, imm(i.imm, 8));
    case 0x81: case 0x83: return aluE(c, i.reg, v, imm(i.imm, v));
    case 0x84: case 0x85: { const b = op & 1 ? v : 8; return aluE(c, 4, b, regGet(c, b, i.reg), true); }
    case 0xa8: case 0xa9: {
      const b = op & 1 ? v : 8;
      return `{ const a = ${regGet(c, b, 0)}, b = ${imm(i.imm, b)}; ${aluBody(c, 4, b)} }`;
    }
    case 0xf6: case 0xf7: {
      const b = op & 1 ? v : 8;
      if (i.reg === 0 || i.reg === 1) return aluE(c, 4, b, imm(i.imm, b), true);
      if (i.reg === 2) return rmwE(c, b, () => 'const r = ~a;');
      if (i.reg === 3) return rmwE(c, b, (cc) => `const r = (0 - a) | 0; ${setLazy(cc, L_SUB, b, '0', 'a', 'r')}`);
      return null;
    }
    case 0xfe: case 0xff: {
      if (i.reg > 1) return null;
      const b = op === 0xfe ? 8 : v, dec = i.reg === 1;
      return rmwE(c, b, (cc) => `const r = (a ${dec ? '-' : '+'} 1) | 0; ${setIncDec(cc, dec ? L_DEC : L_INC, b, 'a', 'r')}`);
    }
    case 0x88: case 0x89: { const b = op & 1 ? v : 8; return writeE(c, b, regGet(c, b, i.reg)); }
    case 0x8a: case 0x8b: { const b = op & 1 ? v : 8; return `{ ${readE(c, b, 'e')} ${regSet(c, b, i.reg, 'e')} }`; }
    case 0xc6: case 0xc7: { if (i.reg !== 0) return null; /* /1-/7: #UD, the handler raises it */ const b = op & 1 ? v : 8; return writeE(c, b, imm(i.imm, b)); }
    case 0x8d: return i.mod === 3 ? null : regSet(c, v, i.reg, eaExpr(c, i));
    case 0x1b6: case 0x1b7: case 0x1be: case 0x1bf: {
      const sb = op & 1 ? 16 : 8;
      const sign = op >= 0x1be;
      const val = sign ? `((e << ${SIGN(sb)}) >> ${SIGN(sb)})` : 'e';
      return `{ ${readE(c, sb, 'e')} ${regSet(c, v, i.reg, val)} }`;
    }
    case 0x98: return v === 32 ? regSet(c, 32, 0, `(${regGet(c, 16, 0)} << 16) >> 16`) : regSet(c, 16, 0, `(${regGet(c, 8, 0)} << 24) >> 24`);
    case 0x99: return v === 32 ? regSet(c, 32, 2, `${regGet(c, 32, 0)} >> 31`) : regSet(c, 16, 2, `(${regGet(c, 16, 0)} & 0x8000) ? 0xffff : 0`);
    case 0x90: return ''; // NOP, PAUSE
    case 0x86: case 0x87: {
      if (i.mod !== 3) return null;
      const b = op & 1 ? v : 8;
      return `{ const x = ${regGet(c, b, i.rm)}, y = ${regGet(c, b, i.reg)}; ${regSet(c, b, i.reg, 'x')} ${regSet(c, b, i.rm, 'y')} }`;
    }
    case 0x68: case 0x6a: return push(c, v, imm(i.imm, v));
    case 0xc0: case 0xc1: case 0xd0: case 0xd1: {
      const b = op & 1 ? v : 8;
      return shiftImm(c, b, op >= 0xd0 ? 1 : i.imm & 31);
    }
    case 0x1af: return imul(c, v, null);
    case 0x69: case 0x6b: return imul(c, v, imm(i.imm, v));
    default: break;
  }
  if (op >= 0x91 && op <= 0x97) {
    const r = op & 7;
    return `{ const x = ${regGet(c, v, 0)}, y = ${regGet(c, v, r)}; ${regSet(c, v, 0, 'y')} ${regSet(c, v, r, 'x')} }`;
  }
  if (op >= 0x40 && op <= 0x4f) {
    const r = op & 7, dec = op >= 0x48;
    return `{ const a = ${regGet(c, v, r)}; const r = (a ${dec ? '-' : '+'} 1) | 0; ${setIncDec(c, dec ? L_DEC : L_INC, v, 'a', 'r')} ${regSet(c, v, r, 'r')} }`;
  }
  if (op >= 0x50 && op <= 0x57) return push(c, v, regGet(c, v, op & 7));
  if (op >= 0x58 && op <= 0x5f) return `{ ${pop(c, v, 'e')} ${regSet(c, v, op & 7, 'e')} }`;
  if (op >= 0xb0 && op <= 0xb7) return regSet(c, 8, op & 7, imm(i.imm, 8));
  if (op >= 0xb8 && op <= 0xbf) return regSet(c, v, op & 7, imm(i.imm, v));
  if (op >= 0x190 && op <= 0x19f) {
    const x = cond(c, op & 15);
    return `${x.pre} ${writeE(c, 8, `(${x.e}) ? 1 : 0`)}`;
  }
  if (op >= 0x140 && op <= 0x14f) {
    const src = readE(c, v, 'e');
    const x = cond(c, op & 15);
    return `{ ${src} ${x.pre} if (${x.e}) { ${regSet(c, v, i.reg, 'e')} } }`;
  }
  return null;
}
