// The JIT's entry from the run loop (exec.ts): compile the region at a hot
// instruction and hang it on the decoded instructions where its blocks
// start, so it dies with the decoded page (self-modifying code, a write by
// a device or a checkpoint restore drops the page and its regions).
// Switch: cpu.blockThreshold (0 = interpreter only); counters: cpu.jitStats.

import type { CodePage, Cpu } from '../cpu.js';
import type { Inst } from '../inst.js';
import { compileRegion } from './compile.js';

/** A hit count that never reaches the threshold again. */
const NEVER = -(2 ** 30);

export function jitCompile(cpu: Cpu, page: CodePage, insts: (Inst | undefined)[], off: number): void {
  const r = compileRegion(cpu, insts, off);
  if (r === null) return;
  // An instruction already in a region never starts another: when a run stops
  // in the middle of a block (a slice of the host clock, an event), the
  // interpreter goes on to the block's end without counting towards a new,
  // overlapping region (bench.mb under the host clock compiled 62 regions
  // instead of 51, and spent twice the CPU time warming them up).
  for (const i of r.members) i.hits = NEVER;
  for (const o of r.starts) {
    const i = insts[o];
    if (i !== undefined && i.blk === null) i.blk = r.fn;
  }
  page.jit++;
  cpu.jitStats.regions++;
  cpu.jitStats.blocks += r.starts.length;
}
