// The block compiler. From a hot instruction it collects a region: the
// blocks of the same decoded code page (one physical page, one code size)
// reachable through direct branches, each a straight run of instructions
// whose rows say they may sit in a block (op-facts.ts F_BLOCK), ended by a
// near branch (F_ENDS_BLOCK) or by the first instruction that may not. The
// region becomes one JS function (`new Function`):
//
//   - guest registers are locals r0..r7, flags are the lazy locals of
//     lazy.ts, computed only when a later reader, an exit or a possible
//     fault can see them (a backward liveness pass over the rows' flag sets);
//   - memory operands use the TLB's fast path inline (operands.ts);
//   - `for (;;) switch (pc)` runs block after block while each fits the
//     budget (icount + block length <= stopAt), so direct jumps, loops and
//     CALL/RET inside the page never return to the dispatcher; a block that
//     does not fit returns there, and the interpreter runs the rest up to
//     stopAt exactly;
//   - anything not inlined calls its handler with registers and flags
//     written back; after any slow path the block stops if code was dropped
//     (self-modifying code: fetchLin === 1) or the loop was asked to stop;
//   - a fault writes back registers and flags, sets prevEip and icount to
//     the faulting instruction's and rethrows, as the interpreter leaves them.
//
// The function returns the number of instructions it retired (0: it ran
// none; the dispatcher then interprets the instruction).

import type { Cpu } from '../cpu.js';
import type { Handler, Inst } from '../inst.js';
import { ARITH } from '../flags.js';
import { getCF, materialize } from '../flags.js';
import { wlin } from '../mem-access.js';
import { compileWithLibs } from '../ops/fast-paths.js';
import { F_BLOCK, F_ENDS_BLOCK } from '../op-facts.js';
import { MEM_DATA, MEM_STACK, MEM_STRING, MEM_SYSTEM } from '../op-effects.js';
import { opRow } from '../op-rows.js';
import { branchTargets, emitBranch } from './control.js';
import type { Ctx } from './ctx.js';
import { flushFlags } from './ctx.js';
import { emitData } from './emit.js';
import { PAR, flushLazy } from './lazy.js';

export type JitFn = (cpu: Cpu) => number;

// MAX_INSTS: a region of 600 instructions (85 KB of source) is past what V8 optimises
// (--max-optimized-bytecode-size) and ran in its bytecode interpreter: the Linux boot's
// first 10^8 instructions took 0.68x the CPU time at 200 (bench/jit-threshold.js), bench.mb 0.90x.
const MAX_BLOCK = 64, MAX_BLOCKS = 32, MAX_INSTS = 200;

/** 0: not in a block, 1: inside one, 2: ends one (the row's facts; REP strings and LOCK stay out). */
function kind(i: Inst): 0 | 1 | 2 {
  if (i.lock || i.len === 0) return 0;
  const f = opRow(i.op, i.reg).facts;
  if (f & F_BLOCK) return i.op >= 0xa4 && i.op <= 0xaf && i.rep !== 0 ? 0 : 1;
  return f & F_ENDS_BLOCK ? 2 : 0;
}

interface Member { i: Inst; o: number; next: number; ender: boolean; inline: boolean; barrier: boolean; fr: number; fw: number; live: number }
interface Block { o: number; m: Member[]; end: number }

function scratch(i: Inst, o: number, ssB: boolean): Ctx {
  return { i, g: 0, o, next: o + i.len, fk: 1, live: ARITH, ssB, regs: new Set(), segs: new Set() };
}

function member(i: Inst, o: number, ssB: boolean): Member {
  const row = opRow(i.op, i.reg);
  const ender = kind(i) === 2;
  const c = scratch(i, o, ssB);
  const inline = (ender ? emitBranch(c) : emitData(c)) !== null;
  const memOp = row.modrm && i.mod !== 3 && row.memOperand !== 'address' && row.memOperand !== 'none';
  const barrier = ender || !inline || memOp || (row.mem & (MEM_STACK | MEM_STRING | MEM_SYSTEM | MEM_DATA)) !== 0;
  // A shift by a non-zero immediate does not pass the old flags through (the row allows for count 0).
  const immShift = row.group === 'shift' && (i.op === 0xc0 || i.op === 0xc1 || i.op === 0xd0 || i.op === 0xd1) && inline;
  return { i, o, next: o + i.len, ender, inline, barrier, fr: immShift ? 0 : row.flagsRead, fw: row.flagsWritten, live: ARITH };
}

function scan(insts: readonly (Inst | undefined)[], start: number, ssB: boolean): Block | null {
  const m: Member[] = [];
  let o = start;
  while (m.length < MAX_BLOCK && o < 4096) {
    const i = insts[o];
    if (i === undefined || o + i.len > 4096) break;
    const k = kind(i);
    if (k === 0) break;
    m.push(member(i, o, ssB));
    o += i.len;
    if (k === 2) break;
  }
  if (m.length === 0) return null;
  // Liveness: every exit and every possible fault sees all flags.
  let live = ARITH;
  for (let n = m.length - 1; n >= 0; n--) {
    const x = m[n];
    x.live = live;
    live = x.barrier ? ARITH : ((live & ~x.fw) | x.fr) & ARITH;
  }
  return { o: start, m, end: o };
}

/** The region's blocks, the entry first. */
function region(insts: readonly (Inst | undefined)[], entry: number, ssB: boolean): Block[] {
  const blocks: Block[] = [];
  const seen = new Set<number>([entry]);
  const work = [entry];
  let total = 0;
  while (work.length > 0 && blocks.length < MAX_BLOCKS && total < MAX_INSTS) {
    const b = scan(insts, work.shift()!, ssB);
    if (b === null) continue;
    blocks.push(b);
    total += b.m.length;
    const last = b.m[b.m.length - 1];
    const succ = last.ender ? (last.inline ? branchTargets(last) ?? [] : []) : [b.end];
    for (const t of succ) {
      if (t >= 0 && t < 4096 && !seen.has(t) && insts[t] !== undefined) { seen.add(t); work.push(t); }
    }
  }
  return blocks;
}

const LIBS = { fl: flushLazy, PAR, getCF, materialize, wlin };

/** Compile the region entered at page offset `entry`; null when nothing there can be compiled. */
export function compileRegion(cpu: Cpu, insts: readonly (Inst | undefined)[], entry: number): { fn: JitFn; starts: number[]; members: Inst[] } | null {
  const ssB = cpu.ssB;
  const blocks = region(insts, entry, ssB);
  if (blocks.length === 0 || (blocks.length === 1 && blocks[0].m.length < 2 && !blocks[0].m[0].ender)) return null;
  const I: Inst[] = [], H: Handler[] = [], OFF: number[] = [], POS: number[] = [];
  const regs = new Set<number>(), segs = new Set<number>();
  const cases: string[] = [];
  for (const b of blocks) {
    const n = b.m.length;
    const out: string[] = [`case ${b.o}: {`, `if (ic + ${n} > stop) { eip = base + ${b.o}; break L; }`];
    let fk = -1;
    b.m.forEach((x, pos) => {
      const g = I.length;
      I.push(x.i); H.push(x.i.fn); OFF.push(x.o); POS.push(pos);
      const c: Ctx = { i: x.i, g, o: x.o, next: x.next, fk, live: x.live, ssB, regs, segs };
      if (x.barrier) out.push(`k = ${g};`);
      let code = x.inline ? (x.ender ? emitBranch(c) : emitData(c)) : null;
      if (code === null) {
        const fl = flushFlags(c);
        code = `/*SPILL*/ ${fl} sp = 1; cpu.prevEip = base + ${x.o}; cpu.eip = base + ${x.next}; cpu.icount = ic + ${pos};
H[${g}](cpu, I[${g}]); sp = 0; /*RELOAD*/ sl = 1;${x.ender ? ' eip = cpu.eip;' : ''}`;
      }
      fk = c.fk;
      out.push(code);
      if (x.barrier) {
        const to = x.ender ? '' : ` eip = base + ${x.next};`;
        out.push(`if (sl !== 0) { sl = 0; if (cpu.fetchLin === 1 || cpu.stopAt !== stop) { ic += ${pos + 1};${to} break L; } }`);
      }
    });
    const last = b.m[n - 1];
    if (!last.ender) out.push(`eip = base + ${b.end};`);
    out.push(`ic += ${n}; pc = (eip - base) >>> 0; if (pc < 4096 && eip <= lim) continue L; break L; }`);
    cases.push(out.join('\n'));
  }
  const rl = [...regs].sort();
  const store = rl.map((r) => `R[${r}] = r${r};`).join(' ');
  const load = rl.map((r) => `r${r} = R[${r}];`).join(' ');
  const segLoad = [...segs].map((s) => `const sb${s} = cpu.segBase[${s}], rl${s} = cpu.segRLim[${s}], wl${s} = cpu.segWLim[${s}];`).join('\n');
  const body = cases.join('\n').replace(/\/\*SPILL\*\//g, store).replace(/\/\*RELOAD\*\//g, load);
  const src = `return function jit(cpu) {
if (cpu.ssB !== ${ssB}) return 0;
const R = cpu.regs, TT = cpu.tlbTag, TP = cpu.tlbPhys, M8 = cpu.ram, M16 = cpu.ram16, M32 = cpu.ram32;
const TM = cpu.tlbMask, TS = cpu.tlbShift, RC = cpu.rChk, WC = cpu.wChk;
const base = cpu.fetchBase, lim = cpu.segLimit[1], stop = cpu.stopAt, ic0 = cpu.icount;
${segLoad}
${rl.length ? `let ${rl.map((r) => `r${r} = R[${r}]`).join(', ')};` : ''}
let Lk = 0, Ld = 0, Ls = 0, Lr = 0, k = 0, sp = 0, sl = 0, ic = ic0, eip = cpu.eip, pc = (eip - base) >>> 0;
try {
L: for (;;) {
switch (pc) {
${body}
default: break L;
}
}
} catch (e) {
if (sp === 0) { ${store} if (Lk !== 0) fl(cpu, Lk, Ld, Ls, Lr); }
cpu.prevEip = base + OFF[k]; cpu.icount = ic + POS[k];
throw e;
}
${store}
if (Lk !== 0) fl(cpu, Lk, Ld, Ls, Lr);
cpu.eip = eip; cpu.icount = ic;
return ic - ic0;
};`;
  const fn = compileWithLibs(src, { ...LIBS, I, H, OFF: Int32Array.from(OFF), POS: Int32Array.from(POS) }) as JitFn;
  return { fn, starts: blocks.map((b) => b.o), members: I };
}
