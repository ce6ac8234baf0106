// Source text for operands in compiled code: guest registers are JS locals
// r0..r7 (loaded at entry, stored at every exit), memory goes through the
// segment check and the TLB's way-0 probe inline (the same compares as
// mem-access.ts), and every miss or segment corner calls the same helper the
// interpreter calls (rd*, wr*, lrd*, lwr*, wlin), setting `sl` so the block
// checks afterwards whether that slow path dropped code or asked the loop to
// stop.

import type { Inst } from '../inst.js';

export interface Emit {
  /** Registers and segments the block touches (loaded at entry). */
  regs: Set<number>;
  segs: Set<number>;
}

const hex = (b: number): string => (b === 8 ? '0xff' : b === 16 ? '0xffff' : '-1');

/** Value of register r at `bits` (8: AL..BH encoding; unsigned for 8/16 as regs8/regs16 give). */
export function regGet(e: Emit, bits: number, r: number): string {
  if (bits === 32) { e.regs.add(r); return `r${r}`; }
  if (bits === 16) { e.regs.add(r); return `(r${r} & 0xffff)`; }
  if (r < 4) { e.regs.add(r); return `(r${r} & 0xff)`; }
  e.regs.add(r - 4);
  return `((r${r - 4} >> 8) & 0xff)`;
}

/** Statement storing `v` into register r at `bits` (the other bits kept). */
export function regSet(e: Emit, bits: number, r: number, v: string): string {
  if (bits === 32) { e.regs.add(r); return `r${r} = (${v}) | 0;`; }
  if (bits === 16) { e.regs.add(r); return `r${r} = (r${r} & -65536) | ((${v}) & 0xffff);`; }
  if (r < 4) { e.regs.add(r); return `r${r} = (r${r} & -256) | ((${v}) & 0xff);`; }
  e.regs.add(r - 4);
  return `r${r - 4} = (r${r - 4} & -65281) | (((${v}) & 0xff) << 8);`;
}

/** Effective address (offset in the segment, unsigned) of the ModRM memory operand. */
export function eaExpr(e: Emit, i: Inst): string {
  const parts: string[] = [];
  if (i.a32) {
    if (i.base >= 0) { e.regs.add(i.base); parts.push(`r${i.base}`); }
    if (i.index >= 0) { e.regs.add(i.index); parts.push(i.scale ? `(r${i.index} << ${i.scale})` : `r${i.index}`); }
    if (i.disp !== 0 || parts.length === 0) parts.push(String(i.disp | 0));
    return `((${parts.join(' + ')}) >>> 0)`;
  }
  if (i.base >= 0) { e.regs.add(i.base >> 1); parts.push(`(r${i.base >> 1} & 0xffff)`); }
  if (i.index >= 0) { e.regs.add(i.index >> 1); parts.push(`(r${i.index >> 1} & 0xffff)`); }
  if (i.disp !== 0 || parts.length === 0) parts.push(String(i.disp | 0));
  return `((${parts.join(' + ')}) & 0xffff)`;
}

/** Read of physical address p (TLB hit) at `bits`, unaligned forms by bytes as mem-access.ts does. */
function physRead(bits: number): string {
  if (bits === 8) return 'M8[p]';
  if (bits === 16) return '((p & 1) === 0 ? M16[p >>> 1] : (M8[p] | (M8[p + 1] << 8)))';
  return '((p & 3) === 0 ? M32[p >>> 2] : (M8[p] | (M8[p + 1] << 8) | (M8[p + 2] << 16) | (M8[p + 3] << 24)))';
}
function physWrite(bits: number, v: string): string {
  if (bits === 8) return `M8[p] = ${v};`;
  if (bits === 16) return `if ((p & 1) === 0) M16[p >>> 1] = ${v}; else { M8[p] = ${v}; M8[p + 1] = ${v} >> 8; }`;
  return `if ((p & 3) === 0) M32[p >>> 2] = ${v}; else { M8[p] = ${v}; M8[p + 1] = ${v} >> 8; M8[p + 2] = ${v} >> 16; M8[p + 3] = ${v} >> 24; }`;
}
/** Page-offset bound for an access of `bits` that stays in one page. */
const inPage = (bits: number): string => (bits === 8 ? '' : ` && (lin & 4095) <= ${4096 - bits / 8}`);
const last = (bits: number): string => (bits === 8 ? '' : ` + ${bits / 8 - 1}`);

/** Statements declaring `dst` as the value read from seg:off at `bits`. */
export function memRead(e: Emit, bits: number, seg: number, off: string, dst: string): string {
  e.segs.add(seg);
  return `let ${dst}; { const o = ${off};
if (o${last(bits)} > rl${seg}) { ${dst} = rd${bits}(cpu, ${seg}, o); sl = 1; }
else { const lin = (sb${seg} + o) | 0; const x = ((lin >>> 12) & TM) << TS;
if ((TT[x] & RC) === (lin & -4096)${inPage(bits)}) { const p = TP[x] | (lin & 4095); ${dst} = ${physRead(bits)}; }
else { ${dst} = lrd${bits}(cpu, lin); sl = 1; } } }`;
}

/** Statements writing the value of expression `v` (evaluated once) to seg:off at `bits`. */
export function memWrite(e: Emit, bits: number, seg: number, off: string, v: string): string {
  e.segs.add(seg);
  return `{ const o = ${off}; const v = ${v};
if (o${last(bits)} > wl${seg}) { wr${bits}(cpu, ${seg}, o, v); sl = 1; }
else { const lin = (sb${seg} + o) | 0; const x = ((lin >>> 12) & TM) << TS;
if ((TT[x] & WC) === (lin & -4096)${inPage(bits)}) { const p = TP[x] | (lin & 4095); ${physWrite(bits, 'v')} }
else { lwr${bits}(cpu, lin, v); sl = 1; } } }`;
}

/**
 * Read-modify-write of seg:off: the operand is checked for writing first
 * (as rmwLin), read into `a`, `body` computes `r`, and `r` is written back
 * (unless `store` is false). Returns the statements.
 */
export function memRmw(e: Emit, bits: number, seg: number, off: string, body: string, store = true): string {
  e.segs.add(seg);
  const n = bits / 8;
  return `{ const o = ${off}; let lin, p = -1;
if (o${last(bits)} > wl${seg}) { lin = wlin(cpu, ${seg}, o, ${n}); sl = 1; }
else { lin = (sb${seg} + o) | 0; const x = ((lin >>> 12) & TM) << TS;
if ((TT[x] & WC) === (lin & -4096)${inPage(bits)}) p = TP[x] | (lin & 4095); else { lin = wlin(cpu, ${seg}, o, ${n}); sl = 1; } }
const a = p >= 0 ? ${physRead(bits)} : lrd${bits}(cpu, lin);
${body}
${store ? `if (p >= 0) { ${physWrite(bits, 'r')} } else lwr${bits}(cpu, lin, r);` : ''} }`;
}

export { hex };
