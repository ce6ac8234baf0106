// The JIT's entry from the run loop (exec.ts): compile the region at a hot
// instruction and hang it on the decoded instructions where its blocks
// start, so it dies with the decoded page (self-modifying code, a write by
// a device or a checkpoint restore drops the page and its regions).
// Switch: cpu.blockThreshold (0 = interpreter only); counters: cpu.jitStats.

import type { CodePage, Cpu } from '../cpu.js';
import type { Inst } from '../inst.js';
import { compileRegion } from './compile.js';

export function jitCompile(cpu: Cpu, page: CodePage, insts: (Inst | undefined)[], off: number): void {
  const r = compileRegion(cpu, insts, off);
  if (r === null) return;
  for (const o of r.starts) {
    const i = insts[o];
    if (i !== undefined && i.blk === null) i.blk = r.fn;
  }
  page.jit++;
  cpu.jitStats.regions++;
  cpu.jitStats.blocks += r.starts.length;
}
