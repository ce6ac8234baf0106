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

export type BlockFn = (cpu: Cpu) => void;

const MAX_BLOCK = 48;

// Opcodes (0x000-0x1FF, 0x100 + second byte for 0F) that may sit inside a block.
const SIMPLE = new Uint8Array(512);
// Opcodes that may end a block (control transfers inside the code segment).
const LAST = new Uint8Array(512);
const range = (t: Uint8Array, a: number, b: number): void => { for (let x = a; x <= b; x++) t[x] = 1; };
for (let op = 0; op < 0x40; op++) if ((op & 7) < 6) SIMPLE[op] = 1; // ALU forms
range(SIMPLE, 0x40, 0x5f); // inc/dec/push/pop reg
for (const op of [0x68, 0x69, 0x6a, 0x6b, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8d, 0x98, 0x99, 0xa8, 0xa9, 0xc6, 0xc7]) SIMPLE[op] = 1;
range(SIMPLE, 0x80, 0x83);
range(SIMPLE, 0x90, 0x97);
range(SIMPLE, 0xa0, 0xa3);
range(SIMPLE, 0xa4, 0xaf); // string ops, only without REP (checked below)
range(SIMPLE, 0xb0, 0xbf);
for (const op of [0xc0, 0xc1, 0xd0, 0xd1, 0xd2, 0xd3, 0xf6, 0xf7]) SIMPLE[op] = 1;
for (const op of [0x1a3, 0x1a4, 0x1a5, 0x1ab, 0x1ac, 0x1ad, 0x1af, 0x1b3, 0x1b6, 0x1b7, 0x1ba, 0x1bb, 0x1bc, 0x1bd, 0x1be, 0x1bf, 0x1c0, 0x1c1]) SIMPLE[op] = 1;
range(SIMPLE, 0x140, 0x14f); // cmovcc
range(SIMPLE, 0x190, 0x19f); // setcc
range(SIMPLE, 0x1c8, 0x1cf); // bswap
range(LAST, 0x70, 0x7f);
range(LAST, 0x180, 0x18f);
for (const op of [0xe8, 0xe9, 0xeb, 0xc2, 0xc3, 0xe0, 0xe1, 0xe2, 0xe3]) LAST[op] = 1;

function kind(i: Inst): 0 | 1 | 2 {
  if (i.lock || i.len === 0) return 0;
  const op = i.op;
  if (op === 0xfe) return i.reg < 2 ? 1 : 0;
  if (op === 0xff) return i.reg < 2 || i.reg === 6 ? 1 : i.reg === 2 || i.reg === 4 ? 2 : 0;
  if (op === 0x8f) return i.reg === 0 ? 1 : 0;
  if (SIMPLE[op]) return op >= 0xa4 && op <= 0xaf && i.rep !== 0 ? 0 : 1;
  return LAST[op] ? 2 : 0;
}

/** Memory operands through ModRM, or the string/stack forms: these may write RAM. */
function mayWrite(i: Inst): boolean {
  return i.mod !== 3 || (i.op >= 0x50 && i.op <= 0x57) || i.op === 0x68 || i.op === 0x6a || (i.op >= 0xa2 && i.op <= 0xab) ||
    i.op === 0xe8 || (i.op === 0xff && i.reg === 6) || i.op === 0x8f;
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
  const loops = LAST[members[n - 1].op] === 1;
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
