// Installs the CPU's break hook (cpu.ts BreakHook) for gdb's breakpoints,
// so a continue with breakpoints runs at the speed of one without: each time
// the CPU's fetch cache enters a code page holding a breakpoint, a trap
// instruction (length 0, never part of a compiled block) is put in the
// page's decoded array at the breakpoint's offset. Executed, the trap either
// stops the run before the instruction (the icount it adds back is taken
// away), or, when resuming from that very place or when the page is reached
// through another linear address, decodes and runs the real instruction.
// Decoded code is dropped whenever the breakpoints change, so no old block
// runs through a new breakpoint.

import { CS, type Cpu } from '../cpu/cpu.js';
import { Inst } from '../cpu/inst.js';
import { decode } from '../cpu/decoder.js';
import type { DebugPoints } from './points.js';

export interface BreakHit {
  addr: number;
  hw: boolean;
}

export class BreakControl {
  hit: BreakHit | null = null;
  /** The trap at this icount runs its instruction instead of stopping (resuming from a breakpoint). */
  passIcount = -1;
  private points: DebugPoints | null = null;
  private readonly trap: Inst;

  /** `stop` ends the machine's run after the current instruction (Machine.requestBreak). */
  constructor(private readonly cpu: Cpu, private readonly stop: () => void) {
    this.trap = new Inst((c) => this.fire(c), () => 0);
    this.trap.len = 0;
  }

  update(points: DebugPoints): void {
    const cpu = this.cpu;
    const byPage = new Map<number, number[]>();
    for (const a of [...points.soft, ...points.hard]) {
      const list = byPage.get(a >>> 12) ?? [];
      list.push(a & 4095);
      byPage.set(a >>> 12, list);
    }
    const had = cpu.breaks !== null;
    this.points = byPage.size > 0 ? points : null;
    cpu.breaks = byPage.size === 0 ? null : {
      plant: (insts, linPage) => {
        const offs = byPage.get(linPage);
        if (offs) for (const o of offs) insts[o] = this.trap;
      },
    };
    if (had || cpu.breaks !== null) {
      // Drop decoded code (and its blocks, and the traps in it); the fetch cache refills through plant().
      cpu.codePages.fill(undefined);
      cpu.fetchLin = 1;
    }
  }

  /** The hit since the last call, cleared. */
  take(): BreakHit | null {
    const h = this.hit;
    this.hit = null;
    return h;
  }

  private fire(cpu: Cpu): void {
    const lin = (cpu.segBase[CS] + cpu.eip) >>> 0;
    const bp = this.points?.breakpointAt(lin);
    if (bp && cpu.icount !== this.passIcount && this.hit === null) {
      this.hit = { addr: lin, hw: bp.hw };
      cpu.icount--; // the run loop counts the trap as an instruction
      this.stop();
      return;
    }
    const real = decode(cpu, lin);
    cpu.eip = cpu.eip + real.len;
    real.fn(cpu, real);
  }
}
