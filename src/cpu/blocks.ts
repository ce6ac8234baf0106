// Compiled straight-line blocks. When a decoded instruction has started
// execution often enough, the run loop asks for a block: the instructions
// that follow it in the same page, up to the first one that could change
// what the loop must watch (mode, interrupts, icount readers, REP strings),
// compiled into one JS function. Generated handler bodies (fast-paths.ts)
// are inlined with the instruction's fields as constants; other handlers
// are called. A block runs only when it fits entirely before stopAt, so
// exact-icount stops (replay) never land inside one; a fault inside one
// accounts for the instructions retired before it and rethrows, and a write
// that invalidates decoded code (self-modifying code) ends it at once.

import type { Cpu } from './cpu.js';
import type { Handler, Inst } from './inst.js';
import { compileWithLibs, handlerSource } from './ops/fast-paths.js';
import { F_BLOCK, F_ENDS_BLOCK, F_IMPLICIT_WRITE } from './op-facts.js';
import { opRow } from './op-rows.js';

export type BlockFn = (cpu: Cpu) => void;

const MAX_BLOCK = 48;

/** 0: not in a block, 1: inside one, 2: ends one (the row's facts; REP strings and LOCK stay out). */
function kind(i: Inst): 0 | 1 | 2 {
  if (i.lock || i.len === 0) return 0;
  const f = opRow(i.op, i.reg).facts;
  if (f & F_BLOCK) return i.op >= 0xa4 && i.op <= 0xaf && i.rep !== 0 ? 0 : 1;
  return f & F_ENDS_BLOCK ? 2 : 0;
}

/** Memory operands through ModRM, or the string/stack forms: these may write RAM. */
function mayWrite(i: Inst): boolean {
  return i.mod !== 3 || (opRow(i.op, i.reg).facts & F_IMPLICIT_WRITE) !== 0;
}

/** Inline effective address for 32-bit addressing; null to call the instruction's ea function. */
function eaExpr(i: Inst): string | null {
  if (!i.a32 || i.mod === 3) return null;
  const parts: string[] = [];
  if (i.base >= 0) parts.push(`cpu.regs[${i.base}]`);
  if (i.index >= 0) parts.push(i.scale ? `(cpu.regs[${i.index}] << ${i.scale})` : `cpu.regs[${i.index}]`);
  if (i.disp !== 0 || parts.length === 0) parts.push(String(i.disp | 0));
  return `((${parts.join(' + ')}) >>> 0)`;
}

/** The handler body with this instruction's fields as constants. */
function specialize(body: string, i: Inst, k: number): string {
  const ea = eaExpr(i) ?? `I[${k}].ea(cpu, I[${k}])`;
  return body
    .replace(/i\.ea\(cpu, i\)/g, ea)
    .replace(/\bi\.rm\b/g, String(i.rm))
    .replace(/\bi\.reg\b/g, String(i.reg))
    .replace(/\bi\.seg\b/g, String(i.seg))
    .replace(/\bi\.imm\b/g, `(${i.imm | 0})`)
    .replace(/\bi\b(?!\w)/g, `I[${k}]`);
}

/**
 * Compile the block starting at `insts[off]` (decoded instructions of the
 * current code page). Returns its length, or 0 when no useful block starts here.
 */
export function compileBlock(insts: readonly (Inst | undefined)[], off: number): { fn: BlockFn; len: number } | null {
  const members: Inst[] = [];
  let o = off;
  while (members.length < MAX_BLOCK && o < 4096) {
    const i = insts[o];
    if (i === undefined || o + i.len > 4096) break;
    const k = kind(i);
    if (k === 0) break;
    members.push(i);
    o += i.len;
    if (k === 2) break;
  }
  if (members.length < 2) return null;
  const n = members.length;
  // A block whose last instruction may jump back to its start loops in place while it fits before stopAt.
  const last = members[n - 1];
  const loops = (opRow(last.op, last.reg).facts & F_ENDS_BLOCK) !== 0 && !(last.op === 0xff);
  const lines: string[] = ['const e0 = cpu.eip;', 'let k = 0;', 'try {', loops ? 'for (;;) {' : '{'];
  let d = 0;
  members.forEach((i, k) => {
    lines.push(`cpu.prevEip = e0 + ${d}; cpu.eip = e0 + ${d + i.len};`);
    const src = handlerSource(i.fn);
    lines.push(src !== undefined ? `{\n${specialize(src, i, k)}\n}` : `H[${k}](cpu, I[${k}]);`);
    lines.push(`k = ${k + 1};`);
    // A write that dropped decoded code (possibly this block's) ends the block here.
    if (mayWrite(i) && k < n - 1) lines.push(`if (cpu.fetchLin === 1) { cpu.icount += ${k + 1}; return; }`);
    d += i.len;
  });
  lines.push(`cpu.icount += ${n}; k = 0;`);
  if (loops) lines.push(`if (cpu.eip !== e0 || cpu.icount + ${n} > cpu.stopAt || cpu.fetchLin === 1) return;`);
  lines.push('}', '} catch (e) { cpu.icount += k; throw e; }');
  const H: Handler[] = members.map((i) => i.fn);
  const fn = compileWithLibs(`return function block(cpu) {\n${lines.join('\n')}\n};`, { I: members, H }) as BlockFn;
  return { fn, len: n };
}
